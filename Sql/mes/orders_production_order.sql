-- Orders to production (ERP -> MES) and order progress (MES -> ERP), MES side: entity
-- production_order, applied into orders_order from the ERP's mrp_production and published back
-- from orders_order with key externalnumber named "name", so both sides name an order
-- {"name": "WH/MO/00012"}. The MES number (ORD-000123) is the MES's own, from its sequence.
--
-- Subscribed with rule forward_only(state) over the request graph mes.orders_request_graph(): a
-- state the ERP sends is a request; the MES accepts a cancel of an order that has not started
-- (05declined) and the close of a completed order, and refuses anything else (a cancel after the
-- start, a start or a close the ERP made itself): refused, logged in erpmes.conflict_log, and the
-- MES's version goes back to the ERP with "$resolved", which mirrors it. ERP-owned fields (product,
-- quantity, dates, priority, lot, BoM) are applied as the ERP sends them; the MES-owned ones
-- (effective dates, done and waste quantities) are never written from an ERP payload.
--
-- mes.orders_order_payload yields the neutral payload of erp.orders_production_payload (see there
-- for the fields) from orders_order, for the orders the ERP released to the MES (those with a row
-- in mes.orders_erp_plan; an MES-only order is not published):
--   product          product.number
--   quantity, unit   plannedquantity in the product's unit; the ERP's where it still converts to
--                    plannedquantity
--   date_start, date_finished, date_deadline   datefrom, dateto, deadline (plant-local) in UTC; the
--                    ERP's where it still shows as that local time (the autumn overlap)
--   priority, lot    priority, batchnumber
--   bom              the ERP's (the MES's technology choice is not a request)
--   state            mes.orders_state_neutral (the ERP's Closed stays Closed on 04completed)
--   effective_start, effective_end   effectivedatefrom, effectivedateto in UTC (a time in the spring
--                    gap moves forward, one in the autumn overlap is the earlier instant)
--   qty_done, qty_waste   donequantity, wastesquantity in the payload's unit
-- A local edit of an ERP-owned field therefore reaches the ERP as a request, which the ERP's
-- owner rule refuses and answers with its own version.
--
-- The apply function writes set-based, after validating every key: unknown product, unit without
-- an MES unit or conversion, unknown state, unparsable timestamp or priority: 'rejected' with a
-- reason naming entity, key, column and value (erpmes puts it in the dead letter). New orders get
-- the ERP's state (a cancelled or closed order the MES never had is not created); a technology is
-- the one whose externalnumber is the BoM id, else the product's master technology. A delete (the
-- ERP order was deleted or went back to draft) removes an order that has not started and has no
-- production records; a started order stays, for the MES to decide.
-- erpmes:requires orders_common.sql

CREATE OR REPLACE FUNCTION mes.orders_order_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH wanted AS (
        SELECT DISTINCT jsonb_build_object('name', k->>'name') AS key, k->>'name' AS name
        FROM unnest(keys) AS k WHERE jsonb_typeof(k->'name') = 'string'
    ), o AS (
        SELECT w.key, x.*, e.vals AS erp, p.id AS pid, p.number AS product, p.unit AS punit,
               -- The unit of the payload: the ERP's where its quantity still converts to
               -- plannedquantity, else the product's.
               CASE WHEN round(mes.orders_convert((e.vals->>'quantity')::numeric, e.vals->>'unit', p.unit, p.id), 5)
                         = x.plannedquantity
                    THEN e.vals->>'unit' ELSE p.unit END AS unit,
               mes.orders_zone() AS zone
        FROM wanted AS w
        JOIN mes.orders_order AS x ON x.externalnumber = w.name
        JOIN mes.orders_erp_plan AS e ON e.order_id = x.id
        JOIN mes.product AS p ON p.id = x.product_id
    )
    SELECT o.key,
        jsonb_build_object(
            'product', o.product,
            'quantity', CASE WHEN o.unit IS NOT DISTINCT FROM o.erp->>'unit'
                              AND round(mes.orders_convert((o.erp->>'quantity')::numeric, o.unit, o.punit, o.pid), 5)
                                  = o.plannedquantity
                             THEN o.erp->'quantity' ELSE to_jsonb(trim_scale(o.plannedquantity)) END,
            'unit', o.unit,
            'date_start', mes.orders_local_to_utc_text(o.datefrom, o.erp->>'date_start', o.zone),
            'date_finished', mes.orders_local_to_utc_text(o.dateto, o.erp->>'date_finished', o.zone),
            'date_deadline', mes.orders_local_to_utc_text(o.deadline, o.erp->>'date_deadline', o.zone),
            'priority', o.priority,
            'lot', o.batchnumber,
            'bom', o.erp->'bom',
            'state', mes.orders_state_neutral(o.state, o.erp->>'state'),
            'effective_start', mes.orders_local_to_utc_text(o.effectivedatefrom, NULL, o.zone),
            'effective_end', mes.orders_local_to_utc_text(o.effectivedateto, NULL, o.zone),
            'qty_done', to_jsonb(trim_scale(round(mes.orders_convert(o.donequantity, o.punit, o.unit, o.pid), 5))),
            'qty_waste', to_jsonb(trim_scale(round(mes.orders_convert(o.wastesquantity, o.punit, o.unit, o.pid), 5))))
    FROM o
$$;
REVOKE ALL ON FUNCTION mes.orders_order_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.orders_order_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.orders_order_payload(jsonb[]) IS
    'Neutral payload of entity production_order as the MES holds it (orders released by the ERP through the link), in the ERP''s vocabulary: UTC, ISA-95 states, the ERP''s units.';

CREATE OR REPLACE FUNCTION mes.orders_order_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    tz text := erpmes.plant_zone(current_setting('erpmes.plant_tz', true));
BEGIN
    -- The zone the payload function reads where the replicator does not set it.
    INSERT INTO mes.orders_plant_zone AS z (singleton, zone) VALUES (true, tz)
    ON CONFLICT (singleton) DO UPDATE SET zone = EXCLUDED.zone, seen_at = now() WHERE z.zone IS DISTINCT FROM EXCLUDED.zone;
    -- The state-change history names who moved an order.
    PERFORM set_config('mes.worker', 'erpmes', true);

    CREATE TEMP TABLE IF NOT EXISTS orders_order_in (
        key jsonb, op "char", payload jsonb, name text,
        order_id bigint, cur_state text, cur_product bigint,
        agreed jsonb,                             -- mes.orders_erp_plan before the apply
        product_id bigint, unit text, quantity numeric, planned numeric, punit text,
        datefrom timestamp, dateto timestamp, deadline timestamp,
        new_state text, set_state boolean NOT NULL DEFAULT false, technology_id bigint,
        problem text, note text, written boolean NOT NULL DEFAULT false, added boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    TRUNCATE orders_order_in;

    INSERT INTO orders_order_in (key, op, payload, name, order_id, cur_state, cur_product, agreed)
    SELECT b.key, b.op, b.payload, b.key->>'name', o.id, o.state, o.product_id, e.vals
    FROM pg_temp.erpmes_batch AS b
    LEFT JOIN mes.orders_order AS o ON o.externalnumber = b.key->>'name'
    LEFT JOIN mes.orders_erp_plan AS e ON e.order_id = o.id;

    -- What each field becomes. An update carries only the fields that changed: the others are
    -- the ones the ERP sent before.
    UPDATE orders_order_in AS i SET
        product_id = CASE WHEN i.payload ? 'product' THEN (SELECT p.id FROM mes.product AS p WHERE p.number = i.payload->>'product')
                          ELSE i.cur_product END,
        unit = coalesce(i.payload->>'unit', i.agreed->>'unit'),
        quantity = CASE WHEN jsonb_typeof(coalesce(i.payload->'quantity', i.agreed->'quantity')) = 'number'
                        THEN (coalesce(i.payload->'quantity', i.agreed->'quantity') #>> '{}')::numeric END,
        datefrom = erpmes.utc_to_local(mes.orders_utc_parse(i.payload->>'date_start'), tz),
        dateto = erpmes.utc_to_local(mes.orders_utc_parse(i.payload->>'date_finished'), tz),
        deadline = erpmes.utc_to_local(mes.orders_utc_parse(i.payload->>'date_deadline'), tz),
        new_state = CASE WHEN i.payload ? 'state' THEN erpmes.try_map_value('orders_isa_to_mes_state', i.payload->>'state') END
    WHERE i.op = 'U';
    UPDATE orders_order_in AS i SET
        punit = p.unit,
        planned = round(mes.orders_convert(i.quantity, i.unit, p.unit, p.id), 5)
    FROM mes.product AS p
    WHERE p.id = i.product_id AND i.op = 'U';

    -- Validate set-based: the first problem of each key, naming the column and the value.
    UPDATE orders_order_in AS i SET problem = 'production_order ' || i.key::text || ': ' || CASE
        WHEN i.order_id IS NULL AND NOT i.payload ?& ARRAY['product', 'quantity', 'unit', 'state'] THEN
            'a new order needs product, quantity, unit and state; the payload has ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(i.payload) AS k)
        WHEN i.payload ? 'product' AND i.payload->>'product' IS NULL THEN
            'product is NULL (column product_product.default_code): the MES knows products by number'
        WHEN i.product_id IS NULL THEN
            format('product %s is not an MES product (column product_product.default_code = mes.product.number)',
                   quote_literal(i.payload->>'product'))
        WHEN (i.order_id IS NULL OR i.payload ?| ARRAY['quantity', 'unit', 'product'])
             AND (i.unit IS NULL OR NOT EXISTS (SELECT FROM mes.unit AS u WHERE u.code = i.unit)) THEN
            format('unit %s is not an MES unit (column product_template.uom_id, value map orders_uom_to_mes)',
                   coalesce(quote_literal(i.unit), 'NULL'))
        WHEN (i.order_id IS NULL OR i.payload ?| ARRAY['quantity', 'unit', 'product']) AND (i.quantity IS NULL OR i.quantity < 0) THEN
            format('quantity %s is not a quantity (column mrp_production.product_qty)', coalesce(i.payload->>'quantity', 'NULL'))
        WHEN (i.order_id IS NULL OR i.payload ?| ARRAY['quantity', 'unit', 'product']) AND i.punit IS NULL THEN
            format('product %s has no unit (column mes.product.unit)', quote_literal(i.payload->>'product'))
        WHEN (i.order_id IS NULL OR i.payload ?| ARRAY['quantity', 'unit', 'product']) AND i.planned IS NULL THEN
            format('no conversion from unit %s to the product''s unit %s (column mrp_production.product_uom_id, table mes.unit_conversion)',
                   quote_literal(i.unit), quote_literal(i.punit))
        WHEN (i.order_id IS NULL OR i.payload ?| ARRAY['quantity', 'unit', 'product']) AND i.planned >= 1000000000 THEN
            format('quantity %s %s does not fit orders_order.plannedquantity', i.planned, i.punit)
        WHEN jsonb_typeof(i.payload->'date_start') = 'string' AND i.datefrom IS NULL THEN
            format('date_start %s is not a UTC timestamp (column mrp_production.date_start)', i.payload->'date_start')
        WHEN jsonb_typeof(i.payload->'date_finished') = 'string' AND i.dateto IS NULL THEN
            format('date_finished %s is not a UTC timestamp (column mrp_production.date_finished)', i.payload->'date_finished')
        WHEN jsonb_typeof(i.payload->'date_deadline') = 'string' AND i.deadline IS NULL THEN
            format('date_deadline %s is not a UTC timestamp (column mrp_production.date_deadline)', i.payload->'date_deadline')
        WHEN i.payload ? 'priority' AND NOT (jsonb_typeof(i.payload->'priority') = 'number'
                                             AND (i.payload->>'priority') ~ '^-?\d{1,9}$') THEN
            format('priority %s is not an MES priority (column mrp_production.priority, value map orders_priority)', i.payload->'priority')
        WHEN i.payload ? 'state' AND i.new_state IS NULL THEN
            format('state %s has no MES order state (column mrp_production.state, value map orders_isa_to_mes_state)',
                   coalesce(quote_literal(i.payload->>'state'), 'NULL'))
        END
    WHERE i.op = 'U';

    -- The state: a new order takes the ERP's; an existing one moves only along the request graph
    -- (the forward_only rule has refused the rest before this runs; this also holds an order the
    -- MES had before the ERP released it, and "$resolved" versions).
    UPDATE orders_order_in AS i SET
        set_state = i.payload ? 'state' AND i.new_state IS DISTINCT FROM i.cur_state
                    AND (i.order_id IS NULL
                         OR erpmes.reachable_state(mes.orders_request_graph(),
                                                   mes.orders_state_neutral(i.cur_state, i.agreed->>'state'),
                                                   i.payload->>'state')),
        technology_id = CASE WHEN i.order_id IS NULL OR i.payload ? 'bom' OR i.payload ? 'product' THEN coalesce(
            (SELECT min(t.id) FROM mes.technology AS t
             WHERE t.externalnumber = coalesce(i.payload->>'bom', i.agreed->>'bom') AND t.product_id = i.product_id),
            (SELECT min(t.id) FROM mes.technology AS t WHERE t.product_id = i.product_id AND t.master)) END,
        note = CASE WHEN i.order_id IS NULL AND i.payload->>'state' IN ('Cancelled', 'Aborted', 'Closed')
                    THEN format('not released to the MES: the ERP order is %s', i.payload->>'state') END
    WHERE i.op = 'U' AND i.problem IS NULL;

    -- Deletes: an order that has not started and has nothing recorded against it goes.
    WITH gone AS (
        DELETE FROM mes.orders_order AS o
        USING orders_order_in AS i
        WHERE i.op = 'D' AND o.id = i.order_id AND o.state IN ('01pending', '02accepted', '05declined')
          AND NOT EXISTS (SELECT FROM mes.productiontracking AS t WHERE t.order_id = o.id)
          AND NOT EXISTS (SELECT FROM mes.stoppage AS s WHERE s.order_id = o.id)
          AND NOT EXISTS (SELECT FROM mes.quality_control AS q WHERE q.order_id = o.id)
          AND NOT EXISTS (SELECT FROM mes.equipment_state_history AS e WHERE e.order_id = o.id)
        RETURNING o.id
    )
    UPDATE orders_order_in AS i SET written = true FROM gone AS g WHERE g.id = i.order_id AND i.op = 'D';

    -- Updates, in key order, only where a value changes.
    WITH changed AS (
        UPDATE mes.orders_order AS o SET
            product_id = i.product_id,
            technology_id = CASE WHEN i.payload ? 'bom' OR i.payload ? 'product' THEN i.technology_id ELSE o.technology_id END,
            plannedquantity = CASE WHEN i.payload ?| ARRAY['quantity', 'unit', 'product'] THEN i.planned ELSE o.plannedquantity END,
            datefrom = CASE WHEN i.payload ? 'date_start' THEN i.datefrom ELSE o.datefrom END,
            dateto = CASE WHEN i.payload ? 'date_finished' THEN i.dateto ELSE o.dateto END,
            deadline = CASE WHEN i.payload ? 'date_deadline' THEN i.deadline ELSE o.deadline END,
            priority = CASE WHEN i.payload ? 'priority' THEN (i.payload->>'priority')::integer ELSE o.priority END,
            batchnumber = CASE WHEN i.payload ? 'lot' THEN i.payload->>'lot' ELSE o.batchnumber END,
            state = CASE WHEN i.set_state THEN i.new_state ELSE o.state END,
            externalsynchronized = true,
            entityversion = o.entityversion + 1
        FROM (SELECT * FROM orders_order_in WHERE op = 'U' AND order_id IS NOT NULL AND problem IS NULL ORDER BY order_id) AS i
        WHERE o.id = i.order_id
          AND (o.product_id IS DISTINCT FROM i.product_id
               OR ((i.payload ? 'bom' OR i.payload ? 'product') AND o.technology_id IS DISTINCT FROM i.technology_id)
               OR (i.payload ?| ARRAY['quantity', 'unit', 'product'] AND o.plannedquantity IS DISTINCT FROM i.planned)
               OR (i.payload ? 'date_start' AND o.datefrom IS DISTINCT FROM i.datefrom)
               OR (i.payload ? 'date_finished' AND o.dateto IS DISTINCT FROM i.dateto)
               OR (i.payload ? 'date_deadline' AND o.deadline IS DISTINCT FROM i.deadline)
               OR (i.payload ? 'priority' AND o.priority IS DISTINCT FROM (i.payload->>'priority')::integer)
               OR (i.payload ? 'lot' AND o.batchnumber IS DISTINCT FROM i.payload->>'lot')
               OR (i.set_state AND o.state IS DISTINCT FROM i.new_state)
               OR NOT o.externalsynchronized)
        RETURNING o.id
    )
    UPDATE orders_order_in AS i SET written = true FROM changed AS c WHERE c.id = i.order_id AND i.op = 'U';

    -- New orders, numbered by the MES.
    WITH added AS (
        INSERT INTO mes.orders_order (externalnumber, name, externalsynchronized, product_id, technology_id,
                                      plannedquantity, datefrom, dateto, deadline, state, priority, batchnumber)
        SELECT i.name, i.name, true, i.product_id, i.technology_id, i.planned, i.datefrom, i.dateto, i.deadline,
               i.new_state, (i.payload->>'priority')::integer, i.payload->>'lot'
        FROM orders_order_in AS i
        WHERE i.op = 'U' AND i.order_id IS NULL AND i.problem IS NULL AND i.note IS NULL
        ORDER BY i.name
        RETURNING orders_order.id, orders_order.externalnumber
    )
    UPDATE orders_order_in AS i SET written = true, added = true, order_id = a.id
    FROM added AS a WHERE a.externalnumber = i.name AND i.op = 'U';

    -- What the ERP sent, as far as the MES took it: its fields, and the state where the MES holds it.
    INSERT INTO mes.orders_erp_plan AS e (order_id, vals)
    SELECT i.order_id, x.vals
    FROM orders_order_in AS i
    CROSS JOIN LATERAL (
        SELECT (coalesce(i.agreed, '{}') - 'state')
               || (SELECT coalesce(jsonb_object_agg(f.k, f.v), '{}') FROM jsonb_each(i.payload) AS f(k, v)
                   WHERE f.k IN ('product', 'quantity', 'unit', 'date_start', 'date_finished', 'date_deadline',
                                 'priority', 'lot', 'bom'))
               || CASE WHEN i.payload ? 'state' AND (i.set_state OR i.added OR i.new_state = i.cur_state)
                       THEN jsonb_build_object('state', i.payload->'state')
                       WHEN i.agreed ? 'state' THEN jsonb_build_object('state', i.agreed->'state')
                       ELSE '{}' END AS vals
    ) AS x
    WHERE i.op = 'U' AND i.order_id IS NOT NULL AND i.problem IS NULL AND x.vals IS DISTINCT FROM i.agreed
    ORDER BY i.order_id
    ON CONFLICT (order_id) DO UPDATE SET vals = EXCLUDED.vals, updated_at = now();

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.problem IS NOT NULL THEN 'rejected' WHEN i.written THEN 'applied' ELSE 'skipped' END,
           coalesce(i.problem, i.note, CASE
               WHEN i.op = 'T' THEN 'the ERP truncated its orders: the MES keeps its orders'
               WHEN i.op = 'D' AND i.order_id IS NULL THEN 'no MES order to remove'
               WHEN i.op = 'D' AND NOT i.written THEN format('MES order for %s has started or has records (state %s): the MES keeps it',
                                                            i.name, i.cur_state)
               WHEN NOT i.written THEN 'nothing to change' END)
    FROM orders_order_in AS i;
END $$;
REVOKE ALL ON FUNCTION mes.orders_order_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.orders_order_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.orders_order_apply() IS
    'Apply function of production_order from the ERP: validates set-based, creates and updates orders_order (ERP-owned fields; state along the request graph), removes orders that have not started.';

SELECT erpmes.publish('production_order', 'mes.orders_order', ARRAY['externalnumber'], 'mes.orders_order_payload(jsonb[])',
    '[]'::jsonb, ARRAY['name']);

SELECT erpmes.subscribe('production_order', 'mes.orders_order_apply()', 'forward_only(state)', '{}'::jsonb, 20,
    jsonb_build_object('graph', mes.orders_request_graph()),
    ARRAY['mes.orders_order', 'mes.orders_erp_plan', 'mes.orders_plant_zone']::regclass[]);
