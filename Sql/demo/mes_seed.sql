-- The MES side of `erpmes demo seed`: shop-floor activity over simulated shifts, written into
-- mes.* only. It works on the MES orders that exist (replicated from the ERP: externalnumber =
-- WH/MO/...); on an MES database without orders (standalone use, e.g. for benchmarks of the MES
-- views) it first writes the plant plan's master data and released orders itself, as the
-- replicator would have.
--
-- Protocol, as on the ERP side (psql users can call demo.seed_mes instead):
--   SELECT step, units FROM demo.mes_seed_steps(scale);
--   for each step, chunk = 0, 1, 2, ...: SELECT demo.mes_seed_step(step, scale, seed, chunk)  -- until 0
-- Slices: 100 orders (chunk_size), or chunk_size / 5 workstations for the calendar and states.
-- The plant time zone (MES timestamps are plant-local) is the setting demo.plant_tz, else
-- erpmes.plant_tz, else the zone the replicator last applied orders with, else TimeZone.
--
-- What it writes, for every order whose operations fall before the anchor (plant-local "now"):
--   * staff, the working calendar (3 shifts a day per workstation), supplier batches of the
--     batch-tracked components;
--   * order state changes 01pending -> 02accepted -> 03inProgress -> 04completed (with their
--     orders_orderstatechange rows dated in simulated time), done and waste quantities;
--   * production tracking records (02accepted) every 20 minutes of an operation, on the shift's
--     worker: good and waste output on the last operation (with the product batch), components
--     consumed at each operation with the batches used (genealogy); about 3% of the output
--     records corrected (original 04corrected, correction_id -> a record with iscorrection);
--   * stoppages (machine failure, tool change, material shortage, planned maintenance), each
--     failure with a maintenance event (01failure, 01new: the ERP closes its request);
--   * equipment state history per workstation (SETUP, RUN, minor stops as IDLE within an order,
--     DOWN, PLANNED_STOP, IDLE between orders), the interval at the anchor left open;
--   * quality controls with values as text: a final control per completed order (about 8% NOK,
--     which blocks the batch) and in-process controls.
-- Operation timing: each operation's planned window (operationaltask dates, else the order's
-- dates split over its operations), an actual start a little late, 0-20% slower than planned,
-- plus a stoppage. Deterministic: hashes of (seed, order key), never random().
-- erpmes:requires demo_schema.sql
-- erpmes:requires erp_seed.sql

-- The activity plan: one row per order operation, built by step plan.
-- Kept when this file runs again (a seed in progress needs it).
CREATE TABLE IF NOT EXISTS demo.mes_op (
    order_id bigint NOT NULL,
    okey text NOT NULL,                 -- externalnumber (ERP name) or number: the hash key
    rank integer NOT NULL,              -- 1.. by planned start: the chunking unit
    order_state text NOT NULL,
    order_number text NOT NULL,
    product_id bigint NOT NULL,
    product_number text NOT NULL,
    unit text,
    decimals integer NOT NULL,          -- 0 for pieces
    batchevidence boolean NOT NULL,
    batch_number text,
    planned numeric NOT NULL,
    good numeric NOT NULL,              -- the order's total good output, product unit
    waste numeric NOT NULL,
    pos integer NOT NULL,
    nops integer NOT NULL,
    technology_operation_id bigint,
    task_id bigint,
    workstation_id bigint NOT NULL,
    ps timestamp NOT NULL,              -- planned window, plant-local
    pe timestamp NOT NULL,
    s timestamp,                        -- actual start
    su integer,                         -- setup, seconds
    run integer,                        -- net run, seconds
    reason_id bigint,                   -- stoppage, if any
    x timestamp,                        -- stoppage start
    d integer,                          -- stoppage length, seconds
    e timestamp,                        -- actual end = s + su + run + d
    PRIMARY KEY (order_id, pos)
);
CREATE INDEX IF NOT EXISTS mes_op_rank ON demo.mes_op (rank);
CREATE INDEX IF NOT EXISTS mes_op_workstation ON demo.mes_op (workstation_id, s);
COMMENT ON TABLE demo.mes_op IS 'MES seed work table: the simulated timing of every order operation (plant-local).';

-- The plant time zone: SET demo.plant_tz, else erpmes.plant_tz, else the zone the replicator last
-- applied orders with (mes.orders_plant_zone, kept by the mapping pack), else the session's.
CREATE OR REPLACE FUNCTION demo.mes_plant_tz()
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    zone text := coalesce(nullif(current_setting('demo.plant_tz', true), ''), nullif(current_setting('erpmes.plant_tz', true), ''));
BEGIN
    IF zone IS NULL AND to_regclass('mes.orders_plant_zone') IS NOT NULL THEN
        EXECUTE 'SELECT z.zone FROM mes.orders_plant_zone AS z LIMIT 1' INTO zone;
    END IF;
    RETURN coalesce(zone, current_setting('TimeZone'));
END $$;
COMMENT ON FUNCTION demo.mes_plant_tz() IS
    'The plant time zone of MES timestamps: demo.plant_tz, erpmes.plant_tz, the zone the link last applied orders with, or TimeZone.';

-- Naive UTC -> naive plant-local.
CREATE OR REPLACE FUNCTION demo.local(ts timestamp, tz text)
RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (ts AT TIME ZONE 'UTC') AT TIME ZONE tz;
COMMENT ON FUNCTION demo.local(timestamp, text) IS 'A naive UTC timestamp as naive local time in tz.';

-- The anchor as plant-local naive time.
CREATE OR REPLACE FUNCTION demo.mes_anchor(s demo.seed_state)
RETURNS timestamp
LANGUAGE sql IMMUTABLE
RETURN s.anchor AT TIME ZONE s.plant_tz;
COMMENT ON FUNCTION demo.mes_anchor(demo.seed_state) IS 'The simulated "now" in plant-local time.';

-- Factor from unit a to unit b of an MES product (product-specific rows first, then global, either way).
CREATE OR REPLACE FUNCTION demo.mes_unit_factor(a text, b text, product bigint)
RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF a IS NULL OR b IS NULL OR a = b THEN
        RETURN 1;
    END IF;
    RETURN coalesce((
        SELECT x.f FROM (
            SELECT c.quantityto / c.quantityfrom AS f, 0 AS k, c.product_id IS NULL AS g FROM mes.unit_conversion AS c
            WHERE c.unitfrom = a AND c.unitto = b AND (c.product_id = product OR c.product_id IS NULL)
            UNION ALL
            SELECT c.quantityfrom / c.quantityto, 1, c.product_id IS NULL FROM mes.unit_conversion AS c
            WHERE c.unitfrom = b AND c.unitto = a AND (c.product_id = product OR c.product_id IS NULL)
        ) AS x ORDER BY x.g, x.k LIMIT 1), 1);
END $$;
COMMENT ON FUNCTION demo.mes_unit_factor(text, text, bigint) IS
    'How many b one a of an MES product is (mes.unit_conversion, product rows first; 1 when unknown).';

-- Steps -----------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION demo.mes_step_begin(scale integer, seed integer, days integer, anchor timestamptz,
                                               standalone boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s demo.seed_state;
    tz text := demo.mes_plant_tz();
BEGIN
    SELECT * INTO s FROM demo.seed_state WHERE side = 'mes';
    IF FOUND THEN
        PERFORM demo.seed_state_of('mes', scale, seed);
        RETURN 0;
    END IF;
    IF EXISTS (SELECT FROM mes.productiontracking) THEN
        RAISE EXCEPTION 'demo seed (mes): this database already has production records; seed a fresh one'
            USING ERRCODE = '55000';
    END IF;
    INSERT INTO demo.seed_state (side, scale, seed, days, anchor, plant_tz, standalone)
    VALUES ('mes', scale, seed, days, demo.resolve_anchor(anchor), tz,
            coalesce(standalone, NOT EXISTS (SELECT FROM mes.orders_order)))
    RETURNING * INTO s;
    IF s.standalone THEN
        PERFORM demo.build_plan(scale, seed, days, (s.anchor AT TIME ZONE 'UTC')::timestamp, 0);
    END IF;
    INSERT INTO demo.seed_progress (side, step, done, total, rows) VALUES ('mes', 'begin', 1, 1, 1);
    RETURN 1;
END $$;
COMMENT ON FUNCTION demo.mes_step_begin(integer, integer, integer, timestamptz, boolean) IS
    'Seed step begin (MES): fixes the parameters, the anchor and the plant time zone (demo.mes_plant_tz); standalone when the MES has no orders.';

-- Standalone: the master data the replicator would have brought from the ERP.
CREATE OR REPLACE FUNCTION demo.mes_step_master(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    total bigint := 0;
    n bigint;
BEGIN
    INSERT INTO mes.product (number, name, unit, batchevidence, active)
    SELECT p.code, p.name, demo.mes_unit(p.uom), p.tracking <> 'none', true FROM demo.plan_product AS p ORDER BY p.pid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    -- bolts come in boxes of 100 (a product-specific conversion)
    INSERT INTO mes.unit_conversion (quantityfrom, unitfrom, quantityto, unitto, product_id)
    SELECT 1, 'box', 100, 'pc', m.id FROM demo.plan_product AS p JOIN mes.product AS m ON m.number = p.code
    WHERE p.arch = 10 ORDER BY p.pid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO mes.productionline (number, name, description)
    SELECT 'LINE-' || lpad(l::text, greatest(2, length(s.scale::text)), '0'), 'Line ' || l, 'Flow line: PREP, PROC, ASSY, PACK'
    FROM generate_series(1, s.scale) AS l;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO mes.workstation (number, name, productionline_id, serialnumber, state)
    SELECT w.code, w.name, pl.id, w.serial, '01stopped'
    FROM demo.plan_wc AS w
    JOIN mes.productionline AS pl ON pl.number = 'LINE-' || lpad(w.line::text, greatest(2, length(s.scale::text)), '0')
    ORDER BY w.wid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO mes.technology (number, name, product_id, state, master)
    SELECT b.code, p.name, m.id, '02accepted', true
    FROM demo.plan_bom AS b JOIN demo.plan_product AS p ON p.pid = b.pid JOIN mes.product AS m ON m.number = p.code
    ORDER BY b.bid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO mes.technology_operation (technology_id, nodenumber, name, workstation_id, tpz, tj, productioninonecycle,
                                          productioninonecycleunit)
    SELECT t.id, (o.pos + 1) || '.', o.name, ws.id, w.setup_minutes * 60, round(o.cycle * 60)::integer, b.qty,
           demo.mes_unit(p.uom)
    FROM demo.plan_op AS o
    JOIN demo.plan_bom AS b ON b.bid = o.bid
    JOIN demo.plan_product AS p ON p.pid = b.pid
    JOIN mes.technology AS t ON t.number = b.code
    JOIN demo.plan_wc AS w ON w.wid = o.wid
    JOIN mes.workstation AS ws ON ws.number = w.code
    ORDER BY o.oid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    INSERT INTO mes.technology_input_product (technology_operation_id, product_id, quantity, unit)
    SELECT tox.id, c.id, l.qty, demo.mes_unit(l.uom)
    FROM demo.plan_bom_line AS l
    JOIN demo.plan_bom AS b ON b.bid = l.bid
    JOIN demo.plan_op AS o ON o.oid = l.oid
    JOIN mes.technology AS t ON t.number = b.code
    JOIN mes.technology_operation AS tox ON tox.technology_id = t.id AND tox.nodenumber = (o.pos + 1) || '.'
    JOIN mes.product AS c ON c.number = (SELECT p.code FROM demo.plan_product AS p WHERE p.pid = l.pid)
    ORDER BY l.blid;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    RETURN total;
END $$;
COMMENT ON FUNCTION demo.mes_step_master(demo.seed_state) IS
    'Seed step master (MES, standalone only): products, lines, workstations, technologies with operations and inputs.';

-- Standalone: the released orders (ERP confirmed -> 01pending, progress -> 03inProgress) with tasks.
CREATE OR REPLACE FUNCTION demo.mes_step_orders(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    m bigint;
BEGIN
    INSERT INTO mes.orders_order (name, externalnumber, externalsynchronized, product_id, technology_id, productionline_id,
                                  plannedquantity, datefrom, dateto, deadline, state, priority, batchnumber)
    SELECT p.name, o.name, true, mp.id, t.id, ws.productionline_id, o.qty,
           demo.local(o.date_start, s.plant_tz), demo.local(o.date_finished, s.plant_tz),
           demo.local(o.date_deadline, s.plant_tz),
           CASE o.state WHEN 'progress' THEN '03inProgress' ELSE '01pending' END,
           CASE o.priority WHEN '1' THEN 10 ELSE 100 END,
           CASE WHEN o.state = 'progress' THEN o.lot_name END
    FROM demo.plan_order AS o
    JOIN demo.plan_product AS p ON p.pid = o.pid
    JOIN mes.product AS mp ON mp.number = p.code
    JOIN demo.plan_bom AS b ON b.bid = o.bid
    JOIN mes.technology AS t ON t.number = b.code
    JOIN mes.workstation AS ws ON ws.number = (SELECT w.code FROM demo.plan_wc AS w WHERE w.line = o.line AND w.station = 0)
    WHERE o.state IN ('confirmed', 'progress')
    ORDER BY o.mo;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO mes.operationaltask (name, order_id, technology_operation_id, workstation_id, state, startdate, finishdate)
    SELECT op.name, mo.id, tox.id, tox.workstation_id, '01pending',
           demo.local(o.t0 + make_interval(secs => op.station * o.slot_minutes * 60), s.plant_tz),
           demo.local(date_trunc('second', o.t0 + make_interval(secs => op.station * o.slot_minutes * 60
               + (w.setup_minutes + o.qty / b.qty * op.cycle * 100 / w.time_efficiency) * 60)), s.plant_tz)
    FROM demo.plan_order AS o
    JOIN mes.orders_order AS mo ON mo.externalnumber = o.name
    JOIN demo.plan_bom AS b ON b.bid = o.bid
    JOIN demo.plan_op AS op ON op.bid = o.bid
    JOIN demo.plan_wc AS w ON w.wid = op.wid
    JOIN mes.technology_operation AS tox ON tox.technology_id = mo.technology_id AND tox.nodenumber = (op.pos + 1) || '.'
    ORDER BY o.mo, op.seq;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END $$;
COMMENT ON FUNCTION demo.mes_step_orders(demo.seed_state) IS
    'Seed step orders (MES, standalone only): the plan''s released orders and their operational tasks.';

CREATE OR REPLACE FUNCTION demo.mes_staff_needed(scale integer)
RETURNS integer
LANGUAGE sql IMMUTABLE
RETURN 6 + 8 * scale;
COMMENT ON FUNCTION demo.mes_staff_needed(integer) IS 'How many staff the MES seed makes sure exist.';

CREATE OR REPLACE FUNCTION demo.mes_step_staff(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    have integer := (SELECT count(*) FROM mes.staff WHERE active);
    n bigint;
BEGIN
    INSERT INTO mes.staff (name, surname)
    SELECT (ARRAY['Anna', 'Ben', 'Clara', 'David', 'Elif', 'Felix', 'Greta', 'Hasan', 'Ines', 'Jonas', 'Katja', 'Lukas',
                  'Mara', 'Nico', 'Olga', 'Paul', 'Rosa', 'Stefan', 'Tanja', 'Yusuf'])[1 + floor(demo.u(s.seed, 50, i) * 20)::integer],
           (ARRAY['Keller', 'Nowak', 'Schmidt', 'Yilmaz', 'Fischer', 'Weber', 'Kowalski', 'Meyer', 'Wagner', 'Becker',
                  'Hoffmann', 'Schulz', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Braun', 'Zimmermann', 'Krüger'])[
               1 + floor(demo.u(s.seed, 51, i) * 20)::integer]
    FROM generate_series(have + 1, demo.mes_staff_needed(s.scale)) AS i
    ORDER BY i;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.mes_step_staff(demo.seed_state) IS 'Seed step staff (MES): workers and inspectors.';

-- Working calendar of workstations (lo, hi] (by id order): the shifts in which a workstation has
-- planned work (the plant staffs a machine when orders need it), each with a 30-minute break.
CREATE OR REPLACE FUNCTION demo.mes_step_calendar(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    n bigint;
BEGIN
    INSERT INTO mes.workingcalendar (workstation_id, date, shift_id, plannedbusyfrom, plannedbusyto, planneddowntime)
    SELECT c.id, c.day::date, c.shift_id, c.f, c.t, 1800
    FROM (
        SELECT w.id, d AS day, sh.id AS shift_id, d + sh.starttime AS f,
               d + sh.endtime + CASE WHEN sh.endtime <= sh.starttime THEN interval '1 day' ELSE interval '0' END AS t
        FROM (SELECT ws.id FROM mes.workstation AS ws WHERE ws.active ORDER BY ws.id OFFSET lo LIMIT hi - lo) AS w
        CROSS JOIN generate_series(date_trunc('day', a) - make_interval(days => s.days + 1),
                                   date_trunc('day', a) + make_interval(days => ceil(s.days / 4.0)::integer), interval '1 day') AS d
        CROSS JOIN mes.shift AS sh
    ) AS c
    WHERE EXISTS (SELECT FROM demo.mes_op AS m
                  WHERE m.workstation_id = c.id AND m.ps < c.t AND greatest(m.pe, m.e) > c.f)
    ORDER BY c.id, c.f
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.mes_step_calendar(demo.seed_state, bigint, bigint) IS
    'Seed step calendar (MES): planned busy time per workstation, day and shift, with a 30-minute break.';

-- Supplier batches of batch-tracked components (named as the ERP generator names its lots).
CREATE OR REPLACE FUNCTION demo.mes_step_batches(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    lots integer := demo.erp_component_lots(s.days);
    n bigint;
BEGIN
    INSERT INTO mes.batch (number, product_id, state, expirationdate)
    SELECT p.number || '-L' || lpad(i::text, 2, '0'), p.id, '01tracked',
           CASE WHEN p.unit IN ('kg', 'l') THEN (demo.mes_anchor(s) + make_interval(days => 180 + 30 * i))::date END
    FROM mes.product AS p CROSS JOIN generate_series(1, lots) AS i
    WHERE p.batchevidence AND EXISTS (SELECT FROM mes.technology_input_product AS t WHERE t.product_id = p.id)
    ORDER BY p.number, i
    ON CONFLICT (product_id, number) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.mes_step_batches(demo.seed_state) IS
    'Seed step batches (MES): supplier batches of the batch-tracked components that technologies consume.';

-- The activity plan: timing of every operation of the orders the MES has to work on.
CREATE OR REPLACE FUNCTION demo.mes_step_plan(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    failure bigint := (SELECT r.id FROM mes.stoppage_reason AS r WHERE r.type = '01failure' AND r.active ORDER BY r.id LIMIT 1);
    tool bigint := (SELECT r.id FROM mes.stoppage_reason AS r WHERE r.name = 'Tool change');
    shortage bigint := (SELECT r.id FROM mes.stoppage_reason AS r WHERE r.name = 'Material shortage');
    maintenance bigint := (SELECT r.id FROM mes.stoppage_reason AS r WHERE r.planned AND r.name ILIKE '%maintenance%' LIMIT 1);
    p integer;
    n bigint;
BEGIN
    -- fresh statistics: the orders may have been written a moment ago (by the replicator or by
    -- the standalone steps in this very transaction)
    ANALYZE mes.orders_order;
    ANALYZE mes.operationaltask;
    ANALYZE mes.technology_operation;
    ANALYZE mes.technology_input_product;
    ANALYZE mes.product;
    ANALYZE mes.batch;
    TRUNCATE demo.mes_op;
    INSERT INTO demo.mes_op (order_id, okey, rank, order_state, order_number, product_id, product_number, unit, decimals,
                             batchevidence,
                             batch_number, planned, good, waste, pos, nops, technology_operation_id, task_id,
                             workstation_id, ps, pe)
    WITH orders AS (
        SELECT o.id, coalesce(o.externalnumber, o.number) AS okey, o.state, o.number, o.product_id,
               pr.number AS product_number, pr.unit,
               CASE WHEN pr.unit IN ('pc', 'box') THEN 0 ELSE 2 END AS decimals, pr.batchevidence, o.batchnumber,
               o.plannedquantity, o.datefrom, o.dateto, o.technology_id
        FROM mes.orders_order AS o
        JOIN mes.product AS pr ON pr.id = o.product_id
        WHERE o.state IN ('01pending', '02accepted', '03inProgress') AND o.datefrom IS NOT NULL AND o.dateto > o.datefrom
          AND o.datefrom < a + interval '2 days'
          AND NOT EXISTS (SELECT FROM mes.productiontracking AS t WHERE t.order_id = o.id)
    ), ops AS (
        -- the order's tasks if it has them, else its technology's operations
        SELECT o.id AS order_id, t.id AS task_id, t.technology_operation_id, coalesce(t.workstation_id, tox.workstation_id) AS ws,
               t.startdate, t.finishdate, coalesce(tox.nodenumber, t.number) AS node
        FROM orders AS o
        JOIN mes.operationaltask AS t ON t.order_id = o.id
        LEFT JOIN mes.technology_operation AS tox ON tox.id = t.technology_operation_id
        WHERE t.state IN ('01pending', '02started')
        UNION ALL
        SELECT o.id, NULL, tox.id, tox.workstation_id, NULL, NULL, tox.nodenumber
        FROM orders AS o
        JOIN mes.technology_operation AS tox ON tox.technology_id = o.technology_id
        WHERE NOT EXISTS (SELECT FROM mes.operationaltask AS t WHERE t.order_id = o.id)
    ), numbered AS (
        SELECT x.*, row_number() OVER (PARTITION BY x.order_id ORDER BY x.startdate NULLS LAST,
                   nullif(substring(x.node FROM '^[0-9]+'), '')::integer NULLS LAST, x.node, x.task_id) - 1 AS pos,
               count(*) OVER (PARTITION BY x.order_id) AS nops
        FROM ops AS x
        WHERE x.ws IS NOT NULL
    )
    SELECT o.id, o.okey, dense_rank() OVER (ORDER BY o.datefrom, o.okey), o.state, o.number, o.product_id,
           o.product_number, o.unit,
           o.decimals, o.batchevidence,
           CASE WHEN o.batchevidence THEN coalesce(o.batchnumber, 'LOT' || to_char(o.datefrom, 'YYMMDD') || '-'
               || right(lpad(regexp_replace(o.okey, '[^0-9]', '', 'g'), 5, '0'), 5)) END,
           o.plannedquantity,
           round((o.plannedquantity * (0.97 + 0.06 * demo.ut(s.seed, 60, o.okey)))::numeric, o.decimals),
           round((o.plannedquantity * CASE WHEN demo.ut(s.seed, 61, o.okey) < 0.05 THEN 0.08 + 0.07 * demo.ut(s.seed, 62, o.okey)
                                           ELSE 0.04 * demo.ut(s.seed, 62, o.okey) END)::numeric, o.decimals),
           n.pos, n.nops, n.technology_operation_id, n.task_id, n.ws,
           -- planned window: the task's, else a share of the order's
           coalesce(n.startdate, o.datefrom + (o.dateto - o.datefrom) * n.pos / n.nops),
           coalesce(n.finishdate, o.datefrom + (o.dateto - o.datefrom) * (n.pos + 0.9) / n.nops)
    FROM orders AS o JOIN numbered AS n ON n.order_id = o.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE demo.mes_op;

    -- Actual timing, operation after operation: a late start, setup, a slower run, a stoppage.
    UPDATE demo.mes_op AS m SET
        su = x.su, run = x.run, reason_id = x.reason, d = x.d
    FROM (
        SELECT y.order_id, y.pos, y.su,
               -- The run never beats the operation's ideal rate (ISO 22400 PRU = tj per cycle): it
               -- takes at least the ideal time of the order's quantity at 75-90 % of that rate (below the
               -- shift's planned busy time even when a machine runs through its break).
               greatest(300, round((extract(epoch FROM y.pe - y.ps) - y.su) * (1 + 0.2 * demo.ut(s.seed, 63, y.k))),
                        ceil(y.ideal / (0.75 + 0.15 * demo.ut(s.seed, 68, y.k))))::integer AS run,
               CASE WHEN y.r < 0.09 THEN failure WHEN y.r < 0.17 THEN tool WHEN y.r < 0.22 THEN shortage
                    WHEN y.r < 0.24 THEN maintenance END AS reason,
               round(60 * CASE WHEN y.r < 0.09 THEN 20 + 130 * y.q WHEN y.r < 0.17 THEN 5 + 20 * y.q
                               WHEN y.r < 0.22 THEN 10 + 50 * y.q ELSE 30 + 60 * y.q END)::integer AS d
        FROM (
            SELECT z.order_id, z.pos, z.okey || '#' || z.pos AS k,
                   least(coalesce(nullif(tox.tpz, 0), 600), round(extract(epoch FROM z.pe - z.ps) * 0.3))::integer AS su,
                   demo.ut(s.seed, 64, z.okey || '#' || z.pos) AS r, demo.ut(s.seed, 65, z.okey || '#' || z.pos) AS q,
                   z.ps, z.pe,
                   coalesce((z.good + z.waste) * tox.tj / nullif(tox.productioninonecycle, 0), 0) AS ideal
            FROM demo.mes_op AS z LEFT JOIN mes.technology_operation AS tox ON tox.id = z.technology_operation_id
        ) AS y
    ) AS x
    WHERE m.order_id = x.order_id AND m.pos = x.pos;
    UPDATE demo.mes_op SET d = NULL WHERE reason_id IS NULL;

    FOR p IN 0..coalesce((SELECT max(pos) FROM demo.mes_op), -1) LOOP
        UPDATE demo.mes_op AS m SET
            s = x.s,
            x = CASE WHEN m.reason_id IS NOT NULL
                     THEN date_trunc('second', x.s + make_interval(secs => m.su + m.run * (0.1 + 0.8 * demo.ut(s.seed, 66, m.okey || '#' || m.pos)))) END,
            e = x.s + make_interval(secs => m.su + m.run + coalesce(m.d, 0))
        FROM (
            SELECT c.order_id, c.pos,
                   date_trunc('minute', greatest(
                       c.ps + make_interval(secs => (-10 + 55 * demo.ut(s.seed, 67, c.okey || '#' || c.pos)) * 60),
                       prev.e + interval '5 minutes')) AS s
            FROM demo.mes_op AS c LEFT JOIN demo.mes_op AS prev ON prev.order_id = c.order_id AND prev.pos = c.pos - 1
            WHERE c.pos = p
        ) AS x
        WHERE m.order_id = x.order_id AND m.pos = x.pos;
    END LOOP;
    ANALYZE demo.mes_op;
    RETURN 1;  -- a work table, not plant data
END $$;
COMMENT ON FUNCTION demo.mes_step_plan(demo.seed_state) IS
    'Seed step plan (MES): simulated timing of every operation of the open orders (demo.mes_op); returns 1.';

-- Production tracking of orders ranked (lo, hi]: records, output, consumption, used batches,
-- corrections, stoppages and failure events.
CREATE OR REPLACE FUNCTION demo.mes_step_tracking(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    staff bigint[] := ARRAY(SELECT x.id FROM mes.staff AS x WHERE x.active ORDER BY x.id);
    lots integer := demo.erp_component_lots(s.days);
    piece interval := interval '20 minutes';
    total bigint := 0;
    n bigint;
BEGIN
    -- output batches of batch-tracked products
    INSERT INTO mes.batch (number, product_id, state)
    SELECT DISTINCT m.batch_number, m.product_id, '01tracked' FROM demo.mes_op AS m
    WHERE m.rank > lo AND m.rank <= hi AND m.batch_number IS NOT NULL AND m.s < a
    ORDER BY 1, 2
    ON CONFLICT (product_id, number) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- One record per 20 minutes of the clock an operation touches, posted once they end.
    IF to_regclass('pg_temp.demo_piece') IS NOT NULL THEN DROP TABLE pg_temp.demo_piece; END IF;
    CREATE TEMP TABLE demo_piece ON COMMIT DROP AS
    SELECT nextval('mes.productiontracking_id_seq') AS id, y.*,
           sum(y.mt) OVER (PARTITION BY y.order_id, y.pos ORDER BY y.pf) AS cum
    FROM (
        SELECT m.order_id, m.pos, m.okey, m.nops, m.pos = m.nops - 1 AS final, m.technology_operation_id,
               m.workstation_id, m.product_id, m.unit, m.decimals, m.good, m.waste, m.run, m.batch_number,
               greatest(m.s, c.f) AS pf, least(m.e, c.f + piece) AS pt,
               -- machine time: the piece minus setup and stoppage
               greatest(0, extract(epoch FROM least(m.e, c.f + piece) - greatest(m.s + make_interval(secs => m.su), c.f)))
                 - CASE WHEN m.x IS NULL THEN 0 ELSE greatest(0, extract(epoch FROM
                       least(m.x + make_interval(secs => m.d), c.f + piece) - greatest(m.x, c.f))) END AS mt,
               c.f AS cell
        FROM demo.mes_op AS m
        CROSS JOIN LATERAL generate_series(date_bin(piece, m.s, timestamp '2000-01-01'), m.e - interval '1 second', piece) AS c (f)
        WHERE m.rank > lo AND m.rank <= hi AND m.s < a AND least(m.e, c.f + piece) <= a
        ORDER BY m.rank, m.order_id, m.pos, c.f
    ) AS y;
    ANALYZE demo_piece;
    ALTER TABLE demo_piece ADD COLUMN shift_id bigint, ADD COLUMN staff_id bigint, ADD COLUMN good_i numeric,
        ADD COLUMN waste_i numeric, ADD COLUMN batch_id bigint, ADD COLUMN correction_id bigint;
    UPDATE demo_piece AS p SET
        shift_id = (SELECT sh.id FROM mes.shift AS sh
                    WHERE CASE WHEN sh.starttime < sh.endtime THEN p.pf::time >= sh.starttime AND p.pf::time < sh.endtime
                               ELSE p.pf::time >= sh.starttime OR p.pf::time < sh.endtime END
                    ORDER BY sh.id LIMIT 1),
        staff_id = staff[1 + floor(demo.ut(s.seed, 70, p.workstation_id || '@' || (p.pf - interval '6 hours')::date
            || '/' || floor(extract(hour FROM p.pf - interval '6 hours') / 8)) * cardinality(staff))::integer],
        good_i = CASE WHEN p.final THEN round(p.good * least(1, p.cum / p.run), p.decimals)
                      - round(p.good * least(1, (p.cum - p.mt) / p.run), p.decimals) END,
        waste_i = CASE WHEN p.final THEN round(p.waste * least(1, p.cum / p.run), p.decimals)
                       - round(p.waste * least(1, (p.cum - p.mt) / p.run), p.decimals) END,
        batch_id = (SELECT b.id FROM mes.batch AS b WHERE b.product_id = p.product_id AND b.number = p.batch_number),
        correction_id = CASE WHEN p.final AND demo.ut(s.seed, 71, p.okey || '#' || p.pf) < 0.03
                             THEN nextval('mes.productiontracking_id_seq') END;

    INSERT INTO mes.productiontracking (id, order_id, technology_operation_id, workstation_id, staff_id, shift_id, state,
                                        timerangefrom, timerangeto, machinetime, labortime, iscorrection, correction_id,
                                        lasttracking, batch_id, createdate)
    SELECT x.id, x.order_id, x.technology_operation_id, x.workstation_id, x.staff_id, x.shift_id, x.state, x.pf, x.pt,
           x.mt, x.lt, x.iscorrection, x.corr, x.last, x.batch_id, x.created
    FROM (
        SELECT p.id, p.order_id, p.technology_operation_id, p.workstation_id, p.staff_id, p.shift_id,
               CASE WHEN p.correction_id IS NULL THEN '02accepted' ELSE '04corrected' END AS state, p.pf, p.pt,
               round(p.mt)::integer AS mt, round(extract(epoch FROM p.pt - p.pf))::integer AS lt, false AS iscorrection,
               p.correction_id AS corr, p.final AND p.pt = (SELECT m.e FROM demo.mes_op AS m
                   WHERE m.order_id = p.order_id AND m.pos = p.pos) AS last,
               p.batch_id, p.pt + make_interval(secs => 60 + floor(240 * demo.ut(s.seed, 76, p.okey || '@' || p.pf))::integer)
                   AS created, p.id AS k
        FROM demo_piece AS p
        UNION ALL
        SELECT p.correction_id, p.order_id, p.technology_operation_id, p.workstation_id, p.staff_id, p.shift_id,
               '02accepted', p.pf, p.pt, round(p.mt)::integer, round(extract(epoch FROM p.pt - p.pf))::integer, true, NULL,
               false, p.batch_id,
               least(a, p.pt + make_interval(hours => 1 + floor(4 * demo.ut(s.seed, 77, p.okey || '@' || p.pf))::integer)),
               p.correction_id
        FROM demo_piece AS p WHERE p.correction_id IS NOT NULL
        ORDER BY k
    ) AS x;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Output of the last operation: good and waste, in the product unit; a correction moves
    -- a few pieces from good to waste.
    INSERT INTO mes.tracking_product_out (productiontracking_id, product_id, usedquantity, wastesquantity, causeofwastes,
                                          givenunit, givenquantity, batch_id)
    SELECT x.tid, x.product_id, x.good, x.waste,
           CASE WHEN x.waste > 0 THEN (ARRAY['Dimension out of tolerance', 'Surface defect', 'Damaged in handling',
                                             'Start-up scrap', 'Contaminated'])[1 + floor(5 * x.u)::integer] END,
           x.unit, x.good, x.batch_id
    FROM (
        SELECT p.id AS tid, p.product_id, p.good_i AS good, p.waste_i AS waste, p.unit, p.batch_id, p.id AS k,
               demo.ut(s.seed, 78, p.okey || '@' || p.pf) AS u
        FROM demo_piece AS p WHERE p.final AND p.good_i + p.waste_i > 0
        UNION ALL
        SELECT p.correction_id, p.product_id,
               greatest(0, p.good_i - greatest(CASE WHEN p.decimals = 0 THEN 1 ELSE 0.5 END, round(p.good_i * 0.05, p.decimals))),
               p.waste_i + least(p.good_i, greatest(CASE WHEN p.decimals = 0 THEN 1 ELSE 0.5 END, round(p.good_i * 0.05, p.decimals))),
               p.unit, p.batch_id, p.correction_id, demo.ut(s.seed, 78, p.okey || '@' || p.pf)
        FROM demo_piece AS p WHERE p.correction_id IS NOT NULL AND p.good_i + p.waste_i > 0
        ORDER BY k
    ) AS x;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Consumption at each operation, proportional to what it processed, with the batches used.
    IF to_regclass('pg_temp.demo_in') IS NOT NULL THEN DROP TABLE pg_temp.demo_in; END IF;
    CREATE TEMP TABLE demo_in ON COMMIT DROP AS
    SELECT nextval('mes.tracking_product_in_id_seq') AS id, y.*
    FROM (
        SELECT t.tid, t.okey, t.pf, t.pos, c.id AS product_id, c.number AS product_number, c.unit, c.batchevidence, i.unit AS given_unit,
               CASE WHEN c.unit IN ('pc', 'box') THEN 0 ELSE 3 END AS decimals,
               demo.mes_unit_factor(i.unit, c.unit, c.id) AS factor,
               round(i.quantity / coalesce(nullif(tox.productioninonecycle, 0), 1) * (t.good + t.waste)
                     * demo.mes_unit_factor(i.unit, c.unit, c.id) * least(1, t.cum / t.run), 3)
               - round(i.quantity / coalesce(nullif(tox.productioninonecycle, 0), 1) * (t.good + t.waste)
                     * demo.mes_unit_factor(i.unit, c.unit, c.id) * least(1, (t.cum - t.mt) / t.run), 3) AS qty
        FROM (
            SELECT p.id AS tid, p.okey, p.pf, p.pos, p.technology_operation_id, p.good, p.waste, p.cum, p.mt, p.run
            FROM demo_piece AS p
            UNION ALL
            SELECT p.correction_id, p.okey, p.pf, p.pos, p.technology_operation_id, p.good, p.waste, p.cum, p.mt, p.run
            FROM demo_piece AS p WHERE p.correction_id IS NOT NULL
        ) AS t
        JOIN mes.technology_operation AS tox ON tox.id = t.technology_operation_id
        JOIN mes.technology_input_product AS i ON i.technology_operation_id = t.technology_operation_id
        JOIN mes.product AS c ON c.id = i.product_id
        ORDER BY t.tid, i.id
    ) AS y
    WHERE y.qty > 0;
    ANALYZE demo_in;
    UPDATE demo_in SET qty = round(qty) WHERE unit IN ('pc', 'box');
    DELETE FROM demo_in WHERE qty <= 0;

    INSERT INTO mes.tracking_product_in (id, productiontracking_id, product_id, usedquantity, givenunit, givenquantity)
    SELECT i.id, i.tid, i.product_id, i.qty, i.given_unit, round(i.qty / i.factor, 5) FROM demo_in AS i ORDER BY i.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Batches drawn in order of receipt; a record sometimes finishes one batch and opens the next.
    INSERT INTO mes.used_batch (tracking_product_in_id, batch_id, quantity)
    SELECT x.id, b.id, x.q
    FROM (
        SELECT i.id, i.product_id, k.k, y.lot - k.k AS lot,
               CASE WHEN y.split THEN CASE WHEN k.k = 0 THEN round(i.qty * 0.6, i.decimals)
                                           ELSE i.qty - round(i.qty * 0.6, i.decimals) END
                    ELSE i.qty END AS q
        FROM demo_in AS i
        CROSS JOIN LATERAL (
            SELECT z.lot, z.lot > 1 AND demo.ut(s.seed, 72, i.okey || '#' || i.pos || '@' || i.pf || '/' || i.product_number) < 0.15
                       AS split
            FROM (SELECT greatest(1, least(lots, floor(extract(epoch FROM i.pf - (a - make_interval(days => s.days + 20)))
                      / ((s.days + 35) * 86400.0 / lots))::integer + 1)) AS lot) AS z
        ) AS y
        CROSS JOIN generate_series(0, 1) AS k (k)
        WHERE i.batchevidence AND (k.k = 0 OR y.split)
    ) AS x
    JOIN mes.product AS p ON p.id = x.product_id
    JOIN mes.batch AS b ON b.product_id = x.product_id AND b.number = p.number || '-L' || lpad(x.lot::text, 2, '0')
    WHERE x.q > 0
    ORDER BY x.id, x.k
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Stoppages (open when the anchor falls inside) and a maintenance event per failure.
    INSERT INTO mes.stoppage (order_id, productiontracking_id, workstation_id, reason_id, datefrom, dateto, duration,
                              description)
    SELECT m.order_id,
           (SELECT p.id FROM demo_piece AS p WHERE p.order_id = m.order_id AND p.pos = m.pos AND m.x >= p.pf AND m.x < p.pt
            ORDER BY p.pf LIMIT 1),
           m.workstation_id, m.reason_id, m.x,
           CASE WHEN m.x + make_interval(secs => m.d) <= a THEN m.x + make_interval(secs => m.d) END,
           CASE WHEN m.x + make_interval(secs => m.d) <= a THEN m.d END,
           r.name || ' during ' || m.order_number
    FROM demo.mes_op AS m JOIN mes.stoppage_reason AS r ON r.id = m.reason_id
    WHERE m.rank > lo AND m.rank <= hi AND m.x < a
    ORDER BY m.rank, m.pos;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    INSERT INTO mes.maintenance_event (type, state, workstation_id, faulttype, description, createdate, updatedate)
    SELECT '01failure', '01new', m.workstation_id,
           (ARRAY['Spindle overheating', 'Hydraulic leak', 'Sensor fault', 'Drive belt broken', 'Servo drive error',
                  'Feeder jammed'])[1 + floor(demo.ut(s.seed, 73, m.okey || '#' || m.pos) * 6)::integer],
           'Stopped ' || m.order_number || ' for ' || (m.d / 60) || ' min', m.x,
           CASE WHEN m.x + make_interval(secs => m.d) <= a THEN m.x + make_interval(secs => m.d) END
    FROM demo.mes_op AS m JOIN mes.stoppage_reason AS r ON r.id = m.reason_id
    WHERE m.rank > lo AND m.rank <= hi AND m.x < a AND r.type = '01failure'
    ORDER BY m.rank, m.pos;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    RETURN total;
END $$;
COMMENT ON FUNCTION demo.mes_step_tracking(demo.seed_state, bigint, bigint) IS
    'Seed step tracking (MES): production records with output, consumption, used batches and corrections, stoppages and failure events of orders ranked lo+1..hi.';

-- Equipment state history of workstations (lo, hi] (by id): one timeline per workstation.
CREATE OR REPLACE FUNCTION demo.mes_step_states(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    start timestamp := date_trunc('day', demo.mes_anchor(s)) - make_interval(days => s.days);
    minor interval := interval '30 minutes';
    n bigint;
BEGIN
    INSERT INTO mes.equipment_state_history (workstation_id, order_id, reason_id, statecode, startdatetime, enddatetime)
    WITH ws AS (
        SELECT w.id FROM mes.workstation AS w WHERE w.active ORDER BY w.id OFFSET lo LIMIT hi - lo
    ), ops AS (
        SELECT m.* FROM demo.mes_op AS m JOIN ws ON ws.id = m.workstation_id WHERE m.s < a
    ), segments AS (
        -- running stretches of an operation, around its stoppage
        SELECT o.workstation_id, o.order_id, o.okey || '#' || o.pos AS k, o.s + make_interval(secs => o.su) AS f,
               coalesce(o.x, o.e) AS t
        FROM ops AS o
        UNION ALL
        SELECT o.workstation_id, o.order_id, o.okey || '#' || o.pos || 'b', o.x + make_interval(secs => o.d), o.e
        FROM ops AS o WHERE o.x IS NOT NULL
    ), events AS (
        SELECT ws.id AS workstation_id, NULL::bigint AS order_id, NULL::bigint AS reason_id, 'IDLE' AS statecode,
               start AS at, 0 AS o
        FROM ws
        UNION ALL
        SELECT o.workstation_id, o.order_id, NULL, 'SETUP', o.s, 1 FROM ops AS o
        UNION ALL
        SELECT g.workstation_id, g.order_id, NULL, 'RUN', g.f, 2 FROM segments AS g
        UNION ALL
        SELECT o.workstation_id, o.order_id, o.reason_id, CASE WHEN r.planned THEN 'PLANNED_STOP' ELSE 'DOWN' END, o.x, 3
        FROM ops AS o JOIN mes.stoppage_reason AS r ON r.id = o.reason_id
        UNION ALL
        SELECT o.workstation_id, NULL, NULL, 'IDLE', o.e, 0 FROM ops AS o
        UNION ALL
        -- minor stops of 2 to 6 minutes about every 30 minutes of running
        SELECT g.workstation_id, g.order_id, NULL, x.code, x.at, x.o
        FROM segments AS g
        CROSS JOIN LATERAL generate_series(1, floor(extract(epoch FROM g.t - g.f) / extract(epoch FROM minor))::integer - 1) AS i
        CROSS JOIN LATERAL (
            SELECT date_trunc('second', g.f + minor * i + make_interval(secs => 600 * (demo.ut(s.seed, 74, g.k || '/' || i) - 0.5))) AS m,
                   (120 + 240 * demo.ut(s.seed, 75, g.k || '/' || i))::integer AS len
        ) AS y
        CROSS JOIN LATERAL (VALUES ('IDLE', y.m, 4), ('RUN', y.m + make_interval(secs => y.len), 5)) AS x (code, at, o)
    ), timeline AS (
        SELECT e.*, lead(e.at) OVER (PARTITION BY e.workstation_id ORDER BY e.at, e.o) AS until
        FROM events AS e WHERE e.at < a
    )
    SELECT t.workstation_id, t.order_id, t.reason_id, t.statecode, t.at, t.until
    FROM timeline AS t
    WHERE t.until IS NULL OR t.until > t.at
    ORDER BY t.workstation_id, t.at, t.o;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.mes_step_states(demo.seed_state, bigint, bigint) IS
    'Seed step states (MES): equipment state history (SETUP, RUN, minor stops, DOWN, PLANNED_STOP, IDLE) of workstations lo+1..hi.';

-- Quality controls of orders ranked (lo, hi]: a final control per completed order, in-process
-- controls on some operations; values as text against limits; NOK blocks the batch.
CREATE OR REPLACE FUNCTION demo.mes_step_quality(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    staff bigint[] := ARRAY(SELECT x.id FROM mes.staff AS x WHERE x.active ORDER BY x.id);
    total bigint := 0;
    n bigint;
BEGIN
    IF to_regclass('pg_temp.demo_qc') IS NOT NULL THEN DROP TABLE pg_temp.demo_qc; END IF;
    CREATE TEMP TABLE demo_qc ON COMMIT DROP AS
    SELECT nextval('mes.quality_control_id_seq') AS id, y.*,
           demo.ut(s.seed, 80, y.k) < 0.08 AS fail
    FROM (
        SELECT m.okey || '#final' AS k, m.order_id, m.product_id, m.product_number, m.unit, m.batch_number,
               '01final' AS controltype,
               m.e + make_interval(mins => 15 + (abs(hashtext(m.okey)) % 75)) AS at
        FROM demo.mes_op AS m
        WHERE m.rank > lo AND m.rank <= hi AND m.pos = m.nops - 1 AND m.e + interval '90 minutes' <= a
        UNION ALL
        SELECT m.okey || '#' || m.pos, m.order_id, m.product_id, m.product_number, m.unit, m.batch_number, '02inProcess',
               m.s + make_interval(secs => m.su) + interval '40 minutes'
        FROM demo.mes_op AS m
        WHERE m.rank > lo AND m.rank <= hi AND m.s + make_interval(secs => m.su) + interval '40 minutes' <= a
          AND demo.ut(s.seed, 81, m.okey || '#' || m.pos) < 0.3
        ORDER BY 1
    ) AS y;
    ANALYZE demo_qc;

    INSERT INTO mes.quality_control (id, product_id, batch_id, order_id, controltype, date, staff_id, qualityrating, state,
                                     description)
    SELECT q.id, q.product_id, b.id, q.order_id, q.controltype, q.at,
           staff[1 + floor(demo.ut(s.seed, 82, q.k) * cardinality(staff))::integer],
           CASE WHEN q.fail THEN 'NOK' ELSE 'OK' END, '03closed',
           CASE WHEN q.controltype = '01final' THEN 'Final inspection' ELSE 'In-process check' END
    FROM demo_qc AS q
    LEFT JOIN mes.batch AS b ON b.product_id = q.product_id AND b.number = q.batch_number
    ORDER BY q.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- Pieces: diameter, hardness, visual; bulk goods: sample weight, visual (demo.quality_spec).
    -- A failing control has one value out of its limits.
    INSERT INTO mes.quality_control_value (quality_control_id, attribute_id, value, lowerlimit, upperlimit)
    SELECT v.id, at.id,
           CASE WHEN v.nominal IS NULL THEN CASE WHEN v.bad THEN 'Scratched' ELSE 'Good' END
                ELSE round((v.nominal + v.tolerance * CASE WHEN v.bad THEN (1.1 + 0.5 * v.u1) * (CASE WHEN v.u2 < 0.5 THEN -1 ELSE 1 END)
                                                          ELSE (v.u1 + v.u2 + v.u3 - 1.5) * 0.55 END)::numeric,
                           coalesce(at.precision, 2))::text END,
           v.nominal - v.tolerance, v.nominal + v.tolerance
    FROM (
        SELECT q.id, x.attribute, x.nominal, x.tolerance,
               q.fail AND x.n = 1 + floor(demo.ut(s.seed, 83, q.k) * x.count)::integer AS bad,
               demo.ut(s.seed, 84, q.k || x.attribute) AS u1, demo.ut(s.seed, 85, q.k || x.attribute) AS u2,
               demo.ut(s.seed, 86, q.k || x.attribute) AS u3
        FROM demo_qc AS q
        CROSS JOIN LATERAL (
            SELECT y.*, row_number() OVER () AS n, count(*) OVER () AS count
            FROM demo.quality_spec(q.product_number, q.unit) AS y
        ) AS x
    ) AS v
    JOIN mes.attribute AS at ON at.number = v.attribute
    ORDER BY v.id, at.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    UPDATE mes.batch AS b SET state = '02blocked'
    FROM demo_qc AS q WHERE q.fail AND q.controltype = '01final' AND b.product_id = q.product_id AND b.number = q.batch_number
      AND b.state <> '02blocked';
    RETURN total;
END $$;
COMMENT ON FUNCTION demo.mes_step_quality(demo.seed_state, bigint, bigint) IS
    'Seed step quality (MES): quality controls with values as text (about 8% NOK) of orders ranked lo+1..hi.';

-- Order progress of orders ranked (lo, hi]: states with their history in simulated time,
-- done and waste quantities, effective dates, task states.
CREATE OR REPLACE FUNCTION demo.mes_step_progress(s demo.seed_state, lo bigint, hi bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    staff bigint[] := ARRAY(SELECT x.id FROM mes.staff AS x WHERE x.active ORDER BY x.id);
    last_change bigint := (SELECT coalesce(max(c.id), 0) FROM mes.orders_orderstatechange AS c);
    total bigint := 0;
    n bigint;
BEGIN
    IF to_regclass('pg_temp.demo_ord') IS NOT NULL THEN DROP TABLE pg_temp.demo_ord; END IF;
    CREATE TEMP TABLE demo_ord ON COMMIT DROP AS
    SELECT m.order_id, min(m.okey) AS okey, min(m.order_state) AS state, min(m.ps) AS ps,
           min(m.s) FILTER (WHERE m.s < a) AS started,
           CASE WHEN bool_and(m.e <= a) THEN max(m.e) END AS completed,
           least(a - interval '10 minutes', min(m.ps) - make_interval(hours => 2 + (abs(hashtext(min(m.okey))) % 20))) AS accepted
    FROM demo.mes_op AS m WHERE m.rank > lo AND m.rank <= hi
    GROUP BY m.order_id;
    ANALYZE demo_ord;
    -- accepted once its planned start is within two days
    DELETE FROM demo_ord WHERE started IS NULL AND ps > a + interval '2 days';

    UPDATE mes.orders_order AS o SET
        donequantity = coalesce(t.good, 0), wastesquantity = coalesce(t.waste, 0),
        effectivedatefrom = d.started, effectivedateto = d.completed
    FROM demo_ord AS d
    LEFT JOIN (
        SELECT p.order_id, sum(x.usedquantity) AS good, sum(x.wastesquantity) AS waste
        FROM mes.productiontracking AS p JOIN mes.tracking_product_out AS x ON x.productiontracking_id = p.id
        WHERE p.state = '02accepted' GROUP BY p.order_id
    ) AS t ON t.order_id = d.order_id
    WHERE o.id = d.order_id AND d.started IS NOT NULL;

    UPDATE mes.orders_order AS o SET state = '02accepted' FROM demo_ord AS d
    WHERE o.id = d.order_id AND o.state = '01pending';
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    UPDATE mes.orders_order AS o SET state = '03inProgress' FROM demo_ord AS d
    WHERE o.id = d.order_id AND o.state = '02accepted' AND d.started IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    UPDATE mes.orders_order AS o SET state = '04completed' FROM demo_ord AS d
    WHERE o.id = d.order_id AND o.state = '03inProgress' AND d.completed IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;

    -- The history rows the trigger wrote carry the real clock: date them in simulated time.
    UPDATE mes.orders_orderstatechange AS c SET
        dateandtime = CASE c.targetstate WHEN '02accepted' THEN d.accepted WHEN '03inProgress' THEN d.started
                                         ELSE d.completed END,
        worker = (SELECT st.name || ' ' || st.surname FROM mes.staff AS st
                  WHERE st.id = staff[1 + floor(demo.ut(s.seed, 90, d.okey || c.targetstate) * cardinality(staff))::integer])
    FROM demo_ord AS d
    WHERE c.id > last_change AND c.order_id = d.order_id AND c.targetstate IN ('02accepted', '03inProgress', '04completed');

    UPDATE mes.operationaltask AS t SET state = CASE WHEN m.e <= a THEN '03finished' ELSE '02started' END
    FROM demo.mes_op AS m
    WHERE m.rank > lo AND m.rank <= hi AND t.id = m.task_id AND m.s < a AND t.state IN ('01pending', '02started');
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
    RETURN total;
END $$;
COMMENT ON FUNCTION demo.mes_step_progress(demo.seed_state, bigint, bigint) IS
    'Seed step progress (MES): order states 02accepted/03inProgress/04completed dated in simulated time, quantities, task states.';

CREATE OR REPLACE FUNCTION demo.mes_step_finish(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE mes.workstation AS w SET state = CASE WHEN h.statecode IN ('RUN', 'SETUP') THEN '02launched' ELSE '01stopped' END
    FROM mes.equipment_state_history AS h
    WHERE h.workstation_id = w.id AND h.enddatetime IS NULL
      AND w.state IS DISTINCT FROM CASE WHEN h.statecode IN ('RUN', 'SETUP') THEN '02launched' ELSE '01stopped' END;
    UPDATE demo.seed_state SET finished_at = now() WHERE side = 'mes';
    ANALYZE mes.productiontracking;
    ANALYZE mes.tracking_product_in;
    ANALYZE mes.equipment_state_history;
    RETURN 1;
END $$;
COMMENT ON FUNCTION demo.mes_step_finish(demo.seed_state) IS
    'Seed step finish (MES): workstation states from their current equipment state; marks the seed complete.';

-- A few rows the mapping pack must reject (on request only): an unparsable measured value, and a
-- failure event on a workstation the ERP does not know.
CREATE OR REPLACE FUNCTION demo.mes_step_bad_rows(s demo.seed_state)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a timestamp := demo.mes_anchor(s);
    ws bigint;
    qc bigint;
    product bigint := (SELECT p.id FROM mes.product AS p WHERE p.unit = 'pc' ORDER BY p.id LIMIT 1);
BEGIN
    IF EXISTS (SELECT FROM mes.workstation WHERE number = 'TEST-BENCH-X') OR product IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO mes.workstation (number, name, serialnumber) VALUES ('TEST-BENCH-X', 'Test bench (MES only)', NULL)
    RETURNING id INTO ws;
    INSERT INTO mes.maintenance_event (type, state, workstation_id, faulttype, description, createdate)
    VALUES ('01failure', '01new', ws, 'Sensor fault', 'Failure on a workstation unknown to the ERP', a);
    INSERT INTO mes.quality_control (product_id, controltype, date, qualityrating, state, description)
    VALUES (product, '02inProcess', a, 'NOK', '03closed', 'Unreadable gauge') RETURNING id INTO qc;
    INSERT INTO mes.quality_control_value (quality_control_id, attribute_id, value, lowerlimit, upperlimit)
    SELECT qc, at.id, 'n/a', 24.95, 25.05 FROM mes.attribute AS at WHERE at.number = 'DIAMETER';
    RETURN 4;
END $$;
COMMENT ON FUNCTION demo.mes_step_bad_rows(demo.seed_state) IS
    'Seed step bad_rows (MES, on request only): a value ''n/a'' for a numeric attribute, a failure on a workstation the ERP lacks.';

-- Public interface ----------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION demo.mes_seed_steps(scale integer, days integer DEFAULT 28, standalone boolean DEFAULT NULL)
RETURNS TABLE (step text, units bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    alone boolean := coalesce((SELECT x.standalone FROM demo.seed_state AS x WHERE x.side = 'mes'), standalone,
                              NOT EXISTS (SELECT FROM mes.orders_order));
    -- orders the MES works on: the released ones (about 35 of a line's 50)
    orders bigint := CASE WHEN alone THEN 35::bigint * scale
                          ELSE (SELECT count(*) FROM mes.orders_order AS o WHERE o.state IN ('01pending', '02accepted', '03inProgress')) END;
BEGIN
    RETURN QUERY SELECT x.step, x.units FROM (VALUES
        (1, 'begin', 1::bigint, true),
        (2, 'master', 86::bigint * scale, alone),
        (3, 'orders', orders * 7 / 2, alone),
        (4, 'staff', demo.mes_staff_needed(scale)::bigint, true),
        (5, 'batches', 8::bigint * demo.erp_component_lots(days) * scale, true),
        (6, 'plan', 1::bigint, true),
        -- rows per order, measured at 28 days (operations last longer in a longer period)
        (7, 'calendar', orders * 9 / 2 * days / 28, true),
        (8, 'tracking', orders * 154 * days / 28, true),
        (9, 'states', orders * 60 * days / 28, true),
        (10, 'quality', orders * 11 / 2, true),
        (11, 'progress', orders * 5, true),
        (12, 'finish', 1::bigint, true)
    ) AS x (n, step, units, wanted)
    WHERE x.wanted
    ORDER BY x.n;
END $$;
COMMENT ON FUNCTION demo.mes_seed_steps(integer, integer, boolean) IS
    'The MES seed steps in order with the rows each is expected to write (estimates); master and orders only when standalone.';

CREATE OR REPLACE FUNCTION demo.mes_seed_step(step text, scale integer, seed integer, chunk integer DEFAULT 0,
                                              days integer DEFAULT 28, anchor timestamptz DEFAULT NULL,
                                              standalone boolean DEFAULT NULL, chunk_size integer DEFAULT 100)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s demo.seed_state;
    r record;
    units bigint;
BEGIN
    IF scale IS NULL OR scale < 1 OR seed IS NULL OR days IS NULL OR days < 1 THEN
        RAISE EXCEPTION 'demo seed: scale and days must be at least 1 and seed given (scale %, seed %, days %)',
            scale, seed, days USING ERRCODE = '22023';
    END IF;
    IF step = 'begin' THEN
        RETURN demo.mes_step_begin(scale, seed, days, anchor, standalone);
    END IF;
    s := demo.seed_state_of('mes', scale, seed);
    IF step IN ('tracking', 'quality', 'progress') THEN
        units := (SELECT coalesce(max(m.rank), 0) FROM demo.mes_op AS m);
    ELSIF step IN ('calendar', 'states') THEN
        units := (SELECT count(*) FROM mes.workstation WHERE active);
    ELSIF step IN ('begin', 'master', 'orders', 'staff', 'batches', 'plan', 'finish', 'bad_rows') THEN
        units := 1;
    ELSE
        RAISE EXCEPTION 'demo seed (mes): unknown step "%"', step USING ERRCODE = '22023',
            HINT = 'the steps are listed by demo.mes_seed_steps(scale), plus bad_rows';
    END IF;
    -- calendar and states go by workstation: a slice of orders counts as a fifth as many workstations
    SELECT * INTO r FROM demo.progress_take('mes', step, units,
        CASE WHEN step IN ('calendar', 'states') AND chunk_size > 0 THEN greatest(1, chunk_size / 5) ELSE chunk_size END);
    IF r.lo IS NULL THEN
        RETURN 0;
    END IF;
    IF step IN ('master', 'orders') AND NOT s.standalone THEN
        RETURN 0;
    END IF;
    RETURN demo.progress_rows('mes', step, CASE step
        WHEN 'master' THEN demo.mes_step_master(s)
        WHEN 'orders' THEN demo.mes_step_orders(s)
        WHEN 'staff' THEN demo.mes_step_staff(s)
        WHEN 'calendar' THEN demo.mes_step_calendar(s, r.lo, r.hi)
        WHEN 'batches' THEN demo.mes_step_batches(s)
        WHEN 'plan' THEN demo.mes_step_plan(s)
        WHEN 'tracking' THEN demo.mes_step_tracking(s, r.lo, r.hi)
        WHEN 'states' THEN demo.mes_step_states(s, r.lo, r.hi)
        WHEN 'quality' THEN demo.mes_step_quality(s, r.lo, r.hi)
        WHEN 'progress' THEN demo.mes_step_progress(s, r.lo, r.hi)
        WHEN 'bad_rows' THEN demo.mes_step_bad_rows(s)
        WHEN 'finish' THEN demo.mes_step_finish(s)
    END);
END $$;
COMMENT ON FUNCTION demo.mes_seed_step(text, integer, integer, integer, integer, timestamptz, boolean, integer) IS
    'Runs the next slice (chunk_size orders; <= 0: all) of an MES seed step and returns the rows written; call until it returns 0. chunk is the caller''s call count; days, anchor and standalone matter for step begin only.';

CREATE OR REPLACE FUNCTION demo.seed_mes(scale integer, seed integer, days integer DEFAULT 28,
                                         anchor timestamptz DEFAULT NULL, chunk_size integer DEFAULT 100,
                                         standalone boolean DEFAULT NULL)
RETURNS TABLE (step text, rows bigint, ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    st record;
    n bigint;
    k integer;
    started timestamptz;
BEGIN
    PERFORM demo.mes_seed_step('begin', scale, seed, 0, days, anchor, standalone);
    FOR st IN SELECT * FROM demo.mes_seed_steps(scale, days, standalone) LOOP
        started := clock_timestamp();
        rows := 0;
        k := 0;
        LOOP
            n := demo.mes_seed_step(st.step, scale, seed, k, days, anchor, standalone, chunk_size);
            k := k + 1;
            EXIT WHEN n = 0;
            rows := rows + n;
        END LOOP;
        step := st.step;
        ms := round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION demo.seed_mes(integer, integer, integer, timestamptz, integer, boolean) IS
    'Runs every MES seed step to the end in this transaction; returns rows written and milliseconds per step.';
