-- Flow "production to inventory" (MES -> ERP), MES side: entity production_record, one key per
-- production tracking record ({"id": productiontracking.id}), published once the record counts:
-- state 02accepted, or 04corrected (a corrected record was accepted and posted before; its posting
-- stands and its correction posts the difference, so its payload stays what it was).
--
-- Neutral payload (what the ERP side's erp.production_record_apply reads):
--   number            MES record number, 'PT-000017' (the ERP moves' origin)
--   order             the ERP manufacturing order name, orders_order.externalnumber (NULL: MES-only order)
--   mes_order         the MES order number, for messages
--   workstation       workstation.number (= ERP mrp_workcenter.code), or NULL
--   date_local        timerangeto, else createdate: naive PLANT-LOCAL time. The publication cannot
--   date_from_local   know the plant's zone (erpmes.plant_tz is set on the target side only), so the
--                     ERP side converts to UTC, using timerangefrom to tell a DST overlap apart
--   machine_time_s, labor_time_s   seconds
--   iscorrection      true on a record that corrects another
--   corrects          {"id": ...} of the record it corrects (the one whose correction_id names it)
--   chain             numbers of every record it corrects, directly or through other corrections
--   produced          [{product, unit, mes_unit, good, waste, lot, cause}]: product = product.number
--                     (ERP default_code); quantities are in the product's unit, product.unit
--                     (mes_unit), named the ERP way in unit (uom_uom.name: Units, kg), by the
--                     pack's value map master_uom_to_erp (NULL when it lists no such code); lot =
--                     the row's batch number, else the record's batch when it is one of that product
--   consumed          [{product, unit, mes_unit, quantity, lots: [{lot, quantity}]}] from
--                     tracking_product_in and used_batch, in the product's unit too
--   $depends          [{"entity": "production_record", "key": corrects}]: a correction waits while
--                     the record it corrects is in the ERP's dead letter
-- Quantities are numbers without trailing zeros. Arrays are in row order (id), lots by number, so
-- an unchanged record always yields the same payload.
--
-- The value map master_uom_to_erp is declared by Sql/mes/master_common.sql; it is read when
-- payloads are, so an undeclared map pauses the entity (42704) rather than failing this file.
--
-- Watched: tracking_product_out, tracking_product_in, used_batch (a change to a posted record's
-- quantities reaches the ERP, whose append_only rule refuses it and logs it in conflict_log).

CREATE OR REPLACE FUNCTION mes.production_record_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE wanted AS (
        SELECT DISTINCT (k->>'id')::bigint AS id
        FROM unnest(keys) AS k
        WHERE jsonb_typeof(k->'id') = 'number'
    ), rec AS (
        SELECT pt.* FROM mes.productiontracking AS pt JOIN wanted AS w ON w.id = pt.id
        WHERE pt.state IN ('02accepted', '04corrected')
    ), ancestor (id, ancestor_id) AS (
        SELECT r.id, o.id FROM rec AS r JOIN mes.productiontracking AS o ON o.correction_id = r.id
        UNION
        SELECT a.id, o.id FROM ancestor AS a JOIN mes.productiontracking AS o ON o.correction_id = a.ancestor_id
    ) CYCLE ancestor_id SET looped USING path
    SELECT jsonb_build_object('id', r.id),
        jsonb_build_object(
            'number', r.number,
            'order', o.externalnumber,
            'mes_order', o.number,
            'workstation', ws.number,
            'date_local', coalesce(r.timerangeto, r.createdate),
            'date_from_local', r.timerangefrom,
            'machine_time_s', r.machinetime,
            'labor_time_s', r.labortime,
            'iscorrection', r.iscorrection,
            'corrects', CASE WHEN orig.id IS NOT NULL THEN jsonb_build_object('id', orig.id) END,
            'chain', coalesce(ch.numbers, '[]'::jsonb),
            'produced', coalesce(po.items, '[]'::jsonb),
            'consumed', coalesce(ci.items, '[]'::jsonb))
        || CASE WHEN orig.id IS NOT NULL
                THEN jsonb_build_object('$depends', jsonb_build_array(jsonb_build_object(
                         'entity', 'production_record', 'key', jsonb_build_object('id', orig.id))))
                ELSE '{}'::jsonb END
    FROM rec AS r
    JOIN mes.orders_order AS o ON o.id = r.order_id
    LEFT JOIN mes.workstation AS ws ON ws.id = r.workstation_id
    LEFT JOIN LATERAL (
        SELECT min(x.id) AS id FROM mes.productiontracking AS x WHERE x.correction_id = r.id
    ) AS orig ON true
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(DISTINCT t.number) AS numbers
        FROM ancestor AS a JOIN mes.productiontracking AS t ON t.id = a.ancestor_id
        WHERE a.id = r.id AND NOT a.looped
    ) AS ch ON true
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object(
                   'product', p.number,
                   'unit', erpmes.try_map_value('master_uom_to_erp', p.unit),
                   'mes_unit', p.unit,
                   'good', trim_scale(coalesce(tpo.usedquantity, 0)),
                   'waste', trim_scale(coalesce(tpo.wastesquantity, 0)),
                   'lot', b.number,
                   'cause', tpo.causeofwastes) ORDER BY tpo.id) AS items
        FROM mes.tracking_product_out AS tpo
        JOIN mes.product AS p ON p.id = tpo.product_id
        LEFT JOIN mes.batch AS rb ON rb.id = r.batch_id AND rb.product_id = tpo.product_id
        LEFT JOIN mes.batch AS b ON b.id = coalesce(tpo.batch_id, rb.id)
        WHERE tpo.productiontracking_id = r.id
    ) AS po ON true
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object(
                   'product', p.number,
                   'unit', erpmes.try_map_value('master_uom_to_erp', p.unit),
                   'mes_unit', p.unit,
                   'quantity', trim_scale(coalesce(tpi.usedquantity, 0)),
                   'lots', coalesce((
                       SELECT jsonb_agg(jsonb_build_object('lot', b.number, 'quantity', trim_scale(ub.quantity))
                                        ORDER BY b.number, ub.id)
                       FROM mes.used_batch AS ub JOIN mes.batch AS b ON b.id = ub.batch_id
                       WHERE ub.tracking_product_in_id = tpi.id), '[]'::jsonb)) ORDER BY tpi.id) AS items
        FROM mes.tracking_product_in AS tpi
        JOIN mes.product AS p ON p.id = tpi.product_id
        WHERE tpi.productiontracking_id = r.id
    ) AS ci ON true
$$;
REVOKE ALL ON FUNCTION mes.production_record_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.production_record_payload(jsonb[]) TO erpmes_owner;
COMMENT ON FUNCTION mes.production_record_payload(jsonb[]) IS
    'Publication of entity production_record: accepted (or since corrected) production tracking records with produced good/waste per lot, consumption per used batch and the records they correct, in neutral form.';

-- The payload function runs as erpmes_owner (erpmes.batch is SECURITY DEFINER); erpmes.publish
-- grants it the source and watched tables, these are the others it reads.
GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.orders_order, mes.workstation, mes.product, mes.batch TO erpmes_owner;

SELECT erpmes.publish(
    'production_record',
    'mes.productiontracking',
    ARRAY['id'],
    'mes.production_record_payload(jsonb[])',
    '[{"table": "mes.tracking_product_out",
       "keys": "SELECT jsonb_build_object(''id'', c.productiontracking_id) FROM changed AS c"},
      {"table": "mes.tracking_product_in",
       "keys": "SELECT jsonb_build_object(''id'', c.productiontracking_id) FROM changed AS c"},
      {"table": "mes.used_batch",
       "keys": "SELECT jsonb_build_object(''id'', i.productiontracking_id) FROM changed AS c JOIN mes.tracking_product_in AS i ON i.id = c.tracking_product_in_id"}]'::jsonb);
