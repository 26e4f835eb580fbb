-- Orders to production (ERP -> MES) and order progress (MES -> ERP), ERP side: entity
-- production_order, published from mrp_production with key {"name": "WH/MO/00012"} and subscribed
-- back from the MES, which publishes orders_order under the same key (externalnumber as "name").
--
-- Ownership (ISA-95 Part 5): the ERP owns what is planned, the product, quantity, planned dates,
-- due date, priority, lot and BoM, and the row itself; the MES owns how production goes: the
-- states 03inProgress/06interrupted/04completed, the effective dates and the done and waste
-- quantities. The state is shared by requests: the ERP releases an order (confirmed), asks to
-- cancel it (cancel) and closes it (done); the MES accepts, runs, interrupts, completes, declines
-- or abandons it. Here, subscribed with rule owner: a change the MES makes to an ERP-owned field
-- is a request, refused and logged in erpmes.conflict_log, and the ERP's version is sent back.
--
-- Neutral payload (the MES side's mes.orders_order_payload yields the same fields, so an order
-- both sides agree on has one payload and an apply's echo is recognised):
--   product          product_product.default_code (= mes.product.number); NULL: the MES rejects
--   quantity, unit   product_qty converted from the order's unit (product_uom_id) to the product's
--                    stock unit (product_template.uom_id) the way Odoo does (qty / from.factor *
--                    to.factor, rounded UP to the stock unit's rounding, then to 5 decimals), unit
--                    mapped to an MES code by orders_uom_to_mes (an unmapped unit travels by its
--                    ERP name and the MES rejects it). When the two units are of different
--                    categories, product_qty travels in the order's own unit and the MES decides.
--   date_start, date_finished   planned start and end, UTC. Stock Odoo 17 overwrites date_start
--                    with the real start when production starts; this pack does not: the plan stays
--                    the plan, and the MES's effective dates are kept beside it in
--                    erp.orders_mes_progress (report.production_order_plan_actual compares the two)
--   date_deadline    due date, UTC
--   priority         orders_priority: '1' (urgent) -> 10, '0' or NULL -> 100
--   lot              stock_lot.name of lot_producing_id (the MES batchnumber)
--   bom              bom_id as text (the MES technology whose externalnumber it is)
--   state            ISA-95: orders_erp_state_to_isa of mrp_production.state; where the state the
--                    MES last reported maps to the same Odoo state (Ready and Released are both
--                    confirmed, Held and Running both progress, Aborted and Cancelled both cancel),
--                    that finer state is kept, so the ERP never reports a change it did not make
--   effective_start, effective_end, qty_done, qty_waste   the MES's, as it last reported them
--                    (erp.orders_mes_progress): the ERP publishes only what it owns, so a converted
--                    value never comes back changed; NULL, NULL, 0, 0 before the MES reported
-- Draft orders are not published (a draft is absent: an order going back to draft or deleted is a
-- delete for the MES). Changes of a variant's default_code re-publish its open orders.
--
-- The apply function (MES -> ERP) mirrors what the MES owns: state (orders_isa_to_erp_state,
-- forward only: confirmed -> progress -> to_close; a move back is rejected to the dead letter; an
-- order the ERP cancelled or closed keeps that state until the MES decides the request, i.e. sends
-- its version with "$resolved"), qty_producing <- qty_done converted to the order's unit (Odoo's
-- rounding), and keeps what the MES reported (effective dates included) in erp.orders_mes_progress.
-- It never writes an ERP-owned field: the planned dates are the ERP's.
-- erpmes:requires orders_common.sql

CREATE OR REPLACE FUNCTION erp.orders_production_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH wanted AS (
        SELECT DISTINCT k->>'name' AS name FROM unnest(keys) AS k WHERE jsonb_typeof(k->'name') = 'string'
    ), mo AS (
        -- name is unique per company; the key names one order, the first one that is not a draft.
        SELECT DISTINCT ON (m.name) m.*
        FROM erp.mrp_production AS m JOIN wanted AS w ON w.name = m.name
        WHERE coalesce(m.state, 'draft') <> 'draft'
        ORDER BY m.name, m.id
    )
    SELECT jsonb_build_object('name', mo.name),
        jsonb_build_object(
            'product', pp.default_code,
            'quantity', CASE WHEN mu.category_id = tu.category_id
                             THEN trim_scale(round(erpmes.odoo_uom_factor(mo.product_qty, mu.factor, tu.factor,
                                                                          tu.rounding, 'up'), 5))
                             ELSE trim_scale(mo.product_qty) END,
            'unit', CASE WHEN mu.category_id = tu.category_id
                         THEN coalesce(erpmes.try_map_value('orders_uom_to_mes', tu.name->>'en_US'), tu.name->>'en_US')
                         ELSE coalesce(erpmes.try_map_value('orders_uom_to_mes', mu.name->>'en_US'), mu.name->>'en_US') END,
            'date_start', erp.orders_utc_text(mo.date_start),
            'date_finished', erp.orders_utc_text(mo.date_finished),
            'date_deadline', erp.orders_utc_text(mo.date_deadline),
            'priority', coalesce(to_jsonb(erpmes.try_map_value('orders_priority', coalesce(mo.priority, '0'))::integer),
                                 to_jsonb(mo.priority)),
            'lot', lot.name,
            'bom', mo.bom_id::text,
            'state', CASE WHEN erpmes.try_map_value('orders_isa_to_erp_state', r.vals->>'state') = mo.state
                          THEN r.vals->>'state'
                          ELSE coalesce(erpmes.try_map_value('orders_erp_state_to_isa', mo.state), mo.state) END,
            'effective_start', r.vals->'effective_start',
            'effective_end', r.vals->'effective_end',
            'qty_done', coalesce(r.vals->'qty_done', '0'),
            'qty_waste', coalesce(r.vals->'qty_waste', '0'))
    FROM mo
    JOIN erp.product_product AS pp ON pp.id = mo.product_id
    JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
    JOIN erp.uom_uom AS mu ON mu.id = mo.product_uom_id
    JOIN erp.uom_uom AS tu ON tu.id = pt.uom_id
    LEFT JOIN erp.stock_lot AS lot ON lot.id = mo.lot_producing_id
    LEFT JOIN erp.orders_mes_progress AS r ON r.production_id = mo.id
$$;
REVOKE ALL ON FUNCTION erp.orders_production_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.orders_production_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.orders_production_payload(jsonb[]) IS
    'Neutral payload of entity production_order as the ERP holds it (non-draft manufacturing orders by name): ERP-owned fields from mrp_production, MES-owned ones as the MES last reported them.';

-- Odoo's manufacturing order states in the order they move (cancel and done end an order).
CREATE OR REPLACE FUNCTION erp.orders_state_rank(state text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE state WHEN 'confirmed' THEN 1 WHEN 'progress' THEN 2 WHEN 'to_close' THEN 3 END;
COMMENT ON FUNCTION erp.orders_state_rank(text) IS
    'Rank of a running manufacturing order state (confirmed 1, progress 2, to_close 3); NULL for done, cancel and draft.';

CREATE OR REPLACE FUNCTION erp.orders_production_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS orders_production_in (
        key jsonb, op "char", payload jsonb, name text, resolved boolean,
        mo_id integer, cur_state text, cur_start timestamp, cur_finished timestamp, mo_uom integer,
        mo_category integer, said jsonb,          -- erp.orders_mes_progress before the apply
        unit text,                                -- the order's neutral unit (the payload's, else ours)
        new_state text, set_state boolean NOT NULL DEFAULT false, keep_state boolean NOT NULL DEFAULT false,
        eff_start timestamp, eff_end timestamp, uom_id integer, qty_done numeric,
        date_start timestamp, date_finished timestamp, qty_producing numeric, said_new jsonb,
        problem text, written boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    TRUNCATE orders_production_in;

    INSERT INTO orders_production_in (key, op, payload, name, resolved, mo_id, cur_state, cur_start, cur_finished,
                                      mo_uom, mo_category, said)
    SELECT b.key, b.op, b.payload, b.key->>'name', coalesce(b.payload ? '$resolved', false),
           mo.id, mo.state, mo.date_start, mo.date_finished, mo.product_uom_id, u.category_id, r.vals
    FROM pg_temp.erpmes_batch AS b
    LEFT JOIN LATERAL (
        SELECT m.id, m.state, m.date_start, m.date_finished, m.product_uom_id FROM erp.mrp_production AS m
        WHERE m.name = b.key->>'name' AND coalesce(m.state, 'draft') <> 'draft'
        ORDER BY m.id LIMIT 1
    ) AS mo ON true
    LEFT JOIN erp.uom_uom AS u ON u.id = mo.product_uom_id
    LEFT JOIN erp.orders_mes_progress AS r ON r.production_id = mo.id;

    -- What each field the MES sent becomes. Quantities are in the payload's unit, which an update
    -- carries only when it changed: else it is the one this side publishes.
    UPDATE orders_production_in AS i SET
        unit = coalesce(i.payload->>'unit', p.payload->>'unit'),
        new_state = CASE WHEN i.payload ? 'state' THEN erpmes.try_map_value('orders_isa_to_erp_state', i.payload->>'state') END,
        eff_start = erp.orders_utc_parse(i.payload->>'effective_start'),
        eff_end = erp.orders_utc_parse(i.payload->>'effective_end'),
        qty_done = CASE WHEN jsonb_typeof(i.payload->'qty_done') = 'number' THEN (i.payload->>'qty_done')::numeric END
    FROM erp.orders_production_payload(ARRAY(SELECT x.key FROM orders_production_in AS x
                                             WHERE x.op = 'U' AND x.mo_id IS NOT NULL)) AS p
    WHERE p.key = i.key AND i.op = 'U' AND i.mo_id IS NOT NULL;
    UPDATE orders_production_in AS i SET uom_id = (
        SELECT min(u.id) FROM erp.uom_uom AS u
        JOIN erpmes.value_map AS v ON v.map = 'orders_uom_to_mes' AND v.from_value = u.name->>'en_US'
        WHERE v.to_value = i.unit AND u.category_id = i.mo_category)
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL AND i.payload ? 'qty_done';

    -- Validate set-based: the first problem of each key, naming the column and the value.
    UPDATE orders_production_in AS i SET problem = 'production_order ' || i.key::text || ': ' || CASE
        WHEN i.payload ? 'state' AND i.new_state IS NULL THEN
            format('state %s has no manufacturing order state (column orders_order.state, value map orders_isa_to_erp_state)',
                   coalesce(quote_literal(i.payload->>'state'), 'NULL'))
        WHEN NOT i.resolved AND i.new_state IS DISTINCT FROM i.cur_state
             AND erp.orders_state_rank(i.new_state) < erp.orders_state_rank(i.cur_state) THEN
            format('state may only move forward: %s (column orders_order.state) would move mrp_production %s back from %s to %s',
                   i.payload->>'state', i.name, i.cur_state, i.new_state)
        WHEN jsonb_typeof(i.payload->'effective_start') NOT IN ('null') AND i.eff_start IS NULL THEN
            format('effective_start %s is not a UTC timestamp (column orders_order.effectivedatefrom)', i.payload->'effective_start')
        WHEN jsonb_typeof(i.payload->'effective_end') NOT IN ('null') AND i.eff_end IS NULL THEN
            format('effective_end %s is not a UTC timestamp (column orders_order.effectivedateto)', i.payload->'effective_end')
        WHEN i.payload ? 'qty_done' AND (i.qty_done IS NULL OR i.qty_done < 0) THEN
            format('qty_done %s is not a quantity (column orders_order.donequantity)', i.payload->'qty_done')
        WHEN i.payload ? 'qty_done' AND i.uom_id IS NULL THEN
            format('unit %s has no ERP unit of measure in the category of the order''s unit (column orders_order.donequantity, value map orders_uom_to_mes)',
                   coalesce(quote_literal(i.unit), 'NULL'))
        WHEN i.payload ? 'qty_waste' AND jsonb_typeof(i.payload->'qty_waste') <> 'number' THEN
            format('qty_waste %s is not a quantity (column orders_order.wastesquantity)', i.payload->'qty_waste')
        END
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL;

    -- The values to write. The MES owns the state; an order the ERP cancelled or closed keeps that
    -- state until the MES answers the request ("$resolved"). Effective dates go to
    -- erp.orders_mes_progress only: the planned dates stay.
    UPDATE orders_production_in AS i SET
        set_state = i.new_state IS NOT NULL AND i.new_state IS DISTINCT FROM i.cur_state
                    AND (i.resolved OR erp.orders_state_rank(i.cur_state) IS NOT NULL),
        keep_state = i.new_state IS NOT NULL AND i.new_state IS DISTINCT FROM i.cur_state
                     AND NOT i.resolved AND erp.orders_state_rank(i.cur_state) IS NULL,
        qty_producing = CASE WHEN i.payload ? 'qty_done' THEN (
            SELECT erpmes.odoo_uom_factor(i.qty_done, f.factor, t.factor, t.rounding, 'up')
            FROM erp.uom_uom AS f, erp.uom_uom AS t WHERE f.id = i.uom_id AND t.id = i.mo_uom) END
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL AND i.problem IS NULL;
    -- What the MES said, as far as the ERP took it: its fields, the state where the ERP holds it.
    -- (planned_start and planned_finished were kept here while the apply overwrote the planned
    -- dates; they are dropped.)
    UPDATE orders_production_in AS i SET said_new =
        (coalesce(i.said, '{}') - 'planned_start' - 'planned_finished' - 'state')
        || (SELECT coalesce(jsonb_object_agg(e.k, e.v), '{}') FROM jsonb_each(i.payload) AS e(k, v)
            WHERE e.k IN ('effective_start', 'effective_end', 'qty_done', 'qty_waste'))
        || CASE WHEN i.payload ? 'state' AND NOT i.keep_state THEN jsonb_build_object('state', i.payload->'state')
                WHEN i.said ? 'state' THEN jsonb_build_object('state', i.said->'state') ELSE '{}' END
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL AND i.problem IS NULL;

    -- One statement writes every mirrored column; rows whose values stay the same are not touched.
    WITH written AS (
        UPDATE erp.mrp_production AS m SET
            state = CASE WHEN x.set_state THEN x.new_state ELSE m.state END,
            qty_producing = CASE WHEN x.payload ? 'qty_done' THEN x.qty_producing ELSE m.qty_producing END,
            write_date = now() AT TIME ZONE 'UTC'
        FROM (SELECT * FROM orders_production_in WHERE op = 'U' AND mo_id IS NOT NULL AND problem IS NULL
              ORDER BY mo_id) AS x
        WHERE m.id = x.mo_id
          AND ((x.set_state AND m.state IS DISTINCT FROM x.new_state)
               OR (x.payload ? 'qty_done' AND m.qty_producing IS DISTINCT FROM x.qty_producing))
        RETURNING m.id
    )
    UPDATE orders_production_in AS i SET written = true FROM written AS w WHERE w.id = i.mo_id AND i.op = 'U';
    -- What the MES reported changed (an effective date alone, say): applied, though no column moved.
    UPDATE orders_production_in AS i SET written = true
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL AND i.problem IS NULL AND i.said_new IS DISTINCT FROM i.said;
    INSERT INTO erp.orders_mes_progress AS r (production_id, vals)
    SELECT i.mo_id, i.said_new FROM orders_production_in AS i
    WHERE i.op = 'U' AND i.mo_id IS NOT NULL AND i.problem IS NULL AND i.said_new IS DISTINCT FROM i.said
    ORDER BY i.mo_id
    ON CONFLICT (production_id) DO UPDATE SET vals = EXCLUDED.vals, updated_at = now();

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.problem IS NOT NULL THEN 'rejected' WHEN i.written THEN 'applied' ELSE 'skipped' END,
           coalesce(i.problem, CASE
               WHEN i.op = 'T' THEN 'the MES truncated its orders: the ERP keeps its manufacturing orders'
               WHEN i.op = 'D' THEN 'the ERP owns its manufacturing orders: an MES delete removes nothing here'
               WHEN i.mo_id IS NULL THEN format('no ERP manufacturing order %s to mirror (none, or a draft)', i.name)
               WHEN i.keep_state THEN format('mrp_production %s stays %s until the MES answers the request (state %s not taken)',
                                             i.name, i.cur_state, i.payload->>'state')
               WHEN NOT i.written THEN 'no ERP column changes' END)
    FROM orders_production_in AS i;
END $$;
REVOKE ALL ON FUNCTION erp.orders_production_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.orders_production_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.orders_production_apply() IS
    'Apply function of production_order from the MES: mirrors state (forward only) and done quantity into mrp_production, keeps the effective dates in erp.orders_mes_progress; never writes an ERP-owned field (the planned dates stay).';

SELECT erpmes.publish('production_order', 'erp.mrp_production', ARRAY['name'], 'erp.orders_production_payload(jsonb[])',
    $json$[{"table": "erp.product_product",
            "keys": "SELECT DISTINCT jsonb_build_object('name', m.name) FROM erp.mrp_production AS m JOIN changed AS c ON m.product_id = c.id WHERE m.state IN ('confirmed', 'progress', 'to_close')"}]$json$::jsonb);

SELECT erpmes.subscribe('production_order', 'erp.orders_production_apply()', 'owner',
    '{"*": "erp", "state": "mes", "effective_start": "mes", "effective_end": "mes", "qty_done": "mes", "qty_waste": "mes"}'::jsonb,
    20, '{}'::jsonb, ARRAY['erp.mrp_production', 'erp.orders_mes_progress']::regclass[]);
