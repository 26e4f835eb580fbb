-- The ERP side of `erpmes demo seed`: writes the plant plan (demo_schema.sql) into erp.* only.
-- The replicator then carries master data and released orders to the MES through the mapping pack.
--
-- Protocol (what the Swift driver does; psql users can call demo.seed_erp instead):
--   SELECT step, units FROM demo.seed_steps(scale);                  -- the steps and their expected rows
--   for each step, chunk = 0, 1, 2, ...:
--       SELECT demo.seed_step(step, scale, seed, chunk)              -- until it returns 0
-- Each call is its own transaction and does the next slice of the step (250 orders, or
-- chunk_size), returning the rows it wrote, so a progress bar can add them up. Where a step
-- stands is kept in demo.seed_progress: `chunk` is only the caller's count, an interrupted seed
-- resumes where it stopped, and the data do not depend on the slice size. The first step
-- (begin) fixes the parameters and the anchor (argument, else SET demo.anchor, else the
-- current hour).
--
-- What it writes: product categories; templates and variants (every one with a default_code;
-- finished goods and some components tracked by lot, some with expiry); work centers (code =
-- MES workstation number) with one equipment each (serial_no = workstation serialnumber); BOMs
-- with lines and routings (time_cycle_manual in minutes); component lots; manufacturing orders
-- WH/MO/nnnnn in every state (draft, confirmed, progress, to_close, done, cancel) with work
-- orders and stock moves, quantities in Units, Dozens, kg, g and L, naive UTC dates over the
-- simulated period; for done orders their history: done moves and move lines with lots, lot
-- genealogy (stock_move_line_consume_rel), scrap, and work-center time (mrp_workcenter_productivity).
-- OCA quality tests per manufactured product, with questions named like the MES attributes.
-- Everything is valid for the mapping pack; step 'bad_rows' (not in seed_steps) adds a few
-- rows it must reject, for tests of the dead-letter path.
-- erpmes:requires demo_schema.sql

-- Progress bookkeeping, shared with the MES side --------------------------------------------

-- Claims the next slice of a step: units (lo, hi] of total, at most size of them (NULL: all);
-- lo NULL when the step is done.
CREATE OR REPLACE FUNCTION demo.progress_take(side text, step text, total bigint, size integer,
                                              OUT lo bigint, OUT hi bigint)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO demo.seed_progress AS p (side, step, total) VALUES (progress_take.side, progress_take.step, total)
    ON CONFLICT ON CONSTRAINT seed_progress_pkey DO UPDATE SET total = EXCLUDED.total
    RETURNING p.done INTO lo;
    IF lo >= total THEN
        lo := NULL;
        RETURN;
    END IF;
    hi := CASE WHEN size IS NULL OR size <= 0 THEN total ELSE least(total, lo + size) END;
    UPDATE demo.seed_progress AS p SET done = progress_take.hi
    WHERE p.side = progress_take.side AND p.step = progress_take.step;
END $$;
COMMENT ON FUNCTION demo.progress_take(text, text, bigint, integer) IS
    'Claims units (lo, hi] of a seed step (at most size of them, NULL: all); lo NULL when the step is complete.';

CREATE OR REPLACE FUNCTION demo.progress_rows(side text, step text, n bigint)
RETURNS bigint
LANGUAGE sql AS $$
    UPDATE demo.seed_progress AS p SET rows = p.rows + n WHERE p.side = $1 AND p.step = $2;
    SELECT n;
$$;
COMMENT ON FUNCTION demo.progress_rows(text, text, bigint) IS 'Adds rows written to a seed step''s count; returns n.';

-- The state row of a side, checked against the caller's scale and seed.
CREATE OR REPLACE FUNCTION demo.seed_state_of(side text, scale integer, seed integer)
RETURNS demo.seed_state
LANGUAGE plpgsql AS $$
DECLARE
    s demo.seed_state;
BEGIN
    SELECT * INTO s FROM demo.seed_state AS x WHERE x.side = seed_state_of.side;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'demo seed (%): run step ''begin'' first', side USING ERRCODE = '55000';
    END IF;
    IF s.scale <> scale OR s.seed <> seed THEN
        RAISE EXCEPTION 'demo seed (%): this database is being seeded with scale %, seed %, not scale %, seed %',
            side, s.scale, s.seed, scale, seed USING ERRCODE = '22023';
    END IF;
    RETURN s;
END $$;
COMMENT ON FUNCTION demo.seed_state_of(text, integer, integer) IS
    'The seed parameters fixed by step begin, checked against the caller''s scale and seed.';

-- ERP lookups ---------------------------------------------------------------------------------

-- plpgsql, not sql: a sql function's body is checked at creation, and this file is installed on
-- the MES database too, where erp.* does not exist.
CREATE OR REPLACE FUNCTION demo.erp_uom(unit_name text)
RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT u.id FROM erp.uom_uom AS u WHERE u.name->>'en_US' = unit_name ORDER BY u.id LIMIT 1);
END $$;
COMMENT ON FUNCTION demo.erp_uom(text) IS 'The id of the ERP unit named unit_name (the seeded Odoo units).';

CREATE OR REPLACE FUNCTION demo.erp_location(what text)
RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT l.id FROM erp.stock_location AS l
            WHERE CASE what WHEN 'stock' THEN l.complete_name = 'WH/Stock'
                            WHEN 'production' THEN l.usage = 'production'
                            WHEN 'scrap' THEN l.scrap_location END
            ORDER BY l.id LIMIT 1);
END $$;
COMMENT ON FUNCTION demo.erp_location(text) IS 'The id of the ERP location stock (WH/Stock), production or scrap.';

-- Steps ---------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION demo.erp_step_begin(scale integer, seed integer, days integer, anchor timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s demo.seed_state;
    offset_mo integer;
BEGIN
    SELECT * INTO s FROM demo.seed_state WHERE side = 'erp';
    IF FOUND THEN
        PERFORM demo.seed_state_of('erp', scale, seed);
        RETURN 0;
    END IF;
    IF EXISTS (SELECT FROM erp.product_product WHERE default_code ~ '^(FG|SF|RM)[0-9]+-[0-9]{2}') THEN
        RAISE EXCEPTION 'demo seed (erp): this database already holds a demo plant; seed a fresh database'
            USING ERRCODE = '55000';
    END IF;
    SELECT coalesce(max(substring(p.name FROM '^WH/MO/([0-9]+)$')::integer), 0) INTO offset_mo FROM erp.mrp_production AS p;
    INSERT INTO demo.seed_state (side, scale, seed, days, anchor, mo_offset)
    VALUES ('erp', scale, seed, days, demo.resolve_anchor(anchor), offset_mo)
    RETURNING * INTO s;
    PERFORM demo.build_plan(scale, seed, days, (s.anchor AT TIME ZONE 'UTC')::timestamp, offset_mo);
    INSERT INTO demo.seed_progress (side, step, done, total, rows) VALUES ('erp', 'begin', 1, 1, 1);
    RETURN 1;
END $$;
COMMENT ON FUNCTION demo.erp_step_begin(integer, integer, integer, timestamptz) IS
    'Seed step begin (ERP): fixes scale, seed, days and anchor, and builds the plant plan.';

CREATE OR REPLACE FUNCTION demo.erp_step_categories(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    root integer;
    setup timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 400);
    n bigint;
    m bigint;
BEGIN
    SELECT c.id INTO root FROM erp.product_category AS c WHERE c.parent_id IS NULL AND c.name = 'All' ORDER BY c.id LIMIT 1;
    IF root IS NULL THEN
        INSERT INTO erp.product_category (name, complete_name, create_date, write_date)
        VALUES ('All', 'All', setup, setup) RETURNING id INTO root;
        UPDATE erp.product_category SET parent_path = id || '/' WHERE id = root;
    END IF;
    WITH wanted AS (
        SELECT DISTINCT p.categ FROM demo.plan_product AS p
        WHERE NOT EXISTS (SELECT FROM erp.product_category AS c WHERE c.parent_id = root AND c.name = p.categ)
    ), ins AS (
        INSERT INTO erp.product_category (id, name, complete_name, parent_id, parent_path, create_date, write_date)
        SELECT w.id, w.categ, 'All / ' || w.categ, root, root || '/' || w.id || '/', setup, setup
        FROM (SELECT nextval('erp.product_category_id_seq')::integer AS id, x.categ
              FROM (SELECT categ FROM wanted ORDER BY categ) AS x) AS w
        RETURNING 1
    )
    SELECT count(*) INTO n FROM ins;
    WITH wanted AS (
        SELECT c.name FROM (VALUES ('Cutting machines'), ('Machine tools'), ('Assembly equipment'),
                                   ('Filling and packing')) AS c (name)
        WHERE NOT EXISTS (SELECT FROM erp.maintenance_equipment_category AS e WHERE e.name->>'en_US' = c.name)
    ), ins AS (
        INSERT INTO erp.maintenance_equipment_category (name, company_id, create_date, write_date)
        SELECT jsonb_build_object('en_US', w.name), 1, setup, setup FROM wanted AS w ORDER BY w.name
        RETURNING 1
    )
    SELECT count(*) INTO m FROM ins;
    RETURN n + m;
END $$;
COMMENT ON FUNCTION demo.erp_step_categories(demo.seed_state) IS
    'Seed step categories (ERP): product categories under All, and equipment categories.';

CREATE OR REPLACE FUNCTION demo.erp_step_products(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    setup timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 365);
    n bigint;
    m bigint;
BEGIN
    -- ids in plan order, so the same seed gives the same ids in a fresh database
    UPDATE demo.plan_product AS p SET erp_tmpl_id = t.id
    FROM (SELECT x.tmpl, nextval('erp.product_template_id_seq')::integer AS id
          FROM (SELECT DISTINCT tmpl FROM demo.plan_product ORDER BY tmpl) AS x) AS t
    WHERE p.tmpl = t.tmpl;
    UPDATE demo.plan_product AS p SET erp_id = v.id
    FROM (SELECT x.pid, nextval('erp.product_product_id_seq')::integer AS id
          FROM (SELECT pid FROM demo.plan_product ORDER BY pid) AS x) AS v
    WHERE p.pid = v.pid;

    INSERT INTO erp.product_template (id, name, type, categ_id, list_price, sale_ok, purchase_ok, uom_id, uom_po_id,
                                      company_id, active, default_code, tracking, use_expiration_date, expiration_time,
                                      weight, create_date, write_date)
    SELECT DISTINCT ON (p.tmpl) p.erp_tmpl_id, jsonb_build_object('en_US', p.tmpl_name), 'product', c.id, p.list_price,
           p.kind IN ('fg', 'semi'), p.kind IN ('raw', 'pack'), demo.erp_uom(p.uom),
           -- bolts and O-rings are bought by the dozen: a purchase unit unlike the stock unit
           demo.erp_uom(CASE WHEN p.arch IN (9, 10) THEN 'Dozens' ELSE p.uom END),
           NULL, true, p.tmpl_code, p.tracking, p.expiration_days IS NOT NULL, p.expiration_days,
           CASE p.uom WHEN 'Units' THEN round((0.05 + demo.u(s.seed, 20, p.tmpl))::numeric, 3) END,
           setup + make_interval(mins => p.tmpl % 1000), setup + make_interval(mins => p.tmpl % 1000)
    FROM demo.plan_product AS p
    JOIN erp.product_category AS c ON c.complete_name = 'All / ' || p.categ
    ORDER BY p.tmpl, p.pid;
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO erp.product_product (id, product_tmpl_id, default_code, barcode, combination_indices, active,
                                     create_date, write_date)
    SELECT p.erp_id, p.erp_tmpl_id, p.code,
           CASE WHEN p.kind = 'fg' THEN '40' || lpad((p.pid * 7919 % 10000000000)::text, 11, '0') END,
           CASE WHEN p.tmpl_code IS NULL THEN (p.variant + 1)::text ELSE '' END, true,
           setup + make_interval(mins => p.tmpl % 1000), setup + make_interval(mins => p.tmpl % 1000)
    FROM demo.plan_product AS p
    ORDER BY p.pid;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END $$;
COMMENT ON FUNCTION demo.erp_step_products(demo.seed_state) IS
    'Seed step products (ERP): product templates and variants, each variant with a default_code.';

CREATE OR REPLACE FUNCTION demo.erp_step_workcenters(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    setup timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 365);
    n bigint;
    m bigint;
BEGIN
    UPDATE demo.plan_wc AS w SET erp_id = x.id, erp_equipment_id = x.eq
    FROM (SELECT y.wid, nextval('erp.mrp_workcenter_id_seq')::integer AS id,
                 nextval('erp.maintenance_equipment_id_seq')::integer AS eq
          FROM (SELECT wid FROM demo.plan_wc ORDER BY wid) AS y) AS x
    WHERE w.wid = x.wid;

    INSERT INTO erp.mrp_workcenter (id, name, code, sequence, default_capacity, time_efficiency, costs_hour, time_start,
                                    time_stop, oee_target, working_state, company_id, active, create_date, write_date)
    SELECT w.erp_id, w.name, w.code, w.station + 1, 1, w.time_efficiency, w.costs_hour, w.setup_minutes, 5, 85,
           'normal', 1, true, setup, setup
    FROM demo.plan_wc AS w ORDER BY w.wid;
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO erp.maintenance_equipment (id, name, company_id, active, category_id, location, model, serial_no,
                                           assign_date, effective_date, cost, maintenance_team_id, workcenter_id,
                                           expected_mtbf, create_date, write_date)
    SELECT w.erp_equipment_id, jsonb_build_object('en_US', w.equipment || ' (' || w.code || ')'), 1, true, c.id,
           'Line ' || w.line, w.equipment, w.serial, setup::date, setup::date - 700,
           round((20000 + 180000 * demo.u(s.seed, 21, w.wid))::numeric, -2),
           (SELECT t.id FROM erp.maintenance_team AS t ORDER BY t.id LIMIT 1), w.erp_id, w.expected_mtbf, setup, setup
    FROM demo.plan_wc AS w
    JOIN erp.maintenance_equipment_category AS c ON c.name->>'en_US' =
        (ARRAY['Cutting machines', 'Machine tools', 'Assembly equipment', 'Filling and packing'])[w.station + 1]
    ORDER BY w.wid;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END $$;
COMMENT ON FUNCTION demo.erp_step_workcenters(demo.seed_state) IS
    'Seed step workcenters (ERP): 4 work centers per line, each with one equipment (serial_no) linked to it.';

CREATE OR REPLACE FUNCTION demo.erp_step_boms(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    setup timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 300);
    n bigint;
    m bigint;
    k bigint;
BEGIN
    UPDATE demo.plan_bom AS b SET erp_id = x.id
    FROM (SELECT y.bid, nextval('erp.mrp_bom_id_seq')::integer AS id FROM (SELECT bid FROM demo.plan_bom ORDER BY bid) AS y) AS x
    WHERE b.bid = x.bid;
    UPDATE demo.plan_op AS o SET erp_id = x.id
    FROM (SELECT y.oid, nextval('erp.mrp_routing_workcenter_id_seq')::integer AS id
          FROM (SELECT oid FROM demo.plan_op ORDER BY oid) AS y) AS x
    WHERE o.oid = x.oid;
    UPDATE demo.plan_bom_line AS l SET erp_id = x.id
    FROM (SELECT y.blid, nextval('erp.mrp_bom_line_id_seq')::integer AS id
          FROM (SELECT blid FROM demo.plan_bom_line ORDER BY blid) AS y) AS x
    WHERE l.blid = x.blid;

    INSERT INTO erp.mrp_bom (id, code, active, type, product_tmpl_id, product_id, product_qty, product_uom_id, sequence,
                             ready_to_produce, consumption, company_id, create_date, write_date)
    SELECT b.erp_id, b.code, true, 'normal', p.erp_tmpl_id, p.erp_id, b.qty, demo.erp_uom(p.uom), 1, 'asap', 'flexible',
           1, setup, setup
    FROM demo.plan_bom AS b JOIN demo.plan_product AS p ON p.pid = b.pid
    ORDER BY b.bid;
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO erp.mrp_routing_workcenter (id, name, active, workcenter_id, sequence, bom_id, company_id, time_mode,
                                            time_cycle_manual, create_date, write_date)
    SELECT o.erp_id, o.name, true, w.erp_id, o.seq, b.erp_id, 1, 'manual', o.cycle, setup, setup
    FROM demo.plan_op AS o JOIN demo.plan_bom AS b ON b.bid = o.bid JOIN demo.plan_wc AS w ON w.wid = o.wid
    ORDER BY o.oid;
    GET DIAGNOSTICS m = ROW_COUNT;

    INSERT INTO erp.mrp_bom_line (id, product_id, product_qty, product_uom_id, sequence, bom_id, operation_id, company_id,
                                  create_date, write_date)
    SELECT l.erp_id, c.erp_id, l.qty, demo.erp_uom(l.uom), l.seq, b.erp_id, o.erp_id, 1, setup, setup
    FROM demo.plan_bom_line AS l
    JOIN demo.plan_bom AS b ON b.bid = l.bid
    JOIN demo.plan_product AS c ON c.pid = l.pid
    JOIN demo.plan_op AS o ON o.oid = l.oid
    ORDER BY l.blid;
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + m + k;
END $$;
COMMENT ON FUNCTION demo.erp_step_boms(demo.seed_state) IS
    'Seed step boms (ERP): BOMs (one per manufactured variant), routing operations and BOM lines.';

-- OCA quality tests: one related test per manufactured template, with questions named like the
-- MES attributes (the mapping pack matches them by name): Diameter in cm and Hardness (no unit)
-- for pieces, Weight in g for bulk goods, and the qualitative Visual inspection (Good / Scratched).
CREATE OR REPLACE FUNCTION demo.erp_step_quality(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    setup timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 200);
    category integer := (SELECT c.id FROM erp.qc_test_category AS c WHERE c.name->>'en_US' = 'Referenced' ORDER BY c.id LIMIT 1);
    n bigint;
    m bigint;
    k bigint;
BEGIN
    IF to_regclass('pg_temp.demo_test') IS NOT NULL THEN DROP TABLE pg_temp.demo_test; END IF;
    CREATE TEMP TABLE demo_test ON COMMIT DROP AS
    SELECT nextval('erp.qc_test_id_seq')::integer AS id, x.*
    FROM (SELECT DISTINCT ON (p.tmpl) p.tmpl, p.erp_tmpl_id, p.tmpl_name, p.code, demo.mes_unit(p.uom) AS unit
          FROM demo.plan_product AS p WHERE p.kind IN ('fg', 'semi') ORDER BY p.tmpl, p.pid) AS x
    ORDER BY x.tmpl;
    ANALYZE demo_test;
    INSERT INTO erp.qc_test (id, name, active, object_id, type, category, company_id, create_date, write_date)
    SELECT t.id, jsonb_build_object('en_US', 'Inspection ' || t.tmpl_name), true, 'product.template,' || t.erp_tmpl_id,
           'related', category, 1, setup, setup
    FROM demo_test AS t ORDER BY t.id;
    GET DIAGNOSTICS n = ROW_COUNT;

    IF to_regclass('pg_temp.demo_question') IS NOT NULL THEN DROP TABLE pg_temp.demo_question; END IF;
    CREATE TEMP TABLE demo_question ON COMMIT DROP AS
    SELECT nextval('erp.qc_test_question_id_seq')::integer AS id, x.*
    FROM (SELECT t.id AS test, row_number() OVER (PARTITION BY t.id ORDER BY q.attribute) * 10 AS sequence, q.*
          FROM demo_test AS t CROSS JOIN LATERAL demo.quality_spec(t.code, t.unit) AS q
          ORDER BY t.id, q.attribute) AS x;
    ANALYZE demo_question;
    INSERT INTO erp.qc_test_question (id, sequence, test, name, type, min_value, max_value, uom_id, create_date, write_date)
    SELECT q.id, q.sequence, q.test, jsonb_build_object('en_US', q.question),
           CASE WHEN q.nominal IS NULL THEN 'qualitative' ELSE 'quantitative' END,
           (q.nominal - q.tolerance) / CASE WHEN q.erp_unit = 'cm' THEN 10 ELSE 1 END,
           (q.nominal + q.tolerance) / CASE WHEN q.erp_unit = 'cm' THEN 10 ELSE 1 END,
           demo.erp_uom(q.erp_unit), setup, setup
    FROM demo_question AS q ORDER BY q.id;
    GET DIAGNOSTICS m = ROW_COUNT;

    INSERT INTO erp.qc_test_question_value (test_line, name, ok, create_date, write_date)
    SELECT q.id, jsonb_build_object('en_US', v.name), v.ok, setup, setup
    FROM demo_question AS q CROSS JOIN (VALUES ('Good', true), ('Scratched', false)) AS v (name, ok)
    WHERE q.nominal IS NULL
    ORDER BY q.id, v.ok DESC;
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + m + k;
END $$;
COMMENT ON FUNCTION demo.erp_step_quality(demo.seed_state) IS
    'Seed step quality (ERP): an OCA test per manufactured template with questions named like the MES attributes.';

-- Supplier lots of the lot-tracked components, received before and through the period.
CREATE OR REPLACE FUNCTION demo.erp_component_lots(days integer)
RETURNS integer
LANGUAGE sql IMMUTABLE
RETURN 4 + ceil(days / 7.0)::integer;
COMMENT ON FUNCTION demo.erp_component_lots(integer) IS 'How many supplier lots each lot-tracked component has.';

CREATE OR REPLACE FUNCTION demo.erp_step_lots(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    first_lot timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 20);
    lots integer := demo.erp_component_lots(s.days);
    n bigint;
BEGIN
    INSERT INTO erp.stock_lot (name, ref, product_id, product_uom_id, company_id, expiration_date, create_date, write_date)
    SELECT p.code || '-L' || lpad(i::text, 2, '0'),
           'V' || upper(lpad(to_hex(floor(demo.u(s.seed, 22, p.pid * 100 + i) * 16777216)::integer), 6, '0')),
           p.erp_id, demo.erp_uom(p.uom), 1,
           CASE WHEN p.expiration_days IS NOT NULL
                THEN date_trunc('day', first_lot + make_interval(secs => (i - 1) * (s.days + 35) * 86400.0 / lots,
                                                                 days => p.expiration_days)) END,
           first_lot + make_interval(secs => (i - 1) * (s.days + 35) * 86400.0 / lots),
           first_lot + make_interval(secs => (i - 1) * (s.days + 35) * 86400.0 / lots)
    FROM demo.plan_product AS p CROSS JOIN generate_series(1, lots) AS i
    WHERE p.kind IN ('raw', 'pack') AND p.tracking = 'lot'
    ORDER BY p.pid, i;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.erp_step_lots(demo.seed_state) IS 'Seed step lots (ERP): supplier lots of the lot-tracked components.';

-- Manufacturing orders (mo_offset + lo, mo_offset + hi]: orders, work orders, moves, and the
-- history of done orders.
CREATE OR REPLACE FUNCTION demo.erp_step_orders(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    anchor timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp;
    stock integer := demo.erp_location('stock');
    production integer := demo.erp_location('production');
    scrap integer := demo.erp_location('scrap');
    productive integer;
    lost integer[];
    first_lot timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp - make_interval(days => s.days + 20);
    lots integer := demo.erp_component_lots(s.days);
    total bigint := 0;
    n bigint;
BEGIN
    SELECT l.id INTO productive FROM erp.mrp_workcenter_productivity_loss AS l
    WHERE l.loss_type = 'productive' ORDER BY l.sequence, l.id LIMIT 1;
    SELECT array_agg(l.id ORDER BY l.sequence, l.id) INTO lost FROM erp.mrp_workcenter_productivity_loss AS l
    WHERE l.loss_type = 'availability' AND l.manual;

    IF to_regclass('pg_temp.demo_mo') IS NOT NULL THEN DROP TABLE pg_temp.demo_mo; END IF;
    CREATE TEMP TABLE demo_mo ON COMMIT DROP AS
    -- ids in plan order: nextval over an ordered subquery, never over a join
    SELECT x.*, nextval('erp.mrp_production_id_seq')::integer AS id,
           CASE WHEN x.lot_name IS NOT NULL AND x.state IN ('progress', 'to_close', 'done')
                THEN nextval('erp.stock_lot_id_seq')::integer END AS lot_id
    FROM (
        SELECT o.*, p.erp_id AS product_id, p.uom AS puom, p.expiration_days, p.code, b.erp_id AS bom_id, b.qty AS bom_qty,
               demo.erp_uom(o.uom) AS uom_id, demo.erp_uom(p.uom) AS puom_id,
               least(anchor - interval '1 hour', date_trunc('second', o.date_start
                   - make_interval(secs => (2 + 8 * demo.u(s.seed, 30, o.mo)) * 86400))) AS created,
               round((o.product_qty * CASE WHEN o.state = 'done' THEN 0.96 + 0.04 * demo.u(s.seed, 31, o.mo) ELSE 1 END)::numeric,
                     CASE WHEN o.uom = 'Units' THEN 0 ELSE 2 END) AS done_qty,
               demo.u(s.seed, 32, o.mo) AS r
        FROM demo.plan_order AS o
        JOIN demo.plan_product AS p ON p.pid = o.pid
        JOIN demo.plan_bom AS b ON b.bid = o.bid
        WHERE o.mo > s.mo_offset + lo AND o.mo <= s.mo_offset + hi
        ORDER BY o.mo
    ) AS x;
    ANALYZE demo_mo;

    UPDATE demo.plan_order AS o SET erp_id = m.id, erp_lot_id = m.lot_id FROM demo_mo AS m WHERE o.mo = m.mo;

    INSERT INTO erp.stock_lot (id, name, product_id, product_uom_id, company_id, expiration_date, create_date, write_date)
    SELECT m.lot_id, m.lot_name, m.product_id, m.puom_id, 1,
           date_trunc('day', m.date_finished) + make_interval(days => m.expiration_days),
           date_trunc('second', m.date_start), date_trunc('second', m.date_start)
    FROM demo_mo AS m WHERE m.lot_id IS NOT NULL ORDER BY m.lot_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    INSERT INTO erp.mrp_production (id, name, priority, origin, product_id, product_qty, product_uom_id, product_uom_qty,
                                    qty_producing, lot_producing_id, bom_id, location_src_id, location_dest_id, date_start,
                                    date_finished, date_deadline, state, reservation_state, consumption, is_locked, user_id,
                                    company_id, create_date, write_date)
    SELECT m.id, m.name, m.priority, m.origin, m.product_id, m.product_qty, m.uom_id, m.qty,
           CASE m.state WHEN 'done' THEN m.done_qty WHEN 'to_close' THEN m.product_qty
                        WHEN 'progress' THEN 0 END,
           m.lot_id, m.bom_id, stock, stock, date_trunc('second', m.date_start), date_trunc('second', m.date_finished),
           m.date_deadline, m.state,
           CASE WHEN m.state IN ('progress', 'to_close') OR (m.state = 'confirmed' AND m.r < 0.6) THEN 'assigned'
                WHEN m.state = 'confirmed' THEN 'confirmed' END,
           'flexible', m.state = 'done', 2, 1, m.created,
           CASE WHEN m.state IN ('done', 'to_close', 'progress', 'cancel')
                THEN least(anchor, date_trunc('second', m.date_finished) + interval '2 hours') ELSE m.created END
    FROM demo_mo AS m ORDER BY m.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Work orders: one per routing operation, planned in the station's slot.
    IF to_regclass('pg_temp.demo_wo') IS NOT NULL THEN DROP TABLE pg_temp.demo_wo; END IF;
    CREATE TEMP TABLE demo_wo ON COMMIT DROP AS
    SELECT nextval('erp.mrp_workorder_id_seq')::integer AS id, x.*,
           date_trunc('second', x.t_start + make_interval(secs => x.expected * 60)) AS t_end,
           CASE WHEN x.mo_state IN ('done', 'to_close')
                THEN round((x.expected * (0.9 + 0.4 * demo.u(s.seed, 33, x.mo * 10 + x.station)))::numeric, 2) END AS actual
    FROM (
        SELECT m.mo, m.id AS production_id, m.state AS mo_state, m.product_id, m.uom_id, m.name AS mo_name, m.lot_id,
               o.oid, o.erp_id AS operation_id, o.name, o.seq, o.pos, o.nops, o.station, w.erp_id AS workcenter_id,
               w.costs_hour, m.product_qty, m.done_qty,
               date_trunc('second', m.t0 + make_interval(secs => o.station * m.slot_minutes * 60)) AS t_start,
               round((w.setup_minutes + m.qty / m.bom_qty * o.cycle * 100 / w.time_efficiency)::numeric, 2) AS expected,
               CASE m.state
                   WHEN 'draft' THEN 'pending'
                   WHEN 'confirmed' THEN CASE WHEN o.pos = 0 THEN 'ready' ELSE 'pending' END
                   WHEN 'progress' THEN CASE WHEN o.pos = 0 THEN 'progress' ELSE 'pending' END
                   WHEN 'cancel' THEN 'cancel'
                   ELSE 'done'
               END AS state
        FROM demo_mo AS m
        JOIN demo.plan_op AS o ON o.bid = m.bid
        JOIN demo.plan_wc AS w ON w.wid = o.wid
        ORDER BY m.mo, o.seq
    ) AS x;
    ANALYZE demo_wo;

    INSERT INTO erp.mrp_workorder (id, name, sequence, production_id, workcenter_id, operation_id, product_id,
                                   product_uom_id, qty_produced, qty_producing, state, date_start, date_finished,
                                   duration_expected, duration, duration_unit, duration_percent, progress, costs_hour,
                                   company_id, create_date, write_date)
    SELECT w.id, w.name, w.seq, w.production_id, w.workcenter_id, w.operation_id, w.product_id, w.uom_id,
           CASE WHEN w.state = 'done' THEN w.done_qty ELSE 0 END,
           CASE WHEN w.state = 'progress' THEN w.product_qty END,
           w.state, w.t_start, w.t_end, w.expected, w.actual,
           CASE WHEN w.actual IS NOT NULL THEN round(w.actual / nullif(w.product_qty, 0), 4) END,
           CASE WHEN w.actual IS NOT NULL THEN round(100 * (w.expected - w.actual) / w.expected)::integer END,
           CASE WHEN w.state = 'done' THEN 100 WHEN w.state = 'progress' THEN 40 ELSE 0 END,
           w.costs_hour, 1, m.created, m.created
    FROM demo_wo AS w JOIN demo_mo AS m ON m.mo = w.mo
    ORDER BY w.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Stock moves: one per BOM line (components, stock -> production) and one for the product
    -- (production -> stock), as a confirmed Odoo MO has them.
    IF to_regclass('pg_temp.demo_move') IS NOT NULL THEN DROP TABLE pg_temp.demo_move; END IF;
    CREATE TEMP TABLE demo_move ON COMMIT DROP AS
    SELECT nextval('erp.stock_move_id_seq')::integer AS id, x.*
    FROM (
        SELECT m.mo, m.id AS mo_id, m.name AS mo_name, m.origin, m.state AS mo_state, m.date_deadline, m.created, m.r,
               true AS raw, l.blid, l.erp_id AS bom_line_id, c.erp_id AS product_id, c.tracking, c.pid AS component,
               demo.erp_uom(l.uom) AS uom_id,
               round(l.qty * m.qty / m.bom_qty, 3) AS demand,
               round(l.qty * m.qty / m.bom_qty * demo.unit_factor(l.uom, c.uom), 5) AS demand_product,
               round((l.qty * m.qty / m.bom_qty * CASE WHEN m.state = 'done'
                   THEN 0.99 + 0.04 * demo.u(s.seed, 34, m.mo * 100 + l.seq) ELSE 1 END)::numeric,
                   CASE WHEN l.uom IN ('Units', 'Dozens', 'g') THEN 0 ELSE 2 END) AS done_qty,
               round(l.qty / m.bom_qty, 6) AS unit_factor,
               o.erp_id AS operation_id, w.id AS workorder_id, w.t_start, w.t_end, l.seq
        FROM demo_mo AS m
        JOIN demo.plan_bom_line AS l ON l.bid = m.bid
        JOIN demo.plan_product AS c ON c.pid = l.pid
        JOIN demo.plan_op AS o ON o.oid = l.oid
        JOIN demo_wo AS w ON w.mo = m.mo AND w.oid = l.oid
        UNION ALL
        SELECT m.mo, m.id, m.name, m.origin, m.state, m.date_deadline, m.created, m.r,
               false, NULL, NULL, m.product_id, NULL, m.pid, m.uom_id, m.product_qty, m.qty,
               m.done_qty, 1, NULL, NULL,
               date_trunc('second', m.date_finished), date_trunc('second', m.date_finished), 99
        FROM demo_mo AS m
        ORDER BY 1, 9 DESC, 24
    ) AS x;
    ANALYZE demo_move;

    INSERT INTO erp.stock_move (id, name, sequence, priority, date, date_deadline, company_id, product_id, product_qty,
                                product_uom_qty, product_uom, quantity, location_id, location_dest_id, state, picked,
                                origin, reference, procure_method, scrapped, raw_material_production_id, production_id,
                                workorder_id, bom_line_id, operation_id, unit_factor, create_date, write_date)
    SELECT v.id, v.mo_name, v.seq, '0',
           CASE WHEN v.mo_state = 'done' THEN v.t_end ELSE date_trunc('second', v.t_start) END,
           v.date_deadline, 1, v.product_id, v.demand_product, v.demand, v.uom_id,
           CASE v.mo_state WHEN 'done' THEN v.done_qty WHEN 'to_close' THEN v.demand ELSE 0 END,
           CASE WHEN v.raw THEN stock ELSE production END, CASE WHEN v.raw THEN production ELSE stock END,
           CASE v.mo_state
               WHEN 'draft' THEN 'draft'
               WHEN 'confirmed' THEN CASE WHEN v.raw AND v.r < 0.6 THEN 'assigned' ELSE 'confirmed' END
               WHEN 'progress' THEN CASE WHEN v.raw THEN 'assigned' ELSE 'confirmed' END
               WHEN 'to_close' THEN CASE WHEN v.raw THEN 'assigned' ELSE 'confirmed' END
               ELSE v.mo_state
           END,
           v.mo_state IN ('done', 'to_close'), coalesce(v.origin, v.mo_name), v.mo_name, 'make_to_stock', false,
           CASE WHEN v.raw THEN v.mo_id END, CASE WHEN NOT v.raw THEN v.mo_id END,
           v.workorder_id, v.bom_line_id, v.operation_id, v.unit_factor, v.created,
           CASE WHEN v.mo_state = 'done' THEN least(anchor, v.t_end + interval '1 hour') ELSE v.created END
    FROM demo_move AS v ORDER BY v.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- History of done orders: move lines with lots, genealogy, scrap, work-center time.
    IF to_regclass('pg_temp.demo_line') IS NOT NULL THEN DROP TABLE pg_temp.demo_line; END IF;
    CREATE TEMP TABLE demo_line ON COMMIT DROP AS
    SELECT nextval('erp.stock_move_line_id_seq')::integer AS id, x.*
    FROM (
        SELECT v.id AS move_id, v.mo, v.mo_id, v.raw, v.product_id, v.uom_id, v.done_qty, v.mo_name, v.workorder_id,
               v.t_end,
               CASE WHEN v.raw AND v.tracking = 'lot' THEN (
                   SELECT l.id FROM erp.stock_lot AS l
                   WHERE l.product_id = v.product_id
                     AND l.name = (SELECT p.code FROM demo.plan_product AS p WHERE p.pid = v.component) || '-L'
                         || lpad(greatest(1, least(lots, floor(extract(epoch FROM v.t_start - first_lot)
                             / ((s.days + 35) * 86400.0 / lots))::integer + 1)
                             - (demo.u(s.seed, 35, v.mo * 100 + v.seq) < 0.3)::integer)::text, 2, '0')
               ) WHEN NOT v.raw THEN m.lot_id END AS lot_id
        FROM demo_move AS v JOIN demo_mo AS m ON m.mo = v.mo
        WHERE v.mo_state = 'done'
        ORDER BY v.id
    ) AS x;
    ANALYZE demo_line;

    INSERT INTO erp.stock_move_line (id, move_id, company_id, product_id, product_uom_id, quantity, quantity_product_uom,
                                     picked, lot_id, date, location_id, location_dest_id, state, reference, production_id,
                                     workorder_id, create_date, write_date)
    SELECT l.id, l.move_id, 1, l.product_id, l.uom_id, l.done_qty, l.done_qty, true, l.lot_id, l.t_end,
           CASE WHEN l.raw THEN stock ELSE production END, CASE WHEN l.raw THEN production ELSE stock END,
           'done', l.mo_name, CASE WHEN NOT l.raw THEN l.mo_id END, l.workorder_id, l.t_end, l.t_end
    FROM demo_line AS l ORDER BY l.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    INSERT INTO erp.stock_move_line_consume_rel (consume_line_id, produce_line_id, create_date, write_date)
    SELECT f.id, r.id, f.t_end, f.t_end
    FROM demo_line AS f JOIN demo_line AS r ON r.mo = f.mo AND r.raw
    WHERE NOT f.raw
    ORDER BY f.id, r.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Scrap of some done orders (plan_order.has_scrap): a scrap record and its move to the scrap location.
    IF to_regclass('pg_temp.demo_scrap') IS NOT NULL THEN DROP TABLE pg_temp.demo_scrap; END IF;
    CREATE TEMP TABLE demo_scrap ON COMMIT DROP AS
    SELECT nextval('erp.stock_scrap_id_seq')::integer AS id, nextval('erp.stock_move_id_seq')::integer AS move_id,
           nextval('erp.stock_move_line_id_seq')::integer AS line_id, x.*
    FROM (
        SELECT m.mo, m.id AS mo_id, m.name AS mo_name, m.product_id, m.puom_id, m.lot_id, m.bom_id,
               greatest(CASE WHEN m.puom = 'Units' THEN 1 ELSE 0.5 END,
                        round((m.qty * (0.005 + 0.02 * demo.u(s.seed, 37, m.mo)))::numeric,
                              CASE WHEN m.puom = 'Units' THEN 0 ELSE 1 END)) AS qty,
               (SELECT w.id FROM demo_wo AS w WHERE w.mo = m.mo ORDER BY w.seq DESC LIMIT 1) AS workorder_id,
               least(anchor, date_trunc('second', m.date_finished) + make_interval(mins => 30 + m.mo % 180)) AS at
        FROM demo_mo AS m
        WHERE m.has_scrap
        ORDER BY m.mo
    ) AS x;
    ANALYZE demo_scrap;

    INSERT INTO erp.stock_scrap (id, name, origin, product_id, product_uom_id, lot_id, scrap_qty, location_id,
                                 scrap_location_id, production_id, workorder_id, bom_id, state, date_done, company_id,
                                 create_date, write_date)
    SELECT c.id, 'SP/' || lpad(c.id::text, 5, '0'), c.mo_name, c.product_id, c.puom_id, c.lot_id, c.qty, stock, scrap,
           c.mo_id, c.workorder_id, c.bom_id, 'done', c.at, 1, c.at, c.at
    FROM demo_scrap AS c ORDER BY c.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO erp.stock_move (id, name, date, company_id, product_id, product_qty, product_uom_qty, product_uom, quantity,
                                location_id, location_dest_id, state, picked, origin, reference, scrapped, scrap_id,
                                create_date, write_date)
    SELECT c.move_id, 'SP/' || lpad(c.id::text, 5, '0'), c.at, 1, c.product_id, c.qty, c.qty, c.puom_id, c.qty, stock,
           scrap, 'done', true, c.mo_name, 'SP/' || lpad(c.id::text, 5, '0'), true, c.id, c.at, c.at
    FROM demo_scrap AS c ORDER BY c.move_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO erp.stock_move_line (id, move_id, company_id, product_id, product_uom_id, quantity, quantity_product_uom,
                                     picked, lot_id, date, location_id, location_dest_id, state, reference, create_date,
                                     write_date)
    SELECT c.line_id, c.move_id, 1, c.product_id, c.puom_id, c.qty, c.qty, true, c.lot_id, c.at, stock, scrap, 'done',
           'SP/' || lpad(c.id::text, 5, '0'), c.at, c.at
    FROM demo_scrap AS c ORDER BY c.line_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Time logged on the work centers of done work orders; some with a loss after them.
    INSERT INTO erp.mrp_workcenter_productivity (workcenter_id, company_id, workorder_id, user_id, loss_id, loss_type,
                                                 description, date_start, date_end, duration, create_date, write_date)
    SELECT x.workcenter_id, 1, x.id, 2, x.loss_id, x.loss_type, x.description, x.date_start, x.date_end,
           round(extract(epoch FROM x.date_end - x.date_start) / 60, 2), x.date_end, x.date_end
    FROM (
        SELECT w.workcenter_id, w.id, productive AS loss_id, 'productive' AS loss_type, NULL AS description,
               w.t_start AS date_start, w.t_start + make_interval(secs => w.actual * 60) AS date_end, 1 AS k
        FROM demo_wo AS w WHERE w.actual IS NOT NULL
        UNION ALL
        SELECT w.workcenter_id, w.id, lost[1 + floor(demo.u(s.seed, 39, w.mo * 10 + w.station) * cardinality(lost))::integer],
               'availability',
               (ARRAY['Spindle alarm, restarted', 'Waiting for material', 'Changeover took longer'])[
                   1 + floor(demo.u(s.seed, 40, w.mo * 10 + w.station) * 3)::integer],
               w.t_start + make_interval(secs => w.actual * 60),
               w.t_start + make_interval(secs => w.actual * 60 + (10 + 50 * demo.u(s.seed, 41, w.mo * 10 + w.station)) * 60),
               2
        FROM demo_wo AS w
        WHERE w.actual IS NOT NULL AND cardinality(lost) > 0 AND demo.u(s.seed, 38, w.mo * 10 + w.station) < 0.15
        ORDER BY 2, 8
    ) AS x;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    RETURN total;
END $$;
COMMENT ON FUNCTION demo.erp_step_orders(demo.seed_state, bigint, bigint) IS
    'Seed step orders (ERP): orders lo+1..hi of the plan with work orders, moves, and the history of done orders.';

-- A few rows the mapping pack must reject (not part of a normal seed): a variant without a
-- default_code, a product in a unit no value map lists (a new unit 'Pallets'), and a released
-- order of each.
CREATE OR REPLACE FUNCTION demo.erp_step_bad_rows(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    anchor timestamp := (s.anchor AT TIME ZONE 'UTC')::timestamp;
    categ integer := (SELECT c.id FROM erp.product_category AS c ORDER BY c.parent_id NULLS FIRST, c.id LIMIT 1);
    pallet integer;
    t1 integer;
    t2 integer;
    p1 integer;
    p2 integer;
    next_mo integer;
BEGIN
    IF EXISTS (SELECT FROM erp.product_template WHERE name->>'en_US' = 'Unlabelled sample') THEN
        RETURN 0;
    END IF;
    INSERT INTO erp.product_template (name, type, categ_id, uom_id, uom_po_id, tracking)
    VALUES ('{"en_US": "Unlabelled sample"}', 'product', categ, demo.erp_uom('Units'), demo.erp_uom('Units'), 'none')
    RETURNING id INTO t1;
    INSERT INTO erp.product_product (product_tmpl_id, default_code) VALUES (t1, NULL) RETURNING id INTO p1;
    INSERT INTO erp.uom_uom (name, category_id, factor, rounding, uom_type)
    SELECT '{"en_US": "Pallets"}', u.category_id, 0.025, 1, 'bigger' FROM erp.uom_uom AS u WHERE u.id = demo.erp_uom('Units')
    RETURNING id INTO pallet;
    INSERT INTO erp.product_template (name, type, categ_id, uom_id, uom_po_id, tracking, default_code)
    VALUES ('{"en_US": "Sealant cartridge"}', 'product', categ, pallet, pallet, 'none', 'BAD-UOM-01')
    RETURNING id INTO t2;
    INSERT INTO erp.product_product (product_tmpl_id, default_code) VALUES (t2, 'BAD-UOM-01') RETURNING id INTO p2;
    SELECT coalesce(max(substring(p.name FROM '^WH/MO/([0-9]+)$')::integer), 0) INTO next_mo FROM erp.mrp_production AS p;
    INSERT INTO erp.mrp_production (name, product_id, product_qty, product_uom_id, product_uom_qty, location_src_id,
                                    location_dest_id, date_start, date_finished, date_deadline, state, company_id)
    VALUES ('WH/MO/' || lpad((next_mo + 1)::text, 5, '0'), p1, 10, demo.erp_uom('Units'), 10, demo.erp_location('stock'),
            demo.erp_location('stock'), anchor + interval '1 day', anchor + interval '30 hours', anchor + interval '3 days',
            'confirmed', 1),
           ('WH/MO/' || lpad((next_mo + 2)::text, 5, '0'), p2, 4, pallet, 4, demo.erp_location('stock'),
            demo.erp_location('stock'), anchor + interval '1 day', anchor + interval '30 hours', anchor + interval '3 days',
            'confirmed', 1);
    RETURN 7;
END $$;
COMMENT ON FUNCTION demo.erp_step_bad_rows(demo.seed_state) IS
    'Seed step bad_rows (ERP, on request only): a unit Pallets no value map lists, a product without default_code, one in Pallets, and a released order of each.';

-- Public interface ----------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION demo.seed_steps(scale integer, days integer DEFAULT 28)
RETURNS TABLE (step text, units bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT x.step, x.units FROM (VALUES
        (1, 'begin', 1::bigint),
        (2, 'categories', 8::bigint),
        (3, 'products', 42::bigint * scale),
        (4, 'workcenters', 8::bigint * scale),
        (5, 'boms', 58::bigint * scale),
        (6, 'lots', 8::bigint * demo.erp_component_lots(days) * scale),
        (7, 'quality', 40::bigint * scale),
        -- measured: about 8.6 rows per order (order, work orders, moves, and the history of done ones)
        (8, 'orders', 430::bigint * scale),
        (9, 'finish', 1::bigint)
    ) AS x (n, step, units)
    ORDER BY x.n
$$;
COMMENT ON FUNCTION demo.seed_steps(integer, integer) IS
    'The ERP seed steps in order, with the rows each is expected to write (an estimate, for a progress bar).';

CREATE OR REPLACE FUNCTION demo.seed_step(step text, scale integer, seed integer, chunk integer DEFAULT 0,
                                          days integer DEFAULT 28, anchor timestamptz DEFAULT NULL,
                                          chunk_size integer DEFAULT 250)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s demo.seed_state;
    r record;
BEGIN
    IF scale IS NULL OR scale < 1 OR seed IS NULL OR days IS NULL OR days < 1 THEN
        RAISE EXCEPTION 'demo seed: scale and days must be at least 1 and seed given (scale %, seed %, days %)',
            scale, seed, days USING ERRCODE = '22023';
    END IF;
    IF step = 'begin' THEN
        RETURN demo.erp_step_begin(scale, seed, days, anchor);
    END IF;
    s := demo.seed_state_of('erp', scale, seed);
    IF step = 'orders' THEN
        SELECT * INTO r FROM demo.progress_take('erp', step, (SELECT count(*) FROM demo.plan_order), chunk_size);
        IF r.lo IS NULL THEN
            RETURN 0;
        END IF;
        RETURN demo.progress_rows('erp', step, demo.erp_step_orders(s, r.lo, r.hi));
    END IF;
    IF step NOT IN ('categories', 'products', 'workcenters', 'boms', 'lots', 'quality', 'finish', 'bad_rows') THEN
        RAISE EXCEPTION 'demo seed (erp): unknown step "%"', step USING ERRCODE = '22023',
            HINT = 'the steps are listed by demo.seed_steps(scale), plus bad_rows';
    END IF;
    SELECT * INTO r FROM demo.progress_take('erp', step, 1, 1);
    IF r.lo IS NULL THEN
        RETURN 0;
    END IF;
    RETURN demo.progress_rows('erp', step, CASE step
        WHEN 'categories' THEN demo.erp_step_categories(s)
        WHEN 'products' THEN demo.erp_step_products(s)
        WHEN 'workcenters' THEN demo.erp_step_workcenters(s)
        WHEN 'boms' THEN demo.erp_step_boms(s)
        WHEN 'lots' THEN demo.erp_step_lots(s)
        WHEN 'quality' THEN demo.erp_step_quality(s)
        WHEN 'bad_rows' THEN demo.erp_step_bad_rows(s)
        WHEN 'finish' THEN demo.erp_step_finish(s)
    END);
END $$;
COMMENT ON FUNCTION demo.seed_step(text, integer, integer, integer, integer, timestamptz, integer) IS
    'Runs the next slice (chunk_size orders; <= 0: all) of an ERP seed step and returns the rows written; call until it returns 0. chunk is the caller''s call count (progress is kept in demo.seed_progress); days and anchor matter for step begin only.';

CREATE OR REPLACE FUNCTION demo.erp_step_finish(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE demo.seed_state SET finished_at = now() WHERE side = 'erp';
    ANALYZE erp.mrp_production;
    ANALYZE erp.stock_move;
    RETURN 1;
END $$;
COMMENT ON FUNCTION demo.erp_step_finish(demo.seed_state) IS 'Seed step finish (ERP): marks the seed complete.';

-- The whole ERP seed in one call (one transaction), for psql and tests.
CREATE OR REPLACE FUNCTION demo.seed_erp(scale integer, seed integer, days integer DEFAULT 28,
                                         anchor timestamptz DEFAULT NULL, chunk_size integer DEFAULT 250)
RETURNS TABLE (step text, rows bigint, ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    st record;
    n bigint;
    k integer;
    started timestamptz;
BEGIN
    FOR st IN SELECT * FROM demo.seed_steps(scale, days) LOOP
        started := clock_timestamp();
        rows := 0;
        k := 0;
        LOOP
            n := demo.seed_step(st.step, scale, seed, k, days, anchor, chunk_size);
            k := k + 1;
            EXIT WHEN n = 0;
            rows := rows + n;
        END LOOP;
        step := st.step;
        ms := round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION demo.seed_erp(integer, integer, integer, timestamptz, integer) IS
    'Runs every ERP seed step to the end in this transaction; returns rows written and milliseconds per step.';
