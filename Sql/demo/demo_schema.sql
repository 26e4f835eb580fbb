-- The demo schema, installed on BOTH the ERP and the MES database (`erpmes migrate up --target
-- demo`): deterministic pseudo-random helpers, the seed's progress, and the PLANT PLAN every
-- generator step reads.
--
-- The plan is a pure function of (scale, seed, days, anchor): one production line per scale unit,
-- each with 4 work centers (PREP, PROC, ASSY, PACK), 20 product templates / 22 variants
-- (finished goods, semi-finished parts, raw and packaging materials), 9 BOMs with routings, and
-- 50 manufacturing orders spread over the simulated period [anchor - days, anchor + days/4].
-- The ERP generator (erp_seed.sql) writes the plan into erp.*; the MES generator (mes_seed.sql)
-- writes it into mes.* only when it runs standalone (no orders replicated from an ERP); otherwise
-- it works from the MES rows the replicator brought.
--
-- Determinism: no random(). Every "random" number is a hash of (seed, stream, item), so the same
-- seed gives the same plant whatever the chunk size, and a different seed a different one. The
-- hash is hashint8extended / hashtextextended, PostgreSQL's hash-partitioning hashes, which are
-- stable across platforms and versions (hash partitions depend on it) and ~10x cheaper than md5.
--
-- Time: the plan is in naive UTC (the ERP's convention); the MES converts it to plant-local time.
-- The anchor ("now" of the simulation) is the argument given to the first step, else the setting
-- demo.anchor (SET demo.anchor = '2024-03-04 12:00+00' makes a seed fully reproducible), else the
-- current hour.

CREATE SCHEMA IF NOT EXISTS demo;
COMMENT ON SCHEMA demo IS
    'erpmes demo: plant generator (seed_step, mes_seed_step), live simulation (erp_tick, mes_tick) and narration (narrate).';

-- Pseudo-random numbers ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION demo.u(seed integer, stream integer, n bigint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((hashint8extended(n, (seed::bigint << 20) # stream::bigint) >> 11) & 4503599627370495)::double precision
    / 4503599627370496.0;
COMMENT ON FUNCTION demo.u(integer, integer, bigint) IS
    'Deterministic uniform number in [0, 1) for (seed, stream, n): a hash, not random(); streams keep independent draws apart.';

CREATE OR REPLACE FUNCTION demo.ut(seed integer, stream integer, item text)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((hashtextextended(item, (seed::bigint << 20) # stream::bigint) >> 11) & 4503599627370495)::double precision
    / 4503599627370496.0;
COMMENT ON FUNCTION demo.ut(integer, integer, text) IS
    'Deterministic uniform number in [0, 1) for (seed, stream, a text key such as an order name).';

CREATE OR REPLACE FUNCTION demo.ri(seed integer, stream integer, n bigint, lo integer, hi integer)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lo + floor(demo.u(seed, stream, n) * (hi - lo + 1))::integer;
COMMENT ON FUNCTION demo.ri(integer, integer, bigint, integer, integer) IS
    'Deterministic integer in [lo, hi] for (seed, stream, n).';

-- The anchor: argument, else SET demo.anchor, else the current hour.
CREATE OR REPLACE FUNCTION demo.resolve_anchor(anchor timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE
RETURN coalesce(anchor, nullif(current_setting('demo.anchor', true), '')::timestamptz, date_trunc('hour', now()));
COMMENT ON FUNCTION demo.resolve_anchor(timestamptz) IS
    'The simulated "now": the argument, else the setting demo.anchor, else the current hour.';

-- Short text for narration lines (kept under 76 characters by the callers).
CREATE OR REPLACE FUNCTION demo.fit(line text, width integer DEFAULT 75)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN length(line) <= width THEN line ELSE left(line, width - 1) || '…' END;
COMMENT ON FUNCTION demo.fit(text, integer) IS 'Cuts a narration line to width characters (… marks the cut).';

-- Quantities as people write them: 120, 12.5, 0.25 (no trailing zeros).
CREATE OR REPLACE FUNCTION demo.qty(q numeric)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN q IS NULL THEN '?' ELSE trim_scale(round(q, 3))::text END;
COMMENT ON FUNCTION demo.qty(numeric) IS 'A quantity for narration: at most 3 decimals, no trailing zeros.';

-- Quality specification shared by both sides (the ERP's OCA test questions, the MES values):
-- the nominal diameter (mm) depends on the product number without its variant letter (one OCA
-- test per template), and each attribute has a nominal and a tolerance.
CREATE OR REPLACE FUNCTION demo.quality_spec(product_code text, product_unit text)
RETURNS TABLE (attribute text, question text, nominal numeric, tolerance numeric, erp_unit text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT x.attribute, x.question, x.nominal, x.tolerance, x.erp_unit FROM (VALUES
        (1, 'DIAMETER', 'Diameter', (20 + 5 * (abs(hashtext(regexp_replace(product_code, '[A-Z]$', ''))) % 4))::numeric, 0.05, 'cm',
            product_unit = 'pc'),
        (2, 'HARDNESS', 'Hardness', 42::numeric, 3::numeric, NULL, product_unit = 'pc'),
        (3, 'WEIGHT', 'Weight', CASE WHEN product_unit = 'l' THEN 950 ELSE 1000 END::numeric, 12::numeric, 'g',
            product_unit <> 'pc'),
        (4, 'VISUAL', 'Visual inspection', NULL::numeric, NULL::numeric, NULL, true)
    ) AS x (n, attribute, question, nominal, tolerance, erp_unit, applies)
    WHERE x.applies
    ORDER BY x.n
$$;
COMMENT ON FUNCTION demo.quality_spec(text, text) IS
    'Quality characteristics of a product (MES unit pc: diameter, hardness, visual; bulk: sample weight, visual) with nominal and tolerance in the MES attribute unit.';

-- Seed state -----------------------------------------------------------------------------------
-- Kept when this file runs again: the seed step functions take demo.seed_state as their row
-- type, so it cannot be dropped, and a seed in progress resumes after a migration. A column added
-- later needs an ALTER TABLE ... ADD COLUMN IF NOT EXISTS here.

CREATE TABLE IF NOT EXISTS demo.seed_state (
    side text PRIMARY KEY CHECK (side IN ('erp', 'mes')),
    scale integer NOT NULL CHECK (scale > 0),
    seed integer NOT NULL,
    days integer NOT NULL CHECK (days > 0),
    anchor timestamptz NOT NULL,
    plant_tz text,
    standalone boolean NOT NULL DEFAULT false,
    -- MO numbers start after this one (an ERP that already has WH/MO/00001.. keeps them).
    mo_offset integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
COMMENT ON TABLE demo.seed_state IS
    'One row per side being seeded: the parameters the first step fixed (scale, seed, days, anchor, plant time zone).';

DROP TABLE IF EXISTS demo.tick_state;
CREATE TABLE demo.tick_state (
    side text PRIMARY KEY CHECK (side IN ('erp', 'mes')),
    ticks bigint NOT NULL DEFAULT 0,
    last_at timestamptz
);
COMMENT ON TABLE demo.tick_state IS 'Live simulation: ticks done per side (the hash stream of the next one).';

CREATE TABLE IF NOT EXISTS demo.seed_progress (
    side text NOT NULL,
    step text NOT NULL,
    done bigint NOT NULL DEFAULT 0,
    total bigint,
    rows bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (side, step)
);
COMMENT ON TABLE demo.seed_progress IS
    'Per side and step: units done (orders, workstations, ...) of total, rows written; a step resumes here.';

-- The plant plan -------------------------------------------------------------------------------
-- Kept when this file runs again, like the seed state (a seed in progress needs its plan).


CREATE TABLE IF NOT EXISTS demo.plan_product (
    pid integer PRIMARY KEY,            -- line * 100 + archetype * 2 + variant
    line integer NOT NULL,
    arch integer NOT NULL,              -- 1..20, see demo.archetypes()
    variant integer NOT NULL,           -- 0, 1
    tmpl integer NOT NULL,              -- line * 100 + archetype
    kind text NOT NULL,                 -- fg, semi, raw, pack
    code text NOT NULL UNIQUE,          -- default_code = MES product number
    name text NOT NULL,
    tmpl_name text NOT NULL,
    tmpl_code text,                     -- set when the template has one variant (as Odoo does)
    uom text NOT NULL,                  -- ERP unit name: Units, kg, L
    tracking text NOT NULL,
    categ text NOT NULL,
    expiration_days integer,
    list_price numeric NOT NULL,
    erp_tmpl_id integer,
    erp_id integer
);
COMMENT ON TABLE demo.plan_product IS 'Plan: products (one row per variant) of every line.';

CREATE TABLE IF NOT EXISTS demo.plan_wc (
    wid integer PRIMARY KEY,            -- line * 10 + station
    line integer NOT NULL,
    station integer NOT NULL,           -- 0 PREP, 1 PROC, 2 ASSY, 3 PACK
    code text NOT NULL UNIQUE,          -- mrp_workcenter.code = MES workstation number
    name text NOT NULL,
    setup_minutes integer NOT NULL,
    costs_hour numeric NOT NULL,
    time_efficiency numeric NOT NULL,
    equipment text NOT NULL,
    serial text NOT NULL UNIQUE,        -- maintenance_equipment.serial_no = workstation.serialnumber
    expected_mtbf integer NOT NULL,
    erp_id integer,
    erp_equipment_id integer
);
COMMENT ON TABLE demo.plan_wc IS 'Plan: work centers (MES workstations) and their equipment.';

CREATE TABLE IF NOT EXISTS demo.plan_bom (
    bid integer PRIMARY KEY,            -- = pid of the product made
    pid integer NOT NULL,
    line integer NOT NULL,
    qty numeric NOT NULL,               -- BOM quantity in the product's unit
    code text NOT NULL,
    weight double precision NOT NULL,   -- share of the line's orders
    erp_id integer
);
COMMENT ON TABLE demo.plan_bom IS 'Plan: one BOM per manufactured variant (product_id set, so each maps to one MES technology).';

CREATE TABLE IF NOT EXISTS demo.plan_op (
    oid integer PRIMARY KEY,            -- bid * 10 + station
    bid integer NOT NULL,
    station integer NOT NULL,
    seq integer NOT NULL,               -- 10, 20, ...
    pos integer NOT NULL,               -- 0-based position in the routing
    nops integer NOT NULL,
    wid integer NOT NULL,
    name text NOT NULL,
    cycle numeric NOT NULL,             -- minutes per BOM quantity (time_cycle_manual)
    erp_id integer
);
COMMENT ON TABLE demo.plan_op IS 'Plan: routing operations; a line''s stations run in order, an operation on station w in slot + w.';

CREATE TABLE IF NOT EXISTS demo.plan_bom_line (
    blid integer PRIMARY KEY,
    bid integer NOT NULL,
    pid integer NOT NULL,               -- component
    qty numeric NOT NULL,               -- per BOM quantity, in uom
    uom text NOT NULL,                  -- may differ from the component's unit (g of a kg product)
    oid integer NOT NULL,
    seq integer NOT NULL,
    erp_id integer
);
COMMENT ON TABLE demo.plan_bom_line IS 'Plan: BOM lines, each consumed at one operation.';

CREATE TABLE IF NOT EXISTS demo.plan_order (
    mo integer PRIMARY KEY,             -- WH/MO/<mo>, numbered by planned start
    name text NOT NULL UNIQUE,
    line integer NOT NULL,
    slot integer NOT NULL,
    bid integer NOT NULL,
    pid integer NOT NULL,
    uom text NOT NULL,                  -- unit of product_qty: Units, Dozens, kg, g, L
    product_qty numeric NOT NULL,
    qty numeric NOT NULL,               -- in the product's unit
    state text NOT NULL,
    priority text NOT NULL,
    origin text,
    t0 timestamp NOT NULL,              -- slot start (UTC): the operation on station w starts at t0 + w * slot length
    slot_minutes double precision NOT NULL,
    date_start timestamp NOT NULL,
    date_finished timestamp NOT NULL,
    date_deadline timestamp NOT NULL,
    lot_name text,
    has_scrap boolean NOT NULL DEFAULT false,
    erp_id integer,
    erp_lot_id integer
);
COMMENT ON TABLE demo.plan_order IS 'Plan: manufacturing orders with state, quantities in varied units and UTC dates.';

-- The product archetypes of a line: (arch, kind, name, variants, uom, tracking, category,
-- expiration days, BOM quantity, stations of the routing, minutes per BOM quantity per station).
CREATE OR REPLACE FUNCTION demo.archetypes()
RETURNS TABLE (arch integer, kind text, name text, variants text[], uom text, tracking text, categ text,
               expiration_days integer, bom_qty numeric, stations integer[], cycles numeric[], weight double precision,
               price numeric)
LANGUAGE sql IMMUTABLE AS $$
SELECT * FROM (VALUES
    (1, 'fg', 'Valve body', ARRAY['DN25', 'DN40'], 'Units', 'lot', 'Finished goods', NULL::integer, 1::numeric,
        ARRAY[2, 3], ARRAY[1.5, 0.4]::numeric[], 0.24::double precision, 85::numeric),
    (2, 'fg', 'Pump impeller', ARRAY['D120'], 'Units', 'lot', 'Finished goods', NULL, 1,
        ARRAY[0, 1, 2, 3], ARRAY[0.6, 2.2, 1.0, 0.4]::numeric[], 0.12, 140),
    (3, 'fg', 'Gear shaft assembly', ARRAY['S', 'L'], 'Units', 'lot', 'Finished goods', NULL, 1,
        ARRAY[2, 3], ARRAY[2.0, 0.5]::numeric[], 0.22, 120),
    (4, 'fg', 'Epoxy compound', ARRAY[NULL], 'kg', 'lot', 'Finished goods', 365, 100,
        ARRAY[0, 1, 3], ARRAY[15, 45, 25]::numeric[], 0.12, 18),
    (5, 'fg', 'Coolant concentrate', ARRAY[NULL], 'L', 'lot', 'Finished goods', 540, 200,
        ARRAY[0, 1, 3], ARRAY[10, 30, 40]::numeric[], 0.10, 9),
    (6, 'semi', 'Machined valve blank', ARRAY[NULL], 'Units', 'none', 'Semi-finished', NULL, 1,
        ARRAY[0, 1], ARRAY[0.8, 2.5]::numeric[], 0.11, 30),
    (7, 'semi', 'Ground shaft', ARRAY[NULL], 'Units', 'none', 'Semi-finished', NULL, 1,
        ARRAY[0, 1], ARRAY[0.5, 1.8]::numeric[], 0.09, 25),
    (8, 'raw', 'Steel bar C45', ARRAY[NULL], 'kg', 'lot', 'Raw materials', NULL, NULL, NULL, NULL, 0, 2.1),
    (9, 'raw', 'O-ring 32x3 NBR', ARRAY[NULL], 'Units', 'none', 'Raw materials', NULL, NULL, NULL, NULL, 0, 0.4),
    (10, 'raw', 'Hex bolt M8x20', ARRAY[NULL], 'Units', 'none', 'Raw materials', NULL, NULL, NULL, NULL, 0, 0.15),
    (11, 'raw', 'Aluminium casting AC-120', ARRAY[NULL], 'Units', 'lot', 'Raw materials', NULL, NULL, NULL, NULL, 0, 22),
    (12, 'raw', 'Ball bearing 6204', ARRAY[NULL], 'Units', 'lot', 'Raw materials', NULL, NULL, NULL, NULL, 0, 3.5),
    (13, 'raw', 'Lithium grease', ARRAY[NULL], 'kg', 'lot', 'Raw materials', 720, NULL, NULL, NULL, 0, 12),
    (14, 'raw', 'Epoxy resin', ARRAY[NULL], 'kg', 'lot', 'Raw materials', 365, NULL, NULL, NULL, 0, 7),
    (15, 'raw', 'Amine hardener', ARRAY[NULL], 'kg', 'lot', 'Raw materials', 365, NULL, NULL, NULL, 0, 9),
    (16, 'pack', 'Carton box 300x200', ARRAY[NULL], 'Units', 'none', 'Packaging', NULL, NULL, NULL, NULL, 0, 0.6),
    (17, 'raw', 'Titanium dioxide pigment', ARRAY[NULL], 'kg', 'none', 'Raw materials', NULL, NULL, NULL, NULL, 0, 4),
    (18, 'raw', 'Mineral base oil', ARRAY[NULL], 'L', 'lot', 'Raw materials', 720, NULL, NULL, NULL, 0, 1.8),
    (19, 'raw', 'Additive package', ARRAY[NULL], 'kg', 'lot', 'Raw materials', 365, NULL, NULL, NULL, 0, 15),
    (20, 'pack', 'Canister 10 L', ARRAY[NULL], 'Units', 'none', 'Packaging', NULL, NULL, NULL, NULL, 0, 1.2)
) AS a (arch, kind, name, variants, uom, tracking, categ, expiration_days, bom_qty, stations, cycles, weight, price)
$$;
COMMENT ON FUNCTION demo.archetypes() IS 'The 20 product templates every production line of the demo plant has.';

-- BOM lines of the archetypes: (made, component, quantity per BOM quantity, unit, station).
CREATE OR REPLACE FUNCTION demo.archetype_components()
RETURNS TABLE (arch integer, component integer, qty numeric, uom text, station integer, seq integer)
LANGUAGE sql IMMUTABLE AS $$
SELECT * FROM (VALUES
    (1, 6, 1::numeric, 'Units', 2, 1), (1, 9, 2, 'Units', 2, 2), (1, 10, 4, 'Units', 2, 3), (1, 16, 1, 'Units', 3, 4),
    (2, 11, 1, 'Units', 0, 1), (2, 10, 2, 'Units', 2, 2), (2, 16, 1, 'Units', 3, 3),
    (3, 7, 1, 'Units', 2, 1), (3, 12, 2, 'Units', 2, 2), (3, 13, 15, 'g', 2, 3), (3, 16, 1, 'Units', 3, 4),
    (4, 14, 70, 'kg', 0, 1), (4, 15, 25000, 'g', 0, 2), (4, 17, 5, 'kg', 0, 3),
    (5, 18, 150, 'L', 0, 1), (5, 19, 8, 'kg', 0, 2), (5, 20, 20, 'Units', 3, 3),
    (6, 8, 0.8, 'kg', 0, 1),
    (7, 8, 0.35, 'kg', 0, 1)
) AS c (arch, component, qty, uom, station, seq)
$$;
COMMENT ON FUNCTION demo.archetype_components() IS 'BOM lines of the demo archetypes, per BOM quantity, with the station consuming them.';

-- Odoo unit name -> MES unit code, for the units the plan uses.
CREATE OR REPLACE FUNCTION demo.mes_unit(erp_unit text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE erp_unit WHEN 'Units' THEN 'pc' WHEN 'Dozens' THEN 'pc' WHEN 'kg' THEN 'kg' WHEN 'g' THEN 'g'
    WHEN 'L' THEN 'l' END;
COMMENT ON FUNCTION demo.mes_unit(text) IS 'The MES unit code of a plan unit (Units and Dozens are counted in pc).';

-- Factor from a plan unit to the product's unit (Dozens -> Units 12, g -> kg 0.001).
CREATE OR REPLACE FUNCTION demo.unit_factor(from_unit text, to_unit text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN from_unit = to_unit THEN 1 WHEN from_unit = 'Dozens' AND to_unit = 'Units' THEN 12
    WHEN from_unit = 'g' AND to_unit = 'kg' THEN 0.001 WHEN from_unit = 'kg' AND to_unit = 'g' THEN 1000 END;
COMMENT ON FUNCTION demo.unit_factor(text, text) IS 'Multiplier from one plan unit to another of the same kind.';

-- Builds the plan tables for (scale, seed, days, anchor). Orders: 50 per line, one slot each,
-- slot length = period / 50; the operation on station w of the order in slot j runs at
-- t0 + w * slot, so a line's orders never share a work center (a pipelined flow line).
CREATE OR REPLACE FUNCTION demo.build_plan(scale integer, seed integer, days integer, anchor timestamp, mo_offset integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    lw integer := greatest(2, length(scale::text));  -- digits of a line number in codes
    future integer := ceil(days / 4.0)::integer;
    period_start timestamp := date_trunc('hour', anchor) - make_interval(days => days);
    slot_len double precision := (days + future) * 1440.0 / 50;  -- minutes
    history_end timestamp := anchor - make_interval(secs => days * 86400.0 * 3 / 4);
    n bigint;
BEGIN
    TRUNCATE demo.plan_order, demo.plan_op, demo.plan_bom_line, demo.plan_bom, demo.plan_wc, demo.plan_product;

    INSERT INTO demo.plan_product (pid, line, arch, variant, tmpl, kind, code, name, tmpl_name, tmpl_code, uom,
                                   tracking, categ, expiration_days, list_price)
    SELECT l * 100 + a.arch * 2 + v.i - 1, l, a.arch, v.i - 1, l * 100 + a.arch, a.kind,
           CASE a.kind WHEN 'fg' THEN 'FG' WHEN 'semi' THEN 'SF' ELSE 'RM' END || lpad(l::text, lw, '0') || '-'
               || lpad(a.arch::text, 2, '0') || CASE WHEN cardinality(a.variants) > 1 THEN chr(64 + v.i) ELSE '' END,
           a.name || coalesce(' ' || v.variant, '') || CASE WHEN a.kind IN ('fg', 'semi') THEN ' S' || lpad(l::text, lw, '0') ELSE '' END,
           a.name || CASE WHEN a.kind IN ('fg', 'semi') THEN ' S' || lpad(l::text, lw, '0') ELSE '' END,
           CASE WHEN cardinality(a.variants) = 1 THEN CASE a.kind WHEN 'fg' THEN 'FG' WHEN 'semi' THEN 'SF' ELSE 'RM' END
               || lpad(l::text, lw, '0') || '-' || lpad(a.arch::text, 2, '0') END,
           a.uom, a.tracking, a.categ, a.expiration_days,
           round((a.price * (0.85 + 0.3 * demo.u(seed, 1, l * 100 + a.arch)))::numeric, 2)
    FROM generate_series(1, scale) AS l
    CROSS JOIN demo.archetypes() AS a
    CROSS JOIN LATERAL (SELECT x.variant, x.i::integer AS i FROM unnest(a.variants) WITH ORDINALITY AS x (variant, i)) AS v;

    INSERT INTO demo.plan_wc (wid, line, station, code, name, setup_minutes, costs_hour, time_efficiency, equipment,
                              serial, expected_mtbf)
    SELECT l * 10 + s.station, l, s.station, s.code || '-' || lpad(l::text, lw, '0'),
           s.label || ' ' || lpad(l::text, lw, '0'), s.setup, s.cost, s.eff, s.equipment,
           'SN-' || s.code || lpad(l::text, lw, '0') || '-'
               || upper(lpad(to_hex(floor(demo.u(seed, 2, l * 10 + s.station) * 1048576)::integer), 5, '0')),
           demo.ri(seed, 3, l * 10 + s.station, 30, 120)
    FROM generate_series(1, scale) AS l
    CROSS JOIN (VALUES
        (0, 'PREP', 'Preparation', 10, 38::numeric, 100::numeric, 'Band saw BS-260'),
        (1, 'PROC', 'Processing', 30, 72, 95, 'CNC lathe CTX-510'),
        (2, 'ASSY', 'Assembly', 10, 45, 100, 'Assembly cell AC-3'),
        (3, 'PACK', 'Packing', 15, 32, 110, 'Filling and packing line FP-40')
    ) AS s (station, code, label, setup, cost, eff, equipment);

    INSERT INTO demo.plan_bom (bid, pid, line, qty, code, weight)
    SELECT p.pid, p.pid, p.line, a.bom_qty, 'BOM-' || p.code, a.weight / cardinality(a.variants)
    FROM demo.plan_product AS p JOIN demo.archetypes() AS a ON a.arch = p.arch
    WHERE a.bom_qty IS NOT NULL;

    INSERT INTO demo.plan_op (oid, bid, station, seq, pos, nops, wid, name, cycle)
    SELECT b.bid * 10 + s.station, b.bid, s.station, s.pos * 10, s.pos - 1, cardinality(a.stations),
           p.line * 10 + s.station,
           CASE s.station
               WHEN 0 THEN CASE WHEN p.kind = 'semi' THEN 'Cut blank' WHEN p.uom = 'Units' THEN 'Deburr casting'
                                ELSE 'Weigh components' END
               WHEN 1 THEN CASE WHEN p.uom = 'Units' THEN 'Turn and mill' WHEN p.uom = 'kg' THEN 'Mix and disperse'
                                ELSE 'Blend' END
               WHEN 2 THEN 'Assemble'
               ELSE CASE WHEN p.uom = 'Units' THEN 'Pack' ELSE 'Fill and pack' END
           END,
           round((a.cycles[s.pos] * (1 + 0.2 * p.variant) * (0.85 + 0.3 * demo.u(seed, 4, b.bid * 10 + s.station)))::numeric, 2)
    FROM demo.plan_bom AS b
    JOIN demo.plan_product AS p ON p.pid = b.pid
    JOIN demo.archetypes() AS a ON a.arch = p.arch
    CROSS JOIN LATERAL (SELECT x.station, x.pos::integer AS pos FROM unnest(a.stations) WITH ORDINALITY AS x (station, pos)) AS s;

    INSERT INTO demo.plan_bom_line (blid, bid, pid, qty, uom, oid, seq)
    SELECT b.bid * 10 + c.seq, b.bid, p.line * 100 + c.component * 2, c.qty, c.uom, b.bid * 10 + c.station, c.seq
    FROM demo.plan_bom AS b
    JOIN demo.plan_product AS p ON p.pid = b.pid
    JOIN demo.archetype_components() AS c ON c.arch = p.arch;

    -- Orders: product by weight, quantity so the longest operation fills 50-90% of a slot.
    INSERT INTO demo.plan_order (mo, name, line, slot, bid, pid, uom, product_qty, qty, state, priority, origin, t0,
                                 slot_minutes, date_start, date_finished, date_deadline)
    WITH slots AS (
        SELECT l AS line, j AS slot, (l - 1) * 50 + j AS k,
               period_start + make_interval(secs => (j * slot_len + slot_len * 0.04 * demo.u(seed, 10, (l - 1) * 50 + j)
                   + ((l - 1) % 7) * 7) * 60) AS t0,
               demo.u(seed, 11, (l - 1) * 50 + j) AS draw
        FROM generate_series(1, scale) AS l CROSS JOIN generate_series(0, 49) AS j
    ), boms AS (
        -- each BoM owns the share (lo, hi] of [0, 1) of its line's orders
        SELECT b.bid, b.pid, b.line, b.qty,
               coalesce(sum(b.weight) OVER w - b.weight, 0) / sum(b.weight) OVER l AS lo,
               sum(b.weight) OVER w / sum(b.weight) OVER l AS hi,
               (SELECT max(o.cycle) FROM demo.plan_op AS o WHERE o.bid = b.bid) AS max_cycle,
               (SELECT max(w.setup_minutes) FROM demo.plan_op AS o JOIN demo.plan_wc AS w ON w.wid = o.wid
                WHERE o.bid = b.bid) AS max_setup,
               (SELECT min(o.station) FROM demo.plan_op AS o WHERE o.bid = b.bid) AS first_station,
               (SELECT max(o.station) FROM demo.plan_op AS o WHERE o.bid = b.bid) AS last_station
        FROM demo.plan_bom AS b
        WINDOW w AS (PARTITION BY b.line ORDER BY b.bid), l AS (PARTITION BY b.line)
    ), picked AS (
        SELECT s.*, b.bid, b.pid, b.qty AS bom_qty, p.uom AS puom, p.kind, p.arch, p.tracking, b.max_cycle, b.max_setup,
               b.first_station, b.last_station
        FROM slots AS s
        JOIN boms AS b ON b.line = s.line AND s.draw >= b.lo AND (s.draw < b.hi OR b.hi >= 1)
        JOIN demo.plan_product AS p ON p.pid = b.pid
    ), sized AS (
        SELECT p.*,
               greatest(1, ((0.5 + 0.4 * demo.u(seed, 12, p.k)) * slot_len * 0.92 - p.max_setup) / p.max_cycle * p.bom_qty)
                   AS raw_qty,
               demo.u(seed, 13, p.k) AS unit_draw
        FROM picked AS p
    ), quantified AS (
        SELECT s.*,
               CASE WHEN s.puom = 'Units' AND s.kind = 'fg' AND s.arch IN (1, 3) AND s.unit_draw < 0.25 THEN 'Dozens'
                    WHEN s.puom = 'kg' AND s.unit_draw < 0.15 THEN 'g'
                    ELSE s.puom END AS uom
        FROM sized AS s
    ), rounded AS (
        SELECT q.*,
               CASE q.uom
                   WHEN 'Dozens' THEN greatest(1, round(q.raw_qty / 12))
                   WHEN 'Units' THEN greatest(5, round(q.raw_qty / 5) * 5)
                   -- lab batches in g: 5 to 25 kg
                   WHEN 'g' THEN (5 + floor(demo.u(seed, 14, q.k) * 41)) * 500
                   WHEN 'kg' THEN greatest(50, round(q.raw_qty / 50) * 50)
                   ELSE greatest(100, round(q.raw_qty / 100) * 100)
               END::numeric AS product_qty
        FROM quantified AS q
    ), timed AS (
        SELECT r.*, r.product_qty * demo.unit_factor(r.uom, r.puom) AS qty
        FROM rounded AS r
    ), dated AS (
        SELECT t.*,
               t.t0 + make_interval(secs => t.first_station * slot_len * 60) AS date_start,
               t.t0 + make_interval(secs => (t.last_station * slot_len + w.setup_minutes
                   + t.qty / t.bom_qty * o.cycle) * 60) AS date_finished
        FROM timed AS t
        JOIN demo.plan_op AS o ON o.bid = t.bid AND o.station = t.last_station
        JOIN demo.plan_wc AS w ON w.wid = o.wid
    ), stated AS (
        SELECT d.*,
               -- the last orders of a line's history are left to_close, progress and cancelled, so
               -- every state shows at any scale
               row_number() OVER (PARTITION BY d.line, d.date_finished < history_end ORDER BY d.slot DESC) AS from_end,
               demo.u(seed, 15, d.k) AS s
        FROM dated AS d
    )
    SELECT mo_offset + row_number() OVER (ORDER BY s.date_start, s.line),
           'WH/MO/' || lpad((mo_offset + row_number() OVER (ORDER BY s.date_start, s.line))::text, 5, '0'),
           s.line, s.slot, s.bid, s.pid, s.uom, s.product_qty, s.qty,
           CASE
               WHEN s.date_finished < history_end THEN
                   CASE WHEN s.from_end = 1 THEN 'to_close' WHEN s.from_end = 2 THEN 'progress' WHEN s.from_end = 3 THEN 'cancel'
                        WHEN s.s < 0.93 THEN 'done' WHEN s.s < 0.97 THEN 'cancel' ELSE 'to_close' END
               WHEN s.date_start < anchor + interval '12 hours' THEN
                   CASE WHEN s.s < 0.94 THEN 'confirmed' WHEN s.s < 0.97 THEN 'progress' ELSE 'cancel' END
               WHEN s.date_start < anchor + make_interval(secs => future * 86400.0 / 2) THEN
                   CASE WHEN s.s < 0.6 THEN 'confirmed' WHEN s.s < 0.96 THEN 'draft' ELSE 'cancel' END
               ELSE CASE WHEN s.s < 0.94 THEN 'draft' ELSE 'cancel' END
           END,
           CASE WHEN demo.u(seed, 16, s.k) < 0.1 THEN '1' ELSE '0' END,
           CASE WHEN s.kind = 'fg' AND demo.u(seed, 17, s.k) < 0.7
                THEN 'S' || lpad((10000 + floor(demo.u(seed, 18, s.k) * 89999))::integer::text, 5, '0') END,
           date_trunc('second', s.t0), slot_len, date_trunc('second', s.date_start), date_trunc('second', s.date_finished),
           date_trunc('hour', s.date_finished + make_interval(secs => (demo.u(seed, 19, s.k) * 4 - 0.4) * 86400))
    FROM stated AS s;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Scrap on 15% of the done orders, and always on a line's first done order.
    UPDATE demo.plan_order AS o SET has_scrap = true
    FROM (SELECT x.mo, x.slot = min(x.slot) OVER (PARTITION BY x.line) AS first_done
          FROM demo.plan_order AS x WHERE x.state = 'done') AS d
    WHERE d.mo = o.mo AND (demo.u(seed, 20, o.mo) < 0.15 OR d.first_done);

    UPDATE demo.plan_order AS o
    SET lot_name = 'LOT' || to_char(o.date_start, 'YYMMDD') || '-' || lpad(o.mo::text, 5, '0')
    FROM demo.plan_product AS p
    WHERE p.pid = o.pid AND p.tracking = 'lot';
    ANALYZE demo.plan_product;
    ANALYZE demo.plan_wc;
    ANALYZE demo.plan_bom;
    ANALYZE demo.plan_op;
    ANALYZE demo.plan_bom_line;
    ANALYZE demo.plan_order;
    RETURN n;
END $$;
COMMENT ON FUNCTION demo.build_plan(integer, integer, integer, timestamp, integer) IS
    'Fills the demo.plan_* tables for (scale, seed, days, anchor in naive UTC, first MO number - 1); returns the number of orders.';
