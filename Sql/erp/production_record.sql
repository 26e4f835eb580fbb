-- Flow "production to inventory" (MES -> ERP), ERP side: entity production_record, subscribed with
-- rule append_only. Each accepted MES production tracking record (payload: see
-- Sql/mes/production_record.sql) becomes one set of done stock moves of its manufacturing order
-- (mrp_production.name = the order's externalnumber), converted from the unit the payload names (an
-- ERP unit name) to the product's ERP unit the Odoo way (qty / from.factor * to.factor, rounded UP
-- to the unit's rounding), one move per (record, product, kind, direction):
--   produced  good quantity, Virtual Locations/Production -> the MO's location_dest_id, production_id
--             = MO, a move line per lot (stock_lot found or created by (product, name = batch number))
--   consumed  the MO's location_src_id -> Production, raw_material_production_id = MO, a line per used
--             batch (lot) and one without lot for any quantity no batch accounts for
--   scrap     waste quantity, per lot: a done stock_scrap (scrap_qty, origin = record number) and its
--             move Production -> Virtual Locations/Scrap (production_id = MO, scrapped, scrap_id). Waste
--             never entered stock: WH/Stock per product and lot = produced (good + waste) - consumed
--             - scrapped, i.e. good - consumed, ISO 22400's PQ = GQ + SQ
--   genealogy stock_move_line_consume_rel rows: every produced line x every consumed line of the record
-- Moves carry origin = the MES record number, reference/name = the MO name; lines copy them.
--
-- Posting is keyed by (record, product, kind): what a record has posted is its moves with origin =
-- its number on its MO, so a record is posted once (a replay finds its moves and is skipped). A
-- correction never touches a done move: it posts, per product, kind and lot, the difference between
-- its full quantities and what its chain (the records it corrects, directly or not) has posted so
-- far, read from those moves, as forward moves (more) or reversing moves (less: source and
-- destination swapped; a smaller waste returns Scrap -> Production, its stock_scrap stays). The ERP
-- quantity of a chain is therefore always that of its newest record, exactly.
--
-- Within one batch, records are posted in chain order (an original before its correction). A record
-- whose MO, product, unit, lot or date cannot be mapped is rejected with a reason naming the column
-- and the value (erpmes puts it in the dead letter); a correction of a record rejected in the same
-- batch is parked in the dead letter "blocked by" it, as erpmes does for $depends, and released when
-- it applies. The replicator's login gets SELECT and INSERT on the stock tables, nothing more: it
-- cannot update a posted move.
-- erpmes:requires production_time.sql

CREATE OR REPLACE FUNCTION erp.production_record_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    tz text := erpmes.plant_zone(nullif(current_setting('erpmes.plant_tz', true), ''));
    consumer_name text := coalesce(nullif(current_setting('erpmes.origin', true), ''), 'manual');
    move_seq regclass := pg_get_serial_sequence('erp.stock_move', 'id')::regclass;
    line_seq regclass := pg_get_serial_sequence('erp.stock_move_line', 'id')::regclass;
    scrap_seq regclass := pg_get_serial_sequence('erp.stock_scrap', 'id')::regclass;
    current_step integer;
    last_step integer;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS production_record_in (
        key jsonb PRIMARY KEY, op "char", payload jsonb, id bigint, number text, order_name text,
        mes_order text, workstation text, date_local timestamp, date_from_local timestamp,
        iscorrection boolean, corrects bigint, chain text[], mo_id integer, mo_name text, company_id integer,
        stock_src integer, stock_dest integer, production_loc integer, scrap_loc integer,
        workorder_id integer, date_utc timestamp, problem text, outcome text, step integer
    ) ON COMMIT DROP;
    TRUNCATE production_record_in;
    -- Quantities per record, kind, product and lot: MES quantity and unit, then ERP product, unit, lot.
    CREATE TEMP TABLE IF NOT EXISTS production_record_qty (
        key jsonb, kind text, product text, unit text, mes_unit text, lot text, qty numeric, cause text, source text,
        product_id integer, tracking text, uom_id integer, uom_name text, to_factor numeric, rounding numeric,
        to_category integer, from_uom text, from_factor numeric, from_category integer, erp_qty numeric,
        lot_id integer, problem text
    ) ON COMMIT DROP;
    TRUNCATE production_record_qty;
    -- What the chain of each record of a step has posted, line by line (new lines added as posted).
    CREATE TEMP TABLE IF NOT EXISTS production_record_ledger (
        key jsonb, line_id integer, kind text, sign integer, product_id integer, lot_id integer, qty numeric,
        is_new boolean
    ) ON COMMIT DROP;
    -- The differences to post, and the moves, lines and scraps they become.
    CREATE TEMP TABLE IF NOT EXISTS production_record_delta (
        key jsonb, kind text, product_id integer, lot_id integer, sign integer, qty numeric, cause text,
        move_id integer, line_id integer
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS production_record_move (
        key jsonb, kind text, product_id integer, lot_id integer, sign integer, qty numeric, cause text,
        move_id integer, scrap_id integer, location_id integer, location_dest_id integer
    ) ON COMMIT DROP;

    INSERT INTO production_record_in (key, op, payload, id, number, order_name, mes_order, workstation,
                                      date_local, date_from_local, iscorrection, corrects, chain)
    SELECT b.key, b.op, b.payload, (b.key->>'id')::bigint, b.payload->>'number', b.payload->>'order',
           b.payload->>'mes_order', b.payload->>'workstation', (b.payload->>'date_local')::timestamp,
           (b.payload->>'date_from_local')::timestamp, coalesce((b.payload->>'iscorrection')::boolean, false),
           (b.payload->'corrects'->>'id')::bigint,
           ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(b.payload->'chain') = 'array'
                                                       THEN b.payload->'chain' ELSE '[]' END))
    FROM pg_temp.erpmes_batch AS b
    ORDER BY b.key;

    -- Posted records stay posted: deletes, truncates and changes of them are not applied here
    -- (append_only logs the changes in conflict_log before they get this far).
    UPDATE production_record_in AS r SET outcome = 'skipped', problem = CASE
            WHEN r.op = 'D' THEN 'the MES no longer publishes this record; what it posted stays posted (append_only), a correction posts the difference'
            WHEN r.op = 'T' THEN 'mes.productiontracking was truncated; posted records stay posted (append_only)'
            ELSE 'a change to a posted production record is never applied (append_only); a correction posts the difference' END
    WHERE r.op <> 'U' OR r.number IS NULL;

    -- The manufacturing order, its company and locations, the work order at the workstation.
    UPDATE production_record_in AS r
    SET problem = format('production_record %s: order %s has no ERP manufacturing order (column orders_order.externalnumber is NULL)',
                         r.key, coalesce(r.mes_order, '?'))
    WHERE r.outcome IS NULL AND r.order_name IS NULL;
    UPDATE production_record_in AS r
    SET mo_id = m.id, mo_name = m.name, company_id = m.company_id, stock_src = m.location_src_id,
        stock_dest = m.location_dest_id
    FROM erp.mrp_production AS m
    WHERE r.outcome IS NULL AND r.problem IS NULL AND m.name = r.order_name
      AND NOT EXISTS (SELECT FROM erp.mrp_production AS x WHERE x.name = m.name AND x.id <> m.id);
    UPDATE production_record_in AS r
    SET problem = format('production_record %s: %s ERP manufacturing order is named %s (column mrp_production.name; orders_order.externalnumber of %s)',
                         r.key, CASE WHEN EXISTS (SELECT FROM erp.mrp_production AS x WHERE x.name = r.order_name)
                                     THEN 'more than one (one per company)' ELSE 'no' END,
                         quote_literal(r.order_name), coalesce(r.mes_order, '?'))
    WHERE r.outcome IS NULL AND r.problem IS NULL AND r.mo_id IS NULL;
    UPDATE production_record_in AS r
    SET production_loc = (SELECT l.id FROM erp.stock_location AS l
                          WHERE l.usage = 'production' AND l.active AND coalesce(l.company_id, r.company_id) = r.company_id
                          ORDER BY l.complete_name = 'Virtual Locations/Production' DESC, l.id LIMIT 1),
        scrap_loc = (SELECT l.id FROM erp.stock_location AS l
                     WHERE l.scrap_location AND l.active AND coalesce(l.company_id, r.company_id) = r.company_id
                     ORDER BY l.complete_name = 'Virtual Locations/Scrap' DESC, l.id LIMIT 1),
        workorder_id = (SELECT min(w.id) FROM erp.mrp_workorder AS w JOIN erp.mrp_workcenter AS c ON c.id = w.workcenter_id
                        WHERE w.production_id = r.mo_id AND c.code = r.workstation
                        HAVING count(*) = 1)
    WHERE r.outcome IS NULL AND r.problem IS NULL;
    UPDATE production_record_in AS r
    SET problem = format('production_record %s: company %s has no active %s location (column stock_location.%s)', r.key,
                         r.company_id, CASE WHEN r.production_loc IS NULL THEN 'production' ELSE 'scrap' END,
                         CASE WHEN r.production_loc IS NULL THEN 'usage = ''production''' ELSE 'scrap_location' END)
    WHERE r.outcome IS NULL AND r.problem IS NULL AND (r.production_loc IS NULL OR r.scrap_loc IS NULL);

    -- Posted already (a replay, or a forced resend): its moves are there.
    UPDATE production_record_in AS r SET outcome = 'skipped',
        problem = format('production_record %s is already posted (stock moves with origin %s on %s); a change to it is never applied, a correction posts the difference',
                         r.key, r.number, r.mo_name)
    WHERE r.outcome IS NULL AND r.problem IS NULL AND EXISTS (
        SELECT FROM erp.stock_move AS m
        WHERE (m.production_id = r.mo_id OR m.raw_material_production_id = r.mo_id) AND m.origin = r.number
          AND m.state = 'done');

    -- Corrections must name what they correct, without a cycle.
    UPDATE production_record_in AS r
    SET problem = CASE WHEN r.number = ANY (r.chain)
        THEN format('production_record %s: records %s correct each other in a cycle (column productiontracking.correction_id)',
                    r.key, array_to_string(r.chain, ', '))
        ELSE format('production_record %s: %s is a correction (productiontracking.iscorrection) but no record names it in productiontracking.correction_id, so what it corrects is unknown',
                    r.key, r.number) END
    WHERE r.outcome IS NULL AND r.problem IS NULL
      AND (r.number = ANY (r.chain) OR (r.iscorrection AND r.corrects IS NULL));

    -- The posting date: plant-local on the MES, naive UTC here.
    UPDATE production_record_in AS r SET date_utc = erp.production_local_to_utc(r.date_local, r.date_from_local, tz)
    WHERE r.outcome IS NULL AND r.problem IS NULL;
    UPDATE production_record_in AS r
    SET problem = format('production_record %s: %s %s is ambiguous in %s (DST overlap) and timerangefrom %s does not tell which (column productiontracking.timerangeto)',
                         r.key, CASE WHEN r.payload->'date_from_local' IS NULL THEN 'createdate' ELSE 'timerangeto' END,
                         quote_literal(r.date_local), tz, coalesce(quote_literal(r.date_from_local), 'NULL'))
    WHERE r.outcome IS NULL AND r.problem IS NULL AND r.date_utc IS NULL;

    -- Quantities per kind, product and lot, in the MES unit.
    INSERT INTO production_record_qty (key, kind, product, unit, mes_unit, lot, qty, cause, source)
    SELECT x.key, x.kind, x.product, x.unit, x.mes_unit, x.lot, sum(x.qty), string_agg(DISTINCT x.cause, '; '),
           min(x.source)
    FROM (
        SELECT r.key, 'produced' AS kind, e->>'product' AS product, e->>'unit' AS unit,
               e->>'mes_unit' AS mes_unit, e->>'lot' AS lot,
               (e->>'good')::numeric AS qty, NULL AS cause, 'tracking_product_out' AS source
        FROM production_record_in AS r CROSS JOIN LATERAL jsonb_array_elements(r.payload->'produced') AS e
        WHERE r.outcome IS NULL AND r.problem IS NULL
        UNION ALL
        SELECT r.key, 'scrap', e->>'product', e->>'unit', e->>'mes_unit', e->>'lot', (e->>'waste')::numeric, e->>'cause',
               'tracking_product_out'
        FROM production_record_in AS r CROSS JOIN LATERAL jsonb_array_elements(r.payload->'produced') AS e
        WHERE r.outcome IS NULL AND r.problem IS NULL
        UNION ALL
        SELECT r.key, 'consumed', e->>'product', e->>'unit', e->>'mes_unit', l->>'lot', (l->>'quantity')::numeric, NULL, 'used_batch'
        FROM production_record_in AS r CROSS JOIN LATERAL jsonb_array_elements(r.payload->'consumed') AS e
        CROSS JOIN LATERAL jsonb_array_elements(e->'lots') AS l
        WHERE r.outcome IS NULL AND r.problem IS NULL
        UNION ALL
        SELECT r.key, 'consumed', e->>'product', e->>'unit', e->>'mes_unit', NULL,
               (e->>'quantity')::numeric - coalesce((SELECT sum((l->>'quantity')::numeric)
                                                     FROM jsonb_array_elements(e->'lots') AS l), 0),
               NULL, 'tracking_product_in'
        FROM production_record_in AS r CROSS JOIN LATERAL jsonb_array_elements(r.payload->'consumed') AS e
        WHERE r.outcome IS NULL AND r.problem IS NULL
    ) AS x
    GROUP BY x.key, x.kind, x.product, x.unit, x.mes_unit, x.lot
    HAVING sum(x.qty) <> 0;

    -- ERP product (by default_code), its unit and tracking; the unit the quantity is in.
    UPDATE production_record_qty AS q
    SET product_id = p.id, tracking = t.tracking, uom_id = u.id, uom_name = u.name->>'en_US', to_factor = u.factor,
        rounding = u.rounding, to_category = u.category_id
    FROM erp.product_product AS p
    JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
    JOIN erp.uom_uom AS u ON u.id = t.uom_id
    WHERE p.default_code = q.product AND p.active
      AND NOT EXISTS (SELECT FROM erp.product_product AS x WHERE x.default_code = p.default_code AND x.active AND x.id <> p.id);
    UPDATE production_record_qty AS q
    SET from_uom = u.name->>'en_US', from_factor = u.factor, from_category = u.category_id
    FROM erp.uom_uom AS u
    WHERE u.id = (SELECT min(u0.id) FROM erp.uom_uom AS u0 WHERE u0.name->>'en_US' = q.unit AND u0.active);
    UPDATE production_record_qty AS q SET problem = CASE
        WHEN q.product IS NULL THEN format('a %s row has no product (column product.number)', q.source)
        WHEN q.product_id IS NULL AND EXISTS (SELECT FROM erp.product_product AS x WHERE x.default_code = q.product AND x.active)
            THEN format('%s active ERP products have default_code %s (column product_product.default_code)',
                        (SELECT count(*) FROM erp.product_product AS x WHERE x.default_code = q.product AND x.active),
                        quote_literal(q.product))
        WHEN q.product_id IS NULL
            THEN format('no active ERP product has default_code %s (column product_product.default_code; the MES product.number of a %s row)',
                        quote_literal(q.product), q.source)
        WHEN q.unit IS NULL AND q.mes_unit IS NULL
            THEN format('MES product %s has no unit (column product.unit)', quote_literal(q.product))
        WHEN q.unit IS NULL
            THEN format('MES unit %s of product %s has no ERP unit (column product.unit; value map master_uom_to_erp)',
                        quote_literal(q.mes_unit), quote_literal(q.product))
        WHEN q.from_uom IS NULL
            THEN format('unit %s of product %s is not an active ERP unit (column uom_uom.name)',
                        quote_literal(q.unit), quote_literal(q.product))
        WHEN q.from_category <> q.to_category
            THEN format('unit %s of product %s does not convert to %s, its ERP unit: another category (column uom_uom.category_id)',
                        quote_literal(q.unit), quote_literal(q.product), quote_literal(q.uom_name))
        WHEN q.qty < 0
            THEN format('used batches of product %s add up to %s %s more than its consumed quantity (column used_batch.quantity)',
                        quote_literal(q.product), -q.qty, q.mes_unit)
        WHEN q.lot IS NULL AND q.tracking <> 'none'
            THEN format('product %s is tracked by %s in the ERP (product_template.tracking), but %s %s of its %s name no batch (column %s)',
                        quote_literal(q.product), q.tracking, q.qty, q.mes_unit,
                        CASE q.kind WHEN 'consumed' THEN 'consumption' WHEN 'scrap' THEN 'waste' ELSE 'production' END,
                        CASE q.kind WHEN 'consumed' THEN 'used_batch.batch_id' ELSE 'tracking_product_out.batch_id' END)
        END;
    UPDATE production_record_in AS r
    SET problem = format('production_record %s: %s', r.key, (
        SELECT q.problem FROM production_record_qty AS q WHERE q.key = r.key AND q.problem IS NOT NULL
        ORDER BY q.kind, q.product, q.lot LIMIT 1))
    WHERE r.outcome IS NULL AND r.problem IS NULL
      AND EXISTS (SELECT FROM production_record_qty AS q WHERE q.key = r.key AND q.problem IS NOT NULL);
    UPDATE production_record_in AS r SET outcome = 'rejected' WHERE r.outcome IS NULL AND r.problem IS NOT NULL;

    -- A correction of a record rejected (or held) in this same batch waits for it in the dead letter,
    -- blocked by it, as erpmes parks the $depends of a record already in the dead letter: it is read
    -- again, and checked again, once the record it corrects applies.
    LOOP
        UPDATE production_record_in AS c SET outcome = 'held',
            problem = format('production_record %s waits for production_record %s, the record it corrects, which is in the dead letter',
                             c.key, jsonb_build_object('id', c.corrects))
        FROM production_record_in AS o
        WHERE (c.outcome IS NULL OR c.outcome = 'rejected') AND o.id = c.corrects AND o.outcome IN ('rejected', 'held')
          AND NOT c.number = ANY (c.chain);
        EXIT WHEN NOT FOUND;
    END LOOP;
    INSERT INTO erpmes.dead_letter AS d (consumer, entity, key, message, blocked_by)
    SELECT consumer_name, 'production_record', r.key, r.problem,
           jsonb_build_object('entity', 'production_record', 'key', jsonb_build_object('id', r.corrects))
    FROM production_record_in AS r WHERE r.outcome = 'held'
    ORDER BY r.key
    ON CONFLICT (entity, key) WHERE status IN ('open', 'retry', 'requeued') DO UPDATE
        SET status = 'open', message = EXCLUDED.message, blocked_by = EXCLUDED.blocked_by, attempts = d.attempts + 1,
            last_failed_at = now();
    DELETE FROM production_record_qty AS q
    USING production_record_in AS r WHERE r.key = q.key AND r.outcome IS NOT NULL;

    -- ERP quantities (Odoo: qty / from.factor * to.factor, rounded UP to the product unit's rounding).
    UPDATE production_record_qty AS q
    SET erp_qty = erpmes.odoo_uom_factor(q.qty, q.from_factor, q.to_factor, q.rounding, 'up');

    -- Lots: found or created by (product, company, name); a concurrent flow may create them too.
    INSERT INTO erp.stock_lot AS l (name, product_id, product_uom_id, company_id)
    SELECT DISTINCT q.lot, q.product_id, q.uom_id, r.company_id
    FROM production_record_qty AS q JOIN production_record_in AS r ON r.key = q.key
    WHERE q.lot IS NOT NULL
    ORDER BY r.company_id, q.product_id, q.lot
    ON CONFLICT ON CONSTRAINT stock_lot_name_ref_uniq DO NOTHING;
    UPDATE production_record_qty AS q SET lot_id = l.id
    FROM production_record_in AS r, erp.stock_lot AS l
    WHERE r.key = q.key AND l.product_id = q.product_id AND l.company_id = r.company_id AND l.name = q.lot;

    -- Chain order: a record after the records of this batch it corrects.
    UPDATE production_record_in AS r SET step = (
        SELECT count(*) FROM production_record_in AS o
        WHERE o.outcome IS NULL AND o.number = ANY (r.chain) AND o.number <> r.number)
    WHERE r.outcome IS NULL;
    SELECT max(r.step) INTO last_step FROM production_record_in AS r WHERE r.outcome IS NULL;

    FOR current_step IN 0..coalesce(last_step, -1) LOOP
        TRUNCATE production_record_ledger, production_record_delta, production_record_move;
        -- What the chain (and the record itself, should it have posted) has posted so far, signed:
        -- + for produced into stock, consumed from stock, scrapped; - for their reversals.
        INSERT INTO production_record_ledger (key, line_id, kind, sign, product_id, lot_id, qty, is_new)
        SELECT r.key, ml.id, k.kind,
               CASE k.kind WHEN 'consumed' THEN CASE WHEN d.usage = 'production' THEN 1 ELSE -1 END
                           WHEN 'scrap' THEN CASE WHEN d.scrap_location THEN 1 ELSE -1 END
                           ELSE CASE WHEN s.usage = 'production' THEN 1 ELSE -1 END END,
               ml.product_id, ml.lot_id, coalesce(ml.quantity_product_uom, ml.quantity), false
        FROM production_record_in AS r
        JOIN erp.stock_move AS m ON (m.production_id = r.mo_id OR m.raw_material_production_id = r.mo_id)
            AND m.state = 'done' AND m.origin = ANY (r.chain || r.number)
        JOIN erp.stock_move_line AS ml ON ml.move_id = m.id AND ml.state = 'done'
        JOIN erp.stock_location AS s ON s.id = ml.location_id
        JOIN erp.stock_location AS d ON d.id = ml.location_dest_id
        CROSS JOIN LATERAL (
            SELECT CASE WHEN m.raw_material_production_id = r.mo_id THEN 'consumed'
                        WHEN s.scrap_location OR d.scrap_location THEN 'scrap' ELSE 'produced' END AS kind
        ) AS k
        WHERE r.outcome IS NULL AND r.step = current_step;

        -- The differences between the record's quantities and what its chain has posted.
        INSERT INTO production_record_delta (key, kind, product_id, lot_id, sign, qty, cause)
        SELECT coalesce(t.key, n.key), coalesce(t.kind, n.kind), coalesce(t.product_id, n.product_id),
               coalesce(t.lot_id, n.lot_id), sign(coalesce(t.qty, 0) - coalesce(n.qty, 0))::integer,
               abs(coalesce(t.qty, 0) - coalesce(n.qty, 0)), t.cause
        FROM (
            SELECT q.key, q.kind, q.product_id, q.lot_id, sum(q.erp_qty) AS qty, string_agg(q.cause, '; ') AS cause
            FROM production_record_qty AS q JOIN production_record_in AS r ON r.key = q.key
            WHERE r.outcome IS NULL AND r.step = current_step
            GROUP BY q.key, q.kind, q.product_id, q.lot_id
        ) AS t
        FULL JOIN (
            SELECT g.key, g.kind, g.product_id, g.lot_id, sum(g.sign * g.qty) AS qty
            FROM production_record_ledger AS g
            GROUP BY g.key, g.kind, g.product_id, g.lot_id
        ) AS n ON n.key = t.key AND n.kind = t.kind AND n.product_id = t.product_id
              AND n.lot_id IS NOT DISTINCT FROM t.lot_id
        WHERE coalesce(t.qty, 0) <> coalesce(n.qty, 0);

        -- One move per record, product, kind and direction; scraps one per lot, as Odoo's.
        INSERT INTO production_record_move (key, kind, product_id, lot_id, sign, qty, cause, move_id)
        SELECT x.key, x.kind, x.product_id, x.lot, x.sign, sum(x.qty), string_agg(x.cause, '; '), nextval(move_seq)
        FROM (SELECT d.*, CASE WHEN d.kind = 'scrap' THEN d.lot_id END AS lot FROM production_record_delta AS d) AS x
        GROUP BY x.key, x.kind, x.product_id, x.lot, x.sign
        ORDER BY x.key, x.kind, x.product_id, x.lot, x.sign;
        UPDATE production_record_move AS v SET
            scrap_id = CASE WHEN v.kind = 'scrap' AND v.sign > 0 THEN nextval(scrap_seq) END,
            location_id = CASE WHEN (v.kind = 'consumed') = (v.sign > 0)
                               THEN CASE v.kind WHEN 'consumed' THEN r.stock_src WHEN 'scrap' THEN r.scrap_loc ELSE r.stock_dest END
                               ELSE r.production_loc END,
            location_dest_id = CASE WHEN (v.kind = 'consumed') = (v.sign > 0)
                                    THEN r.production_loc
                                    ELSE CASE v.kind WHEN 'consumed' THEN r.stock_src WHEN 'scrap' THEN r.scrap_loc ELSE r.stock_dest END END
        FROM production_record_in AS r WHERE r.key = v.key;
        UPDATE production_record_delta AS d SET move_id = v.move_id
        FROM production_record_move AS v
        WHERE v.key = d.key AND v.kind = d.kind AND v.product_id = d.product_id AND v.sign = d.sign
          AND (d.kind <> 'scrap' OR v.lot_id IS NOT DISTINCT FROM d.lot_id);
        UPDATE production_record_delta AS d SET line_id = n.line_id
        FROM (SELECT o.move_id, o.lot_id, nextval(line_seq) AS line_id
              FROM (SELECT x.move_id, x.lot_id FROM production_record_delta AS x ORDER BY x.move_id, x.lot_id) AS o) AS n
        WHERE n.move_id = d.move_id AND n.lot_id IS NOT DISTINCT FROM d.lot_id;

        INSERT INTO erp.stock_scrap (id, name, origin, product_id, product_uom_id, lot_id, scrap_qty, location_id,
                                     scrap_location_id, production_id, workorder_id, state, date_done, company_id)
        SELECT v.scrap_id, 'SP/' || lpad(v.scrap_id::text, 5, '0'), r.number, v.product_id, p.uom_id, v.lot_id, v.qty,
               v.location_id, v.location_dest_id, r.mo_id, r.workorder_id, 'done', r.date_utc, r.company_id
        FROM production_record_move AS v
        JOIN production_record_in AS r ON r.key = v.key
        JOIN LATERAL (SELECT t.uom_id FROM erp.product_product AS pp JOIN erp.product_template AS t ON t.id = pp.product_tmpl_id
                      WHERE pp.id = v.product_id) AS p ON true
        WHERE v.scrap_id IS NOT NULL
        ORDER BY v.scrap_id;
        INSERT INTO erp.stock_move (id, name, date, company_id, product_id, description_picking, product_qty,
                                    product_uom_qty, product_uom, quantity, location_id, location_dest_id, state, picked,
                                    origin, reference, scrapped, scrap_id, raw_material_production_id, production_id,
                                    workorder_id)
        SELECT v.move_id, coalesce('SP/' || lpad(v.scrap_id::text, 5, '0'), r.mo_name), r.date_utc, r.company_id,
               v.product_id, CASE WHEN v.kind = 'scrap' THEN v.cause END, v.qty, v.qty, p.uom_id, v.qty,
               v.location_id, v.location_dest_id, 'done', true, r.number,
               coalesce('SP/' || lpad(v.scrap_id::text, 5, '0'), r.mo_name),
               v.kind = 'scrap' AND v.sign > 0, v.scrap_id,
               CASE WHEN v.kind = 'consumed' THEN r.mo_id END, CASE WHEN v.kind <> 'consumed' THEN r.mo_id END,
               r.workorder_id
        FROM production_record_move AS v
        JOIN production_record_in AS r ON r.key = v.key
        JOIN LATERAL (SELECT t.uom_id FROM erp.product_product AS pp JOIN erp.product_template AS t ON t.id = pp.product_tmpl_id
                      WHERE pp.id = v.product_id) AS p ON true
        ORDER BY v.move_id;
        INSERT INTO erp.stock_move_line (id, move_id, company_id, product_id, product_uom_id, quantity,
                                         quantity_product_uom, picked, lot_id, date, location_id, location_dest_id,
                                         state, reference, production_id, workorder_id)
        SELECT d.line_id, d.move_id, m.company_id, m.product_id, m.product_uom, d.qty, d.qty, true, d.lot_id, m.date,
               m.location_id, m.location_dest_id, 'done', m.reference, m.production_id, m.workorder_id
        FROM production_record_delta AS d JOIN erp.stock_move AS m ON m.id = d.move_id
        ORDER BY d.line_id;

        -- Genealogy: each produced lot of the chain from each consumed lot of the chain, for pairs
        -- with a line posted now.
        INSERT INTO production_record_ledger (key, line_id, kind, sign, product_id, lot_id, qty, is_new)
        SELECT d.key, d.line_id, d.kind, d.sign, d.product_id, d.lot_id, d.qty, true FROM production_record_delta AS d;
        INSERT INTO erp.stock_move_line_consume_rel (consume_line_id, produce_line_id)
        SELECT DISTINCT f.line_id, c.line_id
        FROM production_record_ledger AS f
        JOIN production_record_ledger AS c ON c.key = f.key AND c.kind = 'consumed' AND c.sign > 0
        WHERE f.kind = 'produced' AND f.sign > 0 AND (f.is_new OR c.is_new)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    END LOOP;

    RETURN QUERY
    SELECT r.key, coalesce(r.outcome, 'applied'), r.problem FROM production_record_in AS r ORDER BY r.key;
END $$;
REVOKE ALL ON FUNCTION erp.production_record_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.production_record_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.production_record_apply() IS
    'Apply function of entity production_record (MES -> ERP, append_only): posts each accepted production tracking record once as done stock moves, move lines with lots, scraps and genealogy of its manufacturing order; a correction posts the difference to its chain as forward or reversing moves.';

-- Posting needs no UPDATE or DELETE: the ledger is append-only by privilege too.
GRANT SELECT, INSERT ON erp.stock_move, erp.stock_move_line, erp.stock_move_line_consume_rel, erp.stock_scrap,
    erp.stock_lot TO erpmes_run;
GRANT USAGE ON SEQUENCE erp.stock_move_id_seq, erp.stock_move_line_id_seq, erp.stock_scrap_id_seq, erp.stock_lot_id_seq
    TO erpmes_run;

SELECT erpmes.subscribe(
    'production_record',
    'erp.production_record_apply()',
    'append_only',
    '{}'::jsonb,
    40,
    '{}'::jsonb,
    ARRAY['erp.stock_move', 'erp.stock_move_line', 'erp.stock_move_line_consume_rel', 'erp.stock_scrap',
          'erp.stock_lot']::regclass[]);
