-- Orders to production (ERP -> MES), ERP side: entity work_order, published from mrp_workorder
-- with key {"id": mrp_workorder.id}, one way: the MES turns each into an operational task of its
-- order (mes.orders_work_order_apply). The MES keeps the ERP id in operationaltask.externalnumber.
--
-- Neutral payload:
--   production     the manufacturing order's name (the production_order key)
--   name           mrp_workorder.name (the operation's name)
--   sequence       mrp_workorder.sequence
--   workcenter     mrp_workcenter.code (= mes.workstation.number); NULL: the MES rejects
--   operation      operation_id as text: the routing operation (mrp_routing_workcenter.id), which
--                  the MES finds as the technology operation whose externalnumber it is
--   state          ISA-95 (orders_workorder_state): pending/waiting -> Waiting, ready -> Ready,
--                  progress -> Running, done -> Completed, cancel -> Cancelled. The MES owns the
--                  progress of a task; it acts only on a cancel of a task that has not started.
--   date_start, date_finished   planned start and end, UTC
--   $depends       the production_order, so a task waits while its order is in the MES's dead letter
-- Work orders of draft orders are absent. A change of an order's state or of a work center's code
-- re-publishes the work orders concerned.
-- erpmes:requires orders_common.sql

CREATE OR REPLACE FUNCTION erp.orders_work_order_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', wo.id),
        jsonb_build_object(
            'production', mo.name,
            'name', wo.name,
            'sequence', wo.sequence,
            'workcenter', wc.code,
            'operation', wo.operation_id::text,
            'state', coalesce(erpmes.try_map_value('orders_workorder_state', wo.state), wo.state),
            'date_start', erp.orders_utc_text(wo.date_start),
            'date_finished', erp.orders_utc_text(wo.date_finished),
            '$depends', jsonb_build_array(jsonb_build_object(
                'entity', 'production_order', 'key', jsonb_build_object('name', mo.name))))
    FROM erp.mrp_workorder AS wo
    JOIN erp.mrp_production AS mo ON mo.id = wo.production_id
    JOIN erp.mrp_workcenter AS wc ON wc.id = wo.workcenter_id
    WHERE wo.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k WHERE jsonb_typeof(k->'id') = 'number')
      AND coalesce(mo.state, 'draft') <> 'draft'
$$;
REVOKE ALL ON FUNCTION erp.orders_work_order_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.orders_work_order_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.orders_work_order_payload(jsonb[]) IS
    'Neutral payload of entity work_order (work orders of non-draft manufacturing orders): order, operation, work center code, ISA-95 state, planned dates in UTC.';

SELECT erpmes.publish('work_order', 'erp.mrp_workorder', ARRAY['id'], 'erp.orders_work_order_payload(jsonb[])',
    $json$[{"table": "erp.mrp_production",
            "keys": "SELECT jsonb_build_object('id', w.id) FROM erp.mrp_workorder AS w JOIN changed AS c ON w.production_id = c.id"},
           {"table": "erp.mrp_workcenter",
            "keys": "SELECT jsonb_build_object('id', w.id) FROM erp.mrp_workorder AS w JOIN changed AS c ON w.workcenter_id = c.id JOIN erp.mrp_production AS m ON m.id = w.production_id WHERE m.state IN ('confirmed', 'progress', 'to_close')"}]$json$::jsonb);
