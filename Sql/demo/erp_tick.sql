-- Live simulation, ERP side (the `erpmes demo` shop floor): demo.erp_tick does what planners and
-- the maintenance team do in the ERP, a few actions per call, and returns one line per action:
--   release   the earliest draft MO is confirmed (its work orders ready, its moves confirmed): the
--             replicator sends it to the MES as a new order
--   plan      a new draft MO (so drafts never run out), with work orders and draft moves
--   cancel    a draft MO is cancelled
--   close     an MO the MES completed (to_close) is marked done; moves the MES did not post are
--             done, or cancelled when production records already posted the output
--   repair    a maintenance request (from an MES failure) moves on: New -> In Progress ->
--             a done stage with close_date and duration; the replicator closes the MES event
-- Writes erp.* only, in naive UTC, as Odoo would. Deterministic for (seed, tick number).
-- erpmes:requires demo_schema.sql
-- erpmes:requires erp_seed.sql

-- A new draft MO for a manufactured product (picked by hash), with work orders and draft moves.
CREATE OR REPLACE FUNCTION demo.erp_plan_order(seed integer, tk bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    now_utc timestamp := date_trunc('second', now() AT TIME ZONE 'UTC');
    b record;
    mo_id integer;
    mo_name text;
    qty numeric;
    uom integer;
    uom_name text;
    start timestamp;
    stock integer := demo.erp_location('stock');
    production integer := demo.erp_location('production');
BEGIN
    SELECT x.* INTO b FROM (
        SELECT mb.id, mb.product_id, mb.product_qty, mb.product_uom_id, p.default_code, t.uom_id,
               row_number() OVER (ORDER BY mb.id) AS k, count(*) OVER () AS n
        FROM erp.mrp_bom AS mb
        JOIN erp.product_product AS p ON p.id = mb.product_id
        JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
        WHERE mb.active AND mb.type = 'normal' AND p.active AND p.default_code IS NOT NULL
    ) AS x
    WHERE x.k = 1 + floor(demo.u(seed, 100, tk) * x.n)::integer;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- the quantity and unit of the product's latest order, else 50 BoM quantities
    SELECT p.product_qty, p.product_uom_id INTO qty, uom FROM erp.mrp_production AS p
    WHERE p.product_id = b.product_id AND p.state <> 'cancel' ORDER BY p.id DESC LIMIT 1;
    qty := coalesce(qty, b.product_qty * 50);
    uom := coalesce(uom, b.product_uom_id);
    SELECT u.name->>'en_US' INTO uom_name FROM erp.uom_uom AS u WHERE u.id = uom;
    start := greatest(now_utc + interval '1 day',
                      (SELECT max(p.date_start) FROM erp.mrp_production AS p WHERE p.state = 'draft'))
             + make_interval(mins => (30 + floor(demo.u(seed, 101, tk) * 240))::integer);
    SELECT 'WH/MO/' || lpad((coalesce(max(substring(p.name FROM '^WH/MO/([0-9]+)$')::integer), 0) + 1)::text, 5, '0')
    INTO mo_name FROM erp.mrp_production AS p;

    INSERT INTO erp.mrp_production (name, priority, origin, product_id, product_qty, product_uom_id, product_uom_qty, bom_id,
                                    location_src_id, location_dest_id, date_start, date_finished, date_deadline, state,
                                    consumption, user_id, company_id, create_date, write_date)
    VALUES (mo_name, CASE WHEN demo.u(seed, 102, tk) < 0.1 THEN '1' ELSE '0' END,
            'S' || (10000 + floor(demo.u(seed, 103, tk) * 89999))::integer, b.product_id, qty, uom,
            qty * coalesce(demo.unit_factor(uom_name, (SELECT u.name->>'en_US' FROM erp.uom_uom AS u WHERE u.id = b.uom_id)), 1),
            b.id, stock, stock, start, start + interval '1 day', start + interval '3 days', 'draft', 'flexible', 2, 1,
            now_utc, now_utc)
    RETURNING id INTO mo_id;

    -- work orders one after the other, then the finish date
    INSERT INTO erp.mrp_workorder (name, sequence, production_id, workcenter_id, operation_id, product_id, product_uom_id,
                                   state, date_start, date_finished, duration_expected, costs_hour, company_id,
                                   create_date, write_date)
    SELECT o.name, o.sequence, mo_id, o.workcenter_id, o.id, b.product_id, uom, 'pending',
           date_trunc('second', start + make_interval(secs => 60 * coalesce(sum(o.expected) OVER w - o.expected, 0))),
           date_trunc('second', start + make_interval(secs => 60 * sum(o.expected) OVER w)), o.expected, o.costs_hour, 1,
           now_utc, now_utc
    FROM (
        SELECT r.*, wc.costs_hour,
               round(coalesce(wc.time_start, 0) + qty * coalesce(demo.unit_factor(uom_name,
                   (SELECT u.name->>'en_US' FROM erp.uom_uom AS u WHERE u.id = b.uom_id)), 1) / b.product_qty
                   * coalesce(r.time_cycle_manual, 0), 2) AS expected
        FROM erp.mrp_routing_workcenter AS r JOIN erp.mrp_workcenter AS wc ON wc.id = r.workcenter_id
        WHERE r.bom_id = b.id AND r.active
    ) AS o
    WINDOW w AS (ORDER BY o.sequence, o.id)
    ORDER BY o.sequence, o.id;
    UPDATE erp.mrp_production AS p SET date_finished = coalesce(
        (SELECT max(w.date_finished) FROM erp.mrp_workorder AS w WHERE w.production_id = mo_id), p.date_finished)
    WHERE p.id = mo_id;

    INSERT INTO erp.stock_move (name, date, date_deadline, company_id, product_id, product_qty, product_uom_qty, product_uom,
                                quantity, location_id, location_dest_id, state, origin, reference, raw_material_production_id,
                                production_id, workorder_id, bom_line_id, operation_id, unit_factor, create_date, write_date)
    SELECT mo_name, start, start + interval '3 days', 1, l.product_id, l.qty, l.qty, l.product_uom_id, 0, stock, production,
           'draft', mo_name, mo_name, mo_id, NULL,
           (SELECT w.id FROM erp.mrp_workorder AS w WHERE w.production_id = mo_id AND w.operation_id = l.operation_id LIMIT 1),
           l.id, l.operation_id, l.product_qty / b.product_qty, now_utc, now_utc
    FROM (SELECT bl.*, round(bl.product_qty * p.product_uom_qty / b.product_qty, 3) AS qty
          FROM erp.mrp_bom_line AS bl, erp.mrp_production AS p WHERE bl.bom_id = b.id AND p.id = mo_id) AS l
    ORDER BY l.sequence, l.id;
    INSERT INTO erp.stock_move (name, date, date_deadline, company_id, product_id, product_qty, product_uom_qty, product_uom,
                                quantity, location_id, location_dest_id, state, origin, reference, production_id, unit_factor,
                                create_date, write_date)
    SELECT mo_name, p.date_finished, p.date_deadline, 1, p.product_id, p.product_uom_qty, p.product_qty, p.product_uom_id, 0,
           production, stock, 'draft', mo_name, mo_name, mo_id, 1, now_utc, now_utc
    FROM erp.mrp_production AS p WHERE p.id = mo_id;
    RETURN demo.fit(format('ERP planned %s: %s %s %s (draft)', mo_name, demo.qty(qty), uom_name, b.default_code));
END $$;
COMMENT ON FUNCTION demo.erp_plan_order(integer, bigint) IS
    'Live simulation (ERP): plans a new draft MO with work orders and draft moves; returns its narration line.';

CREATE OR REPLACE FUNCTION demo.erp_tick(seed integer, n integer DEFAULT 3)
RETURNS TABLE (event text)
LANGUAGE plpgsql AS $$
DECLARE
    tk bigint;
    i integer;
    kind text;
    line text;
    now_utc timestamp := date_trunc('second', now() AT TIME ZONE 'UTC');
    r record;
BEGIN
    INSERT INTO demo.tick_state AS s (side, ticks, last_at) VALUES ('erp', 1, now())
    ON CONFLICT ON CONSTRAINT tick_state_pkey DO UPDATE SET ticks = s.ticks + 1, last_at = now()
    RETURNING s.ticks INTO tk;
    FOR i IN 1..greatest(coalesce(n, 1), 1) LOOP
        kind := CASE
            WHEN (SELECT count(*) FROM erp.mrp_production WHERE state = 'draft') < 3 THEN 'plan'
            ELSE (ARRAY['release', 'release', 'release', 'release', 'plan', 'plan', 'close', 'close', 'repair', 'repair',
                        'repair', 'cancel'])[1 + floor(demo.u(seed, 110, tk * 100 + i) * 12)::integer]
        END;
        line := NULL;
        IF kind = 'close' THEN
            SELECT p.id, p.name, p.product_qty, p.product_uom_id INTO r FROM erp.mrp_production AS p
            WHERE p.state = 'to_close' ORDER BY p.date_finished, p.id LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                -- what the MES posted stands; moves it did not post are done now, or cancelled
                UPDATE erp.stock_move AS m SET
                    state = CASE WHEN EXISTS (SELECT FROM erp.stock_move AS x
                                              WHERE (x.production_id = r.id OR x.raw_material_production_id = r.id)
                                                AND x.state = 'done' AND x.origin LIKE 'PT-%')
                                 THEN 'cancel' ELSE 'done' END,
                    quantity = m.product_uom_qty, picked = true, date = now_utc, write_date = now_utc
                WHERE (m.production_id = r.id OR m.raw_material_production_id = r.id)
                  AND m.state NOT IN ('done', 'cancel') AND m.scrap_id IS NULL;
                UPDATE erp.mrp_workorder SET state = 'done', write_date = now_utc
                WHERE production_id = r.id AND state NOT IN ('done', 'cancel');
                UPDATE erp.mrp_production SET state = 'done', qty_producing = product_qty, is_locked = true,
                                              write_date = now_utc
                WHERE id = r.id;
                line := format('ERP closed %s: done, %s %s', r.name, demo.qty(r.product_qty),
                               (SELECT u.name->>'en_US' FROM erp.uom_uom AS u WHERE u.id = r.product_uom_id));
            END IF;
        ELSIF kind = 'repair' THEN
            SELECT q.id, q.name, q.stage_id, s.sequence, q.create_date INTO r
            FROM erp.maintenance_request AS q JOIN erp.maintenance_stage AS s ON s.id = q.stage_id
            WHERE NOT s.done AND NOT coalesce(q.archive, false)
            ORDER BY q.create_date, q.id LIMIT 1 FOR UPDATE OF q SKIP LOCKED;
            IF FOUND THEN
                IF r.sequence = (SELECT min(s.sequence) FROM erp.maintenance_stage AS s) THEN
                    UPDATE erp.maintenance_request SET
                        stage_id = (SELECT s.id FROM erp.maintenance_stage AS s WHERE NOT s.done AND s.sequence > r.sequence
                                    ORDER BY s.sequence, s.id LIMIT 1),
                        schedule_date = now_utc, user_id = 2, write_date = now_utc
                    WHERE id = r.id;
                    line := format('ERP request %s: in progress', r.name);
                ELSE
                    UPDATE erp.maintenance_request SET
                        stage_id = (SELECT s.id FROM erp.maintenance_stage AS s WHERE s.done ORDER BY s.sequence, s.id LIMIT 1),
                        close_date = now_utc::date, kanban_state = 'done',
                        duration = round((0.5 + 3.5 * demo.u(seed, 111, tk * 100 + i))::numeric, 1), write_date = now_utc
                    WHERE id = r.id;
                    line := format('ERP request %s: repaired', r.name);
                END IF;
            END IF;
        ELSIF kind = 'cancel' THEN
            SELECT p.id, p.name INTO r FROM erp.mrp_production AS p
            WHERE p.state = 'draft' ORDER BY p.date_start DESC, p.id DESC LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                UPDATE erp.stock_move SET state = 'cancel', write_date = now_utc
                WHERE (production_id = r.id OR raw_material_production_id = r.id) AND state <> 'done';
                UPDATE erp.mrp_workorder SET state = 'cancel', write_date = now_utc WHERE production_id = r.id;
                UPDATE erp.mrp_production SET state = 'cancel', write_date = now_utc WHERE id = r.id;
                line := format('ERP cancelled draft %s', r.name);
            END IF;
        ELSIF kind = 'plan' THEN
            line := demo.erp_plan_order(seed, tk * 100 + i);
        END IF;
        IF line IS NULL THEN
            -- release, and what a chosen action falls back to when it finds nothing to do
            SELECT p.id, p.name, p.product_qty, u.name->>'en_US' AS uom, pp.default_code INTO r
            FROM erp.mrp_production AS p
            JOIN erp.uom_uom AS u ON u.id = p.product_uom_id
            JOIN erp.product_product AS pp ON pp.id = p.product_id
            WHERE p.state = 'draft' ORDER BY p.date_start, p.id LIMIT 1 FOR UPDATE OF p SKIP LOCKED;
            IF FOUND THEN
                UPDATE erp.mrp_production SET state = 'confirmed', reservation_state = 'confirmed', write_date = now_utc
                WHERE id = r.id;
                UPDATE erp.mrp_workorder AS w SET
                    state = CASE WHEN w.sequence = (SELECT min(x.sequence) FROM erp.mrp_workorder AS x
                                                    WHERE x.production_id = r.id) THEN 'ready' ELSE 'pending' END,
                    write_date = now_utc
                WHERE w.production_id = r.id;
                UPDATE erp.stock_move SET state = 'confirmed', write_date = now_utc
                WHERE (production_id = r.id OR raw_material_production_id = r.id) AND state = 'draft';
                line := format('ERP released %s: %s %s %s', r.name, demo.qty(r.product_qty), r.uom, r.default_code);
            END IF;
        END IF;
        IF line IS NOT NULL THEN
            event := demo.fit(line);
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION demo.erp_tick(integer, integer) IS
    'Live simulation (ERP): n actions (release, plan, cancel a draft MO, close an MO the MES completed, move a maintenance request on); one line per action done.';
