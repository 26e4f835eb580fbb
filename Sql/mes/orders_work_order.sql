-- Orders to production (ERP -> MES), MES side: entity work_order, the ERP's mrp_workorder applied
-- as operationaltask of its order (one way, source_wins: the MES does not publish tasks back). The
-- payload is described in Sql/erp/orders_work_order.sql. The task keeps the ERP id in
-- externalnumber and gets an MES number (OT-000123).
--
-- Lookups, validated set-based before anything is written ('rejected' with a reason naming the
-- entity, key, column and value, which erpmes puts in the dead letter):
--   order_id                 orders_order.externalnumber = production (a task whose order is in the
--                            dead letter waits there too: $depends)
--   workstation_id           workstation.number = workcenter (mrp_workcenter.code)
--   technology_operation_id  the operation of the order's technology whose externalnumber is the
--                            routing operation's id; else the operation of that technology on the
--                            workstation; else one on the workstation in another technology of the
--                            product (the master technology first). None: rejected, the task
--                            cannot be planned in the MES without a technology.
-- The MES owns a task's progress: an existing task's state changes only when the ERP cancels a
-- task that has not started (01pending -> 04rejected). New tasks start 01pending; a cancelled or
-- finished work order the MES never had is not created. A deleted work order removes its task
-- while it is 01pending or 04rejected; a started task stays.
-- erpmes:requires orders_common.sql
-- erpmes:requires orders_production_order.sql

CREATE OR REPLACE FUNCTION mes.orders_work_order_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    tz text := erpmes.plant_zone(current_setting('erpmes.plant_tz', true));
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS orders_task_in (
        key jsonb, op "char", payload jsonb, erp_id text,
        task_id bigint, cur_state text,
        order_id bigint, technology_id bigint, product_id bigint, workstation_id bigint, operation_id bigint,
        startdate timestamp, finishdate timestamp,
        problem text, note text, written boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    TRUNCATE orders_task_in;

    INSERT INTO orders_task_in (key, op, payload, erp_id, task_id, cur_state)
    SELECT b.key, b.op, b.payload, b.key->>'id', t.id, t.state
    FROM pg_temp.erpmes_batch AS b
    LEFT JOIN LATERAL (
        SELECT x.id, x.state FROM mes.operationaltask AS x
        WHERE x.externalnumber = b.key->>'id' AND x.externalnumber IS NOT NULL ORDER BY x.id LIMIT 1
    ) AS t ON true;

    UPDATE orders_task_in AS i SET
        order_id = (SELECT o.id FROM mes.orders_order AS o WHERE o.externalnumber = i.payload->>'production'),
        workstation_id = (SELECT w.id FROM mes.workstation AS w WHERE w.number = i.payload->>'workcenter'),
        startdate = erpmes.utc_to_local(mes.orders_utc_parse(i.payload->>'date_start'), tz),
        finishdate = erpmes.utc_to_local(mes.orders_utc_parse(i.payload->>'date_finished'), tz)
    WHERE i.op = 'U';
    UPDATE orders_task_in AS i SET technology_id = o.technology_id, product_id = o.product_id
    FROM mes.orders_order AS o WHERE o.id = i.order_id AND i.op = 'U';
    UPDATE orders_task_in AS i SET operation_id = coalesce(
        (SELECT min(x.id) FROM mes.technology_operation AS x
         WHERE x.technology_id = i.technology_id AND x.externalnumber = i.payload->>'operation'),
        (SELECT min(x.id) FROM mes.technology_operation AS x
         WHERE x.technology_id = i.technology_id AND x.workstation_id = i.workstation_id),
        (SELECT x.id FROM mes.technology_operation AS x JOIN mes.technology AS t ON t.id = x.technology_id
         WHERE t.product_id = i.product_id AND x.workstation_id = i.workstation_id
         ORDER BY t.master DESC, x.externalnumber IS NOT DISTINCT FROM i.payload->>'operation' DESC, t.id, x.id LIMIT 1))
    WHERE i.op = 'U' AND i.order_id IS NOT NULL AND i.workstation_id IS NOT NULL;

    UPDATE orders_task_in AS i SET problem = 'work_order ' || i.key::text || ': ' || CASE
        WHEN i.payload->>'production' IS NULL THEN
            'production is NULL (column mrp_workorder.production_id)'
        -- A finished or cancelled work order of an order the MES never had: nothing to plan (skipped).
        WHEN i.order_id IS NULL AND i.task_id IS NULL AND i.payload->>'state' IN ('Completed', 'Cancelled') THEN NULL
        WHEN i.order_id IS NULL THEN
            format('order %s is not in the MES (column mrp_workorder.production_id = orders_order.externalnumber)',
                   quote_literal(i.payload->>'production'))
        WHEN i.payload->>'workcenter' IS NULL THEN
            'workcenter is NULL (column mrp_workcenter.code): the MES knows workstations by number'
        WHEN i.workstation_id IS NULL THEN
            format('workcenter %s is not an MES workstation (column mrp_workcenter.code = workstation.number)',
                   quote_literal(i.payload->>'workcenter'))
        WHEN i.operation_id IS NULL THEN
            format('no technology plans it: product %s has no technology with an operation on workstation %s (column mrp_workorder.operation_id = %s)',
                   coalesce(quote_literal((SELECT p.number FROM mes.product AS p WHERE p.id = i.product_id)), 'NULL'),
                   quote_literal(i.payload->>'workcenter'), coalesce(i.payload->>'operation', 'NULL'))
        WHEN jsonb_typeof(i.payload->'date_start') = 'string' AND i.startdate IS NULL THEN
            format('date_start %s is not a UTC timestamp (column mrp_workorder.date_start)', i.payload->'date_start')
        WHEN jsonb_typeof(i.payload->'date_finished') = 'string' AND i.finishdate IS NULL THEN
            format('date_finished %s is not a UTC timestamp (column mrp_workorder.date_finished)', i.payload->'date_finished')
        WHEN i.payload->>'state' IS NULL OR i.payload->>'state' NOT IN ('Waiting', 'Ready', 'Running', 'Completed', 'Cancelled') THEN
            format('state %s is not a work order state the MES knows (column mrp_workorder.state, value map orders_workorder_state)',
                   coalesce(quote_literal(i.payload->>'state'), 'NULL'))
        END
    WHERE i.op = 'U';
    UPDATE orders_task_in AS i SET note = format('not planned in the MES: the ERP work order is %s', i.payload->>'state')
    WHERE i.op = 'U' AND i.problem IS NULL AND i.task_id IS NULL AND i.payload->>'state' IN ('Completed', 'Cancelled');

    WITH gone AS (
        DELETE FROM mes.operationaltask AS t USING orders_task_in AS i
        WHERE i.op = 'D' AND t.id = i.task_id AND t.state IN ('01pending', '04rejected')
        RETURNING t.id
    )
    UPDATE orders_task_in AS i SET written = true FROM gone AS g WHERE g.id = i.task_id AND i.op = 'D';

    WITH changed AS (
        UPDATE mes.operationaltask AS t SET
            name = i.payload->>'name', order_id = i.order_id, technology_operation_id = i.operation_id,
            workstation_id = i.workstation_id, startdate = i.startdate, finishdate = i.finishdate,
            state = CASE WHEN i.payload->>'state' = 'Cancelled' AND t.state = '01pending' THEN '04rejected' ELSE t.state END,
            entityversion = t.entityversion + 1
        FROM (SELECT * FROM orders_task_in WHERE op = 'U' AND task_id IS NOT NULL AND problem IS NULL ORDER BY task_id) AS i
        WHERE t.id = i.task_id
          AND (t.name IS DISTINCT FROM i.payload->>'name' OR t.order_id IS DISTINCT FROM i.order_id
               OR t.technology_operation_id IS DISTINCT FROM i.operation_id OR t.workstation_id IS DISTINCT FROM i.workstation_id
               OR t.startdate IS DISTINCT FROM i.startdate OR t.finishdate IS DISTINCT FROM i.finishdate
               OR (i.payload->>'state' = 'Cancelled' AND t.state = '01pending'))
        RETURNING t.id
    )
    UPDATE orders_task_in AS i SET written = true FROM changed AS c WHERE c.id = i.task_id AND i.op = 'U';

    WITH added AS (
        INSERT INTO mes.operationaltask (name, order_id, technology_operation_id, workstation_id, state, startdate,
                                         finishdate, externalnumber)
        SELECT i.payload->>'name', i.order_id, i.operation_id, i.workstation_id, '01pending', i.startdate, i.finishdate,
               i.erp_id
        FROM orders_task_in AS i
        WHERE i.op = 'U' AND i.task_id IS NULL AND i.problem IS NULL AND i.note IS NULL
        ORDER BY i.erp_id
        RETURNING operationaltask.externalnumber
    )
    UPDATE orders_task_in AS i SET written = true FROM added AS a WHERE a.externalnumber = i.erp_id AND i.op = 'U';

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.problem IS NOT NULL THEN 'rejected' WHEN i.written THEN 'applied' ELSE 'skipped' END,
           coalesce(i.problem, i.note, CASE
               WHEN i.op = 'T' THEN 'the ERP truncated its work orders: the MES keeps its tasks'
               WHEN i.op = 'D' AND i.task_id IS NULL THEN 'no MES task to remove'
               WHEN i.op = 'D' AND NOT i.written THEN format('the task has started (state %s): the MES keeps it', i.cur_state)
               WHEN NOT i.written THEN 'nothing to change' END)
    FROM orders_task_in AS i;
END $$;
REVOKE ALL ON FUNCTION mes.orders_work_order_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.orders_work_order_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.orders_work_order_apply() IS
    'Apply function of work_order from the ERP: validates set-based, creates and updates operationaltask (ERP-planned fields; a cancel of a pending task), removes tasks that have not started.';

SELECT erpmes.subscribe('work_order', 'mes.orders_work_order_apply()', 'source_wins', '{}'::jsonb, 21, '{}'::jsonb,
    ARRAY['mes.operationaltask']::regclass[]);
