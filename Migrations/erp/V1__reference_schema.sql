-- The reference ERP schema: an Odoo 17 subset (uom, product, mrp, stock, maintenance) plus OCA's
-- quality_control_oca, with Odoo's own table and column names, in schema erp so that ERP and MES
-- can share one database in demos and tests.
--
-- Odoo's ORM conventions, kept on purpose because the mapping pack must cope with them:
--   - id serial primary keys, *_id integer foreign keys (named <table>_<column>_fkey), ON DELETE as
--     Odoo declares it (required many2one: RESTRICT, optional: SET NULL, lines: CASCADE);
--   - Float -> numeric, Datetime -> timestamp without time zone holding naive UTC, Date -> date,
--     Selection -> varchar (here with a CHECK listing the values, which Odoo leaves to Python),
--     translatable Char -> jsonb {"en_US": "..."};
--   - required fields are NOT NULL; Python defaults are kept as column defaults for convenience;
--   - _sql_constraints keep Odoo's names (<table>_<key>), indexes Odoo's (<table>__<column>_index);
--   - create_date/write_date on every table, naive UTC. Nothing updates write_date but the writer,
--     as in Odoo, where the ORM sets it.
-- Units: uom_uom.factor is Odoo's "how many of this unit make one reference unit" (g: 1000 in the
-- kg category); durations are minutes, except maintenance_request.duration (hours).

CREATE SCHEMA erp;
COMMENT ON SCHEMA erp IS 'erpmes reference ERP schema: an Odoo 17 subset with Odoo''s table and column names.';

-- base -------------------------------------------------------------------------------------------

CREATE TABLE erp.res_company (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    active boolean DEFAULT true,
    sequence integer DEFAULT 10,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT res_company_name_uniq UNIQUE (name)
);
COMMENT ON TABLE erp.res_company IS 'res.company: companies (minimal: no partner, currency or address).';

-- uom --------------------------------------------------------------------------------------------

CREATE TABLE erp.uom_category (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.uom_category IS 'uom.category: units convert only within one category.';

CREATE TABLE erp.uom_uom (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    category_id integer NOT NULL REFERENCES erp.uom_category ON DELETE CASCADE,
    factor numeric NOT NULL DEFAULT 1.0,
    rounding numeric NOT NULL DEFAULT 0.01,
    active boolean DEFAULT true,
    uom_type varchar NOT NULL DEFAULT 'reference' CHECK (uom_type IN ('bigger', 'reference', 'smaller')),
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT uom_uom_factor_gt_zero CHECK (factor != 0),
    CONSTRAINT uom_uom_rounding_gt_zero CHECK (rounding > 0),
    CONSTRAINT uom_uom_factor_reference_is_one
        CHECK ((uom_type = 'reference' AND factor = 1.0) OR (uom_type != 'reference'))
);
COMMENT ON TABLE erp.uom_uom IS 'uom.uom: units of measure; factor = units of this per reference unit, Odoo converts qty / from.factor * to.factor and rounds UP to rounding.';
COMMENT ON COLUMN erp.uom_uom.factor IS 'How many of this unit make one reference unit of the category (g: 1000, Dozens: 1/12); Odoo''s factor_inv = 1 / factor is not stored.';

-- product ----------------------------------------------------------------------------------------

CREATE TABLE erp.product_category (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,
    parent_id integer REFERENCES erp.product_category ON DELETE CASCADE,
    parent_path varchar,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.product_category IS 'product.category: product categories (minimal).';

CREATE TABLE erp.product_template (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    sequence integer DEFAULT 1,
    description jsonb,
    type varchar NOT NULL DEFAULT 'consu' CHECK (type IN ('consu', 'service', 'product')),
    categ_id integer NOT NULL REFERENCES erp.product_category ON DELETE RESTRICT,
    list_price numeric DEFAULT 1.0,
    volume numeric,
    weight numeric,
    sale_ok boolean DEFAULT true,
    purchase_ok boolean DEFAULT true,
    uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    uom_po_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    active boolean DEFAULT true,
    default_code varchar,
    tracking varchar NOT NULL DEFAULT 'none' CHECK (tracking IN ('serial', 'lot', 'none')),
    use_expiration_date boolean DEFAULT false,
    expiration_time integer,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.product_template IS 'product.template: what is common to a product''s variants (name, units, tracking).';
COMMENT ON COLUMN erp.product_template.uom_po_id IS 'Purchase unit; same category as uom_id, may differ from it.';
COMMENT ON COLUMN erp.product_template.expiration_time IS 'product_expiry: days from receipt or production to the lot''s expiration_date.';

CREATE TABLE erp.product_product (
    id serial PRIMARY KEY,
    product_tmpl_id integer NOT NULL REFERENCES erp.product_template ON DELETE CASCADE,
    default_code varchar,
    barcode varchar,
    combination_indices varchar DEFAULT '',
    volume numeric,
    weight numeric,
    active boolean DEFAULT true,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.product_product IS 'product.product: product variants, the rows stock and manufacturing refer to.';
COMMENT ON COLUMN erp.product_product.default_code IS 'Internal reference; nullable and not unique, as in Odoo.';

-- stock locations and lots -----------------------------------------------------------------------

CREATE TABLE erp.stock_location (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,
    active boolean DEFAULT true,
    usage varchar NOT NULL DEFAULT 'internal'
        CHECK (usage IN ('supplier', 'view', 'internal', 'customer', 'inventory', 'production', 'transit')),
    location_id integer REFERENCES erp.stock_location ON DELETE CASCADE,
    comment text,
    parent_path varchar,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    scrap_location boolean DEFAULT false,
    return_location boolean DEFAULT false,
    replenish_location boolean DEFAULT false,
    barcode varchar,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT stock_location_barcode_company_uniq UNIQUE (barcode, company_id)
);
COMMENT ON TABLE erp.stock_location IS 'stock.location: warehouse bins and virtual locations (production, scrap, customers).';
COMMENT ON COLUMN erp.stock_location.complete_name IS 'Parent''s complete_name/name, or name alone for a view location or a root ("WH/Stock").';

CREATE TABLE erp.stock_lot (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    ref varchar,
    product_id integer NOT NULL REFERENCES erp.product_product ON DELETE RESTRICT,
    product_uom_id integer REFERENCES erp.uom_uom ON DELETE SET NULL,
    note text,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    expiration_date timestamp without time zone,
    use_date timestamp without time zone,
    removal_date timestamp without time zone,
    alert_date timestamp without time zone,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT stock_lot_name_ref_uniq UNIQUE (product_id, company_id, name)
);
COMMENT ON TABLE erp.stock_lot IS 'stock.lot: lots and serial numbers, unique per product and company; dates from product_expiry.';

-- manufacturing: work centers, BoMs, routings ----------------------------------------------------

CREATE TABLE erp.mrp_workcenter (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    code varchar,
    sequence integer NOT NULL DEFAULT 1,
    color integer,
    note text,
    default_capacity numeric DEFAULT 1.0,
    time_efficiency numeric DEFAULT 100,
    costs_hour numeric DEFAULT 0,
    time_start numeric,
    time_stop numeric,
    oee_target numeric DEFAULT 90,
    working_state varchar DEFAULT 'normal' CHECK (working_state IN ('normal', 'blocked', 'done')),
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    active boolean DEFAULT true,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_workcenter IS 'mrp.workcenter: work centers (name and efficiency stored here, not on a resource.resource row).';
COMMENT ON COLUMN erp.mrp_workcenter.time_start IS 'Setup time in minutes.';
COMMENT ON COLUMN erp.mrp_workcenter.time_stop IS 'Cleanup time in minutes.';

CREATE TABLE erp.mrp_bom (
    id serial PRIMARY KEY,
    code varchar,
    active boolean DEFAULT true,
    type varchar NOT NULL DEFAULT 'normal' CHECK (type IN ('normal', 'phantom')),
    product_tmpl_id integer NOT NULL REFERENCES erp.product_template ON DELETE RESTRICT,
    product_id integer REFERENCES erp.product_product ON DELETE SET NULL,
    product_qty numeric NOT NULL DEFAULT 1.0,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    sequence integer,
    ready_to_produce varchar NOT NULL DEFAULT 'all_available' CHECK (ready_to_produce IN ('all_available', 'asap')),
    consumption varchar NOT NULL DEFAULT 'warning' CHECK (consumption IN ('flexible', 'warning', 'strict')),
    produce_delay integer DEFAULT 0,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT mrp_bom_qty_positive CHECK (product_qty > 0)
);
COMMENT ON TABLE erp.mrp_bom IS 'mrp.bom: bills of materials, for product_qty of a template (or one variant).';

CREATE TABLE erp.mrp_routing_workcenter (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    active boolean DEFAULT true,
    workcenter_id integer NOT NULL REFERENCES erp.mrp_workcenter ON DELETE RESTRICT,
    sequence integer DEFAULT 100,
    bom_id integer NOT NULL REFERENCES erp.mrp_bom ON DELETE CASCADE,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    time_mode varchar DEFAULT 'manual' CHECK (time_mode IN ('auto', 'manual')),
    time_mode_batch integer DEFAULT 10,
    time_cycle_manual numeric DEFAULT 60,
    note text,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_routing_workcenter IS 'mrp.routing.workcenter: the operations of a BoM, each on a work center.';
COMMENT ON COLUMN erp.mrp_routing_workcenter.time_cycle_manual IS 'Minutes per cycle (one BoM quantity on one unit of capacity).';

CREATE TABLE erp.mrp_bom_line (
    id serial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES erp.product_product ON DELETE RESTRICT,
    product_qty numeric NOT NULL DEFAULT 1.0,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    sequence integer DEFAULT 1,
    bom_id integer NOT NULL REFERENCES erp.mrp_bom ON DELETE CASCADE,
    operation_id integer REFERENCES erp.mrp_routing_workcenter ON DELETE SET NULL,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT mrp_bom_line_bom_qty_zero CHECK (product_qty >= 0)
);
COMMENT ON TABLE erp.mrp_bom_line IS 'mrp.bom.line: components of a BoM, consumed at an operation (operation_id).';

-- manufacturing orders and work orders -----------------------------------------------------------

CREATE TABLE erp.mrp_production (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    priority varchar DEFAULT '0' CHECK (priority IN ('0', '1')),
    origin varchar,
    product_id integer NOT NULL REFERENCES erp.product_product ON DELETE RESTRICT,
    product_qty numeric NOT NULL DEFAULT 1.0,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    product_uom_qty numeric,
    qty_producing numeric,
    lot_producing_id integer REFERENCES erp.stock_lot ON DELETE SET NULL,
    bom_id integer REFERENCES erp.mrp_bom ON DELETE SET NULL,
    location_src_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    location_dest_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    date_start timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    date_finished timestamp without time zone,
    date_deadline timestamp without time zone,
    state varchar DEFAULT 'draft' CHECK (state IN ('draft', 'confirmed', 'progress', 'to_close', 'done', 'cancel')),
    reservation_state varchar CHECK (reservation_state IN ('confirmed', 'assigned', 'waiting')),
    consumption varchar DEFAULT 'flexible' CHECK (consumption IN ('flexible', 'warning', 'strict')),
    is_locked boolean DEFAULT false,
    user_id integer,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT mrp_production_name_uniq UNIQUE (name, company_id),
    CONSTRAINT mrp_production_qty_positive CHECK (product_qty > 0)
);
COMMENT ON TABLE erp.mrp_production IS 'mrp.production: manufacturing orders (WH/MO/00012); produced quantity is not a column, it is the done finished moves.';
COMMENT ON COLUMN erp.mrp_production.product_uom_qty IS 'product_qty converted to the product''s unit (uom_id of its template).';
COMMENT ON COLUMN erp.mrp_production.user_id IS 'res.users id of the responsible (no res_users table here).';

CREATE TABLE erp.mrp_workorder (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    barcode varchar,
    sequence integer DEFAULT 100,
    production_id integer NOT NULL REFERENCES erp.mrp_production ON DELETE CASCADE,
    workcenter_id integer NOT NULL REFERENCES erp.mrp_workcenter ON DELETE RESTRICT,
    operation_id integer REFERENCES erp.mrp_routing_workcenter ON DELETE SET NULL,
    product_id integer REFERENCES erp.product_product ON DELETE SET NULL,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    qty_produced numeric DEFAULT 0,
    qty_producing numeric,
    state varchar DEFAULT 'pending'
        CHECK (state IN ('pending', 'waiting', 'ready', 'progress', 'done', 'cancel')),
    date_start timestamp without time zone,
    date_finished timestamp without time zone,
    duration_expected numeric DEFAULT 60,
    duration numeric,
    duration_unit numeric,
    duration_percent integer,
    progress numeric,
    costs_hour numeric DEFAULT 0,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_workorder IS 'mrp.workorder: one operation of a manufacturing order on a work center.';
COMMENT ON COLUMN erp.mrp_workorder.duration_expected IS 'Planned duration in minutes.';
COMMENT ON COLUMN erp.mrp_workorder.duration IS 'Real duration in minutes (sum of the productivity rows).';
COMMENT ON COLUMN erp.mrp_workorder.duration_unit IS 'Real minutes per produced unit.';

CREATE TABLE erp.mrp_workcenter_productivity_loss_type (
    id serial PRIMARY KEY,
    loss_type varchar NOT NULL DEFAULT 'availability'
        CHECK (loss_type IN ('availability', 'performance', 'quality', 'productive')),
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_workcenter_productivity_loss_type IS 'mrp.workcenter.productivity.loss.type: the four OEE loss categories.';

CREATE TABLE erp.mrp_workcenter_productivity_loss (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    sequence integer DEFAULT 1,
    manual boolean DEFAULT true,
    loss_id integer REFERENCES erp.mrp_workcenter_productivity_loss_type ON DELETE SET NULL,
    loss_type varchar CHECK (loss_type IN ('availability', 'performance', 'quality', 'productive')),
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_workcenter_productivity_loss IS 'mrp.workcenter.productivity.loss: reasons for time logged on a work center (blocking reasons).';
COMMENT ON COLUMN erp.mrp_workcenter_productivity_loss.loss_type IS 'Copy of loss_id.loss_type (a stored related field in Odoo).';

CREATE TABLE erp.mrp_workcenter_productivity (
    id serial PRIMARY KEY,
    workcenter_id integer NOT NULL REFERENCES erp.mrp_workcenter ON DELETE RESTRICT,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    workorder_id integer REFERENCES erp.mrp_workorder ON DELETE SET NULL,
    user_id integer,
    loss_id integer NOT NULL REFERENCES erp.mrp_workcenter_productivity_loss ON DELETE RESTRICT,
    loss_type varchar CHECK (loss_type IN ('availability', 'performance', 'quality', 'productive')),
    description text,
    date_start timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    date_end timestamp without time zone,
    duration numeric,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.mrp_workcenter_productivity IS 'mrp.workcenter.productivity: time logged on a work center (productive or a loss), the base of Odoo''s OEE.';
COMMENT ON COLUMN erp.mrp_workcenter_productivity.duration IS 'Minutes between date_start and date_end.';

-- stock moves, scrap, genealogy ------------------------------------------------------------------

CREATE TABLE erp.stock_scrap (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    origin varchar,
    product_id integer NOT NULL REFERENCES erp.product_product ON DELETE RESTRICT,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    lot_id integer REFERENCES erp.stock_lot ON DELETE SET NULL,
    scrap_qty numeric NOT NULL DEFAULT 1.0,
    location_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    scrap_location_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    production_id integer REFERENCES erp.mrp_production ON DELETE SET NULL,
    workorder_id integer REFERENCES erp.mrp_workorder ON DELETE SET NULL,
    bom_id integer REFERENCES erp.mrp_bom ON DELETE SET NULL,
    state varchar DEFAULT 'draft' CHECK (state IN ('draft', 'done')),
    date_done timestamp without time zone,
    should_replenish boolean DEFAULT false,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.stock_scrap IS 'stock.scrap: scrap orders; validating one creates a done move to the scrap location (stock_move.scrap_id).';

CREATE TABLE erp.stock_move (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    sequence integer DEFAULT 10,
    priority varchar DEFAULT '0' CHECK (priority IN ('0', '1')),
    date timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    date_deadline timestamp without time zone,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    product_id integer NOT NULL REFERENCES erp.product_product ON DELETE RESTRICT,
    description_picking text,
    product_qty numeric,
    product_uom_qty numeric NOT NULL DEFAULT 0,
    product_uom integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    quantity numeric DEFAULT 0,
    location_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    location_dest_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    state varchar DEFAULT 'draft'
        CHECK (state IN ('draft', 'waiting', 'confirmed', 'partially_available', 'assigned', 'done', 'cancel')),
    picked boolean DEFAULT false,
    price_unit numeric,
    origin varchar,
    reference varchar,
    procure_method varchar NOT NULL DEFAULT 'make_to_stock' CHECK (procure_method IN ('make_to_stock', 'make_to_order')),
    scrapped boolean DEFAULT false,
    scrap_id integer REFERENCES erp.stock_scrap ON DELETE SET NULL,
    is_inventory boolean DEFAULT false,
    origin_returned_move_id integer REFERENCES erp.stock_move ON DELETE SET NULL,
    raw_material_production_id integer REFERENCES erp.mrp_production ON DELETE SET NULL,
    production_id integer REFERENCES erp.mrp_production ON DELETE SET NULL,
    workorder_id integer REFERENCES erp.mrp_workorder ON DELETE SET NULL,
    bom_line_id integer REFERENCES erp.mrp_bom_line ON DELETE SET NULL,
    operation_id integer REFERENCES erp.mrp_routing_workcenter ON DELETE SET NULL,
    unit_factor numeric,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.stock_move IS 'stock.move: quantity of a product moving between two locations; immutable once done, corrected by reverse moves.';
COMMENT ON COLUMN erp.stock_move.product_uom_qty IS 'Demand, in product_uom.';
COMMENT ON COLUMN erp.stock_move.quantity IS 'Quantity moved (Odoo 17: stored; Odoo 16 had the non-stored quantity_done), in product_uom.';
COMMENT ON COLUMN erp.stock_move.product_qty IS 'Demand converted to the product''s unit.';
COMMENT ON COLUMN erp.stock_move.raw_material_production_id IS 'Set on component (consumption) moves of a manufacturing order.';
COMMENT ON COLUMN erp.stock_move.production_id IS 'Set on finished-product (and by-product) moves of a manufacturing order.';
COMMENT ON COLUMN erp.stock_move.scrapped IS 'Copy of location_dest_id.scrap_location (a stored related field in Odoo).';

CREATE TABLE erp.stock_move_line (
    id serial PRIMARY KEY,
    move_id integer REFERENCES erp.stock_move ON DELETE SET NULL,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    product_id integer REFERENCES erp.product_product ON DELETE CASCADE,
    product_uom_id integer NOT NULL REFERENCES erp.uom_uom ON DELETE RESTRICT,
    quantity numeric DEFAULT 0,
    quantity_product_uom numeric,
    picked boolean DEFAULT false,
    lot_id integer REFERENCES erp.stock_lot ON DELETE SET NULL,
    lot_name varchar,
    date timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    location_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    location_dest_id integer NOT NULL REFERENCES erp.stock_location ON DELETE RESTRICT,
    state varchar
        CHECK (state IN ('draft', 'waiting', 'confirmed', 'partially_available', 'assigned', 'done', 'cancel')),
    reference varchar,
    description_picking text,
    production_id integer REFERENCES erp.mrp_production ON DELETE SET NULL,
    workorder_id integer REFERENCES erp.mrp_workorder ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.stock_move_line IS 'stock.move.line: the detailed operations of a move, one per lot and location pair.';
COMMENT ON COLUMN erp.stock_move_line.state IS 'Copy of move_id.state (a stored related field in Odoo).';
COMMENT ON COLUMN erp.stock_move_line.reference IS 'Copy of move_id.reference (a stored related field in Odoo).';

-- Odoo's many2many table for stock.move.line consume_line_ids / produce_line_ids. Odoo's column
-- names read backwards: for a finished-product line F, F.consume_line_ids are the rows with
-- consume_line_id = F, and produce_line_id holds the component line F consumed.
CREATE TABLE erp.stock_move_line_consume_rel (
    consume_line_id integer NOT NULL REFERENCES erp.stock_move_line ON DELETE CASCADE,
    produce_line_id integer NOT NULL REFERENCES erp.stock_move_line ON DELETE CASCADE,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    PRIMARY KEY (consume_line_id, produce_line_id)
);
COMMENT ON TABLE erp.stock_move_line_consume_rel IS 'stock.move.line consume_line_ids (many2many): lot genealogy, which component lines went into which finished line.';
COMMENT ON COLUMN erp.stock_move_line_consume_rel.consume_line_id IS 'The finished-product (produced) move line, despite the name.';
COMMENT ON COLUMN erp.stock_move_line_consume_rel.produce_line_id IS 'The component move line it consumed, despite the name.';

-- quality (OCA quality_control_oca 17.0, with the lot_id of quality_control_stock_oca) -----------

CREATE TABLE erp.qc_test_category (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    parent_id integer REFERENCES erp.qc_test_category ON DELETE SET NULL,
    active boolean DEFAULT true,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_test_category IS 'qc.test.category (OCA): categories of quality tests.';

CREATE TABLE erp.qc_test (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    active boolean DEFAULT true,
    object_id varchar,
    fill_correct_values boolean DEFAULT false,
    type varchar NOT NULL DEFAULT 'generic' CHECK (type IN ('generic', 'related')),
    category integer REFERENCES erp.qc_test_category ON DELETE SET NULL,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_test IS 'qc.test (OCA): a quality test, a set of questions.';
COMMENT ON COLUMN erp.qc_test.object_id IS 'Odoo Reference field: ''model,id'' of the record a related test is for (''product.product,7'').';

CREATE TABLE erp.qc_test_question (
    id serial PRIMARY KEY,
    sequence integer NOT NULL DEFAULT 10,
    test integer REFERENCES erp.qc_test ON DELETE CASCADE,
    name jsonb NOT NULL,
    type varchar NOT NULL CHECK (type IN ('qualitative', 'quantitative')),
    notes text,
    min_value numeric(16, 5),
    max_value numeric(16, 5),
    uom_id integer REFERENCES erp.uom_uom ON DELETE SET NULL,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_test_question IS 'qc.test.question (OCA): one question of a test, with its limits (quantitative) or answers (qualitative).';
COMMENT ON COLUMN erp.qc_test_question.test IS 'The qc_test; OCA names this many2one "test", not test_id.';

CREATE TABLE erp.qc_test_question_value (
    id serial PRIMARY KEY,
    test_line integer REFERENCES erp.qc_test_question ON DELETE CASCADE,
    name jsonb NOT NULL,
    ok boolean DEFAULT false,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_test_question_value IS 'qc.test.question.value (OCA): possible answers of a qualitative question; ok marks the correct ones.';

CREATE TABLE erp.qc_inspection (
    id serial PRIMARY KEY,
    name varchar NOT NULL DEFAULT '/',
    date timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    object_id varchar,
    product_id integer REFERENCES erp.product_product ON DELETE SET NULL,
    lot_id integer REFERENCES erp.stock_lot ON DELETE SET NULL,
    qty numeric DEFAULT 1.0,
    test integer REFERENCES erp.qc_test ON DELETE SET NULL,
    internal_notes text,
    external_notes text,
    state varchar DEFAULT 'draft'
        CHECK (state IN ('draft', 'ready', 'waiting', 'success', 'failed', 'canceled')),
    success boolean,
    auto_generated boolean DEFAULT false,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    "user" integer,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_inspection IS 'qc.inspection (OCA): a quality inspection of a record (a lot, a product, a move) against a test.';
COMMENT ON COLUMN erp.qc_inspection.object_id IS 'Odoo Reference field, polymorphic: ''model,id'' as text, e.g. ''stock.lot,42''; no foreign key.';
COMMENT ON COLUMN erp.qc_inspection.lot_id IS 'quality_control_stock_oca: the lot, computed from object_id when it is a stock.lot (or a move line with a lot).';
COMMENT ON COLUMN erp.qc_inspection.success IS 'True when every line succeeded.';
COMMENT ON COLUMN erp.qc_inspection."user" IS 'res.users id of the responsible; OCA names the column "user", a reserved word: quote it.';

CREATE TABLE erp.qc_inspection_line (
    id serial PRIMARY KEY,
    inspection_id integer REFERENCES erp.qc_inspection ON DELETE CASCADE,
    name varchar,
    product_id integer REFERENCES erp.product_product ON DELETE SET NULL,
    test_line integer REFERENCES erp.qc_test_question ON DELETE SET NULL,
    quantitative_value numeric(16, 5),
    qualitative_value integer REFERENCES erp.qc_test_question_value ON DELETE SET NULL,
    notes text,
    min_value numeric(16, 5),
    max_value numeric(16, 5),
    test_uom_id integer REFERENCES erp.uom_uom ON DELETE SET NULL,
    test_uom_category integer REFERENCES erp.uom_category ON DELETE SET NULL,
    uom_id integer REFERENCES erp.uom_uom ON DELETE SET NULL,
    question_type varchar CHECK (question_type IN ('qualitative', 'quantitative')),
    valid_values varchar,
    success boolean,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.qc_inspection_line IS 'qc.inspection.line (OCA): one measured or answered question; success compares the value, converted from uom_id to test_uom_id, with min/max.';
COMMENT ON COLUMN erp.qc_inspection_line.uom_id IS 'Unit of quantitative_value; test_uom_id is the unit of min_value and max_value.';

-- maintenance ------------------------------------------------------------------------------------

CREATE TABLE erp.maintenance_team (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    active boolean DEFAULT true,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    color integer DEFAULT 0,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.maintenance_team IS 'maintenance.team: teams that handle maintenance requests.';

CREATE TABLE erp.maintenance_equipment_category (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    technician_user_id integer,
    color integer,
    note text,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.maintenance_equipment_category IS 'maintenance.equipment.category: kinds of equipment.';

CREATE TABLE erp.maintenance_stage (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    sequence integer DEFAULT 20,
    fold boolean DEFAULT false,
    done boolean DEFAULT false,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.maintenance_stage IS 'maintenance.stage: configurable stages of maintenance requests; done marks closing stages.';

CREATE TABLE erp.maintenance_equipment (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    company_id integer REFERENCES erp.res_company ON DELETE SET NULL,
    active boolean DEFAULT true,
    technician_user_id integer,
    owner_user_id integer,
    category_id integer REFERENCES erp.maintenance_equipment_category ON DELETE SET NULL,
    partner_ref varchar,
    location varchar,
    model varchar,
    serial_no varchar,
    assign_date date,
    effective_date date NOT NULL DEFAULT CURRENT_DATE,
    cost numeric,
    note text,
    warranty_date date,
    color integer,
    scrap_date date,
    maintenance_team_id integer REFERENCES erp.maintenance_team ON DELETE SET NULL,
    workcenter_id integer REFERENCES erp.mrp_workcenter ON DELETE SET NULL,
    expected_mtbf integer,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT maintenance_equipment_serial_no UNIQUE (serial_no)
);
COMMENT ON TABLE erp.maintenance_equipment IS 'maintenance.equipment: machines and tools; workcenter_id and expected_mtbf come from mrp_maintenance.';
COMMENT ON COLUMN erp.maintenance_equipment.expected_mtbf IS 'Expected mean time between failures, in days (mtbf and mttr are computed in Odoo, not stored).';

CREATE TABLE erp.maintenance_request (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    company_id integer NOT NULL REFERENCES erp.res_company ON DELETE RESTRICT,
    description text,
    request_date date DEFAULT CURRENT_DATE,
    owner_user_id integer,
    category_id integer REFERENCES erp.maintenance_equipment_category ON DELETE SET NULL,
    equipment_id integer REFERENCES erp.maintenance_equipment ON DELETE RESTRICT,
    user_id integer,
    stage_id integer REFERENCES erp.maintenance_stage ON DELETE RESTRICT,
    priority varchar CHECK (priority IN ('0', '1', '2', '3')),
    color integer,
    close_date date,
    kanban_state varchar NOT NULL DEFAULT 'normal' CHECK (kanban_state IN ('normal', 'blocked', 'done')),
    archive boolean DEFAULT false,
    maintenance_type varchar DEFAULT 'corrective' CHECK (maintenance_type IN ('corrective', 'preventive')),
    schedule_date timestamp without time zone,
    maintenance_team_id integer NOT NULL REFERENCES erp.maintenance_team ON DELETE RESTRICT,
    duration numeric,
    create_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc'),
    write_date timestamp without time zone DEFAULT (now() AT TIME ZONE 'utc')
);
COMMENT ON TABLE erp.maintenance_request IS 'maintenance.request: corrective or preventive maintenance of an equipment, moved through maintenance_stage rows.';
COMMENT ON COLUMN erp.maintenance_request.duration IS 'Duration in HOURS (unlike the minutes of manufacturing).';
COMMENT ON COLUMN erp.maintenance_request.close_date IS 'Date the request reached a done stage.';
COMMENT ON COLUMN erp.maintenance_request.category_id IS 'Copy of equipment_id.category_id (a stored related field in Odoo).';

-- indexes: every foreign key column, plus what the replicator and the reporting views look up ---

CREATE INDEX uom_uom__category_id_index ON erp.uom_uom (category_id);
CREATE INDEX product_category__parent_id_index ON erp.product_category (parent_id);
CREATE INDEX product_category__parent_path_index ON erp.product_category (parent_path);
CREATE INDEX product_template__categ_id_index ON erp.product_template (categ_id);
CREATE INDEX product_template__uom_id_index ON erp.product_template (uom_id);
CREATE INDEX product_template__uom_po_id_index ON erp.product_template (uom_po_id);
CREATE INDEX product_template__company_id_index ON erp.product_template (company_id);
CREATE INDEX product_template__default_code_index ON erp.product_template (default_code);
CREATE INDEX product_product__product_tmpl_id_index ON erp.product_product (product_tmpl_id);
CREATE INDEX product_product__default_code_index ON erp.product_product (default_code);
CREATE INDEX product_product__barcode_index ON erp.product_product (barcode) WHERE barcode IS NOT NULL;
CREATE UNIQUE INDEX product_product_combination_unique ON erp.product_product (product_tmpl_id, combination_indices)
    WHERE active IS TRUE;

CREATE INDEX stock_location__location_id_index ON erp.stock_location (location_id);
CREATE INDEX stock_location__parent_path_index ON erp.stock_location (parent_path);
CREATE INDEX stock_location__company_id_index ON erp.stock_location (company_id);
CREATE INDEX stock_lot__product_id_index ON erp.stock_lot (product_id);
CREATE INDEX stock_lot__product_uom_id_index ON erp.stock_lot (product_uom_id);
CREATE INDEX stock_lot__company_id_index ON erp.stock_lot (company_id);
CREATE INDEX stock_lot__name_index ON erp.stock_lot (name);

CREATE INDEX mrp_workcenter__company_id_index ON erp.mrp_workcenter (company_id);
CREATE INDEX mrp_bom__product_tmpl_id_index ON erp.mrp_bom (product_tmpl_id);
CREATE INDEX mrp_bom__product_id_index ON erp.mrp_bom (product_id);
CREATE INDEX mrp_bom__product_uom_id_index ON erp.mrp_bom (product_uom_id);
CREATE INDEX mrp_bom__company_id_index ON erp.mrp_bom (company_id);
CREATE INDEX mrp_routing_workcenter__workcenter_id_index ON erp.mrp_routing_workcenter (workcenter_id);
CREATE INDEX mrp_routing_workcenter__bom_id_index ON erp.mrp_routing_workcenter (bom_id);
CREATE INDEX mrp_routing_workcenter__company_id_index ON erp.mrp_routing_workcenter (company_id);
CREATE INDEX mrp_bom_line__bom_id_index ON erp.mrp_bom_line (bom_id);
CREATE INDEX mrp_bom_line__product_id_index ON erp.mrp_bom_line (product_id);
CREATE INDEX mrp_bom_line__product_uom_id_index ON erp.mrp_bom_line (product_uom_id);
CREATE INDEX mrp_bom_line__operation_id_index ON erp.mrp_bom_line (operation_id);
CREATE INDEX mrp_bom_line__company_id_index ON erp.mrp_bom_line (company_id);

CREATE INDEX mrp_production__product_id_index ON erp.mrp_production (product_id);
CREATE INDEX mrp_production__product_uom_id_index ON erp.mrp_production (product_uom_id);
CREATE INDEX mrp_production__lot_producing_id_index ON erp.mrp_production (lot_producing_id);
CREATE INDEX mrp_production__bom_id_index ON erp.mrp_production (bom_id);
CREATE INDEX mrp_production__location_src_id_index ON erp.mrp_production (location_src_id);
CREATE INDEX mrp_production__location_dest_id_index ON erp.mrp_production (location_dest_id);
CREATE INDEX mrp_production__company_id_index ON erp.mrp_production (company_id);
CREATE INDEX mrp_production__state_index ON erp.mrp_production (state);
CREATE INDEX mrp_production__date_start_index ON erp.mrp_production (date_start);
CREATE INDEX mrp_workorder__production_id_index ON erp.mrp_workorder (production_id);
CREATE INDEX mrp_workorder__workcenter_id_index ON erp.mrp_workorder (workcenter_id);
CREATE INDEX mrp_workorder__operation_id_index ON erp.mrp_workorder (operation_id);
CREATE INDEX mrp_workorder__product_id_index ON erp.mrp_workorder (product_id);
CREATE INDEX mrp_workorder__product_uom_id_index ON erp.mrp_workorder (product_uom_id);
CREATE INDEX mrp_workorder__company_id_index ON erp.mrp_workorder (company_id);
CREATE INDEX mrp_workcenter_productivity_loss__loss_id_index ON erp.mrp_workcenter_productivity_loss (loss_id);
CREATE INDEX mrp_workcenter_productivity_workcenter_id_date_start_index
    ON erp.mrp_workcenter_productivity (workcenter_id, date_start);
CREATE INDEX mrp_workcenter_productivity__company_id_index ON erp.mrp_workcenter_productivity (company_id);
CREATE INDEX mrp_workcenter_productivity__workorder_id_index ON erp.mrp_workcenter_productivity (workorder_id);
CREATE INDEX mrp_workcenter_productivity__loss_id_index ON erp.mrp_workcenter_productivity (loss_id);

CREATE INDEX stock_scrap__product_id_index ON erp.stock_scrap (product_id);
CREATE INDEX stock_scrap__product_uom_id_index ON erp.stock_scrap (product_uom_id);
CREATE INDEX stock_scrap__lot_id_index ON erp.stock_scrap (lot_id);
CREATE INDEX stock_scrap__location_id_index ON erp.stock_scrap (location_id);
CREATE INDEX stock_scrap__scrap_location_id_index ON erp.stock_scrap (scrap_location_id);
CREATE INDEX stock_scrap__production_id_index ON erp.stock_scrap (production_id);
CREATE INDEX stock_scrap__workorder_id_index ON erp.stock_scrap (workorder_id);
CREATE INDEX stock_scrap__bom_id_index ON erp.stock_scrap (bom_id);
CREATE INDEX stock_scrap__company_id_index ON erp.stock_scrap (company_id);

CREATE INDEX stock_move__company_id_index ON erp.stock_move (company_id);
CREATE INDEX stock_move__product_id_index ON erp.stock_move (product_id);
CREATE INDEX stock_move__product_uom_index ON erp.stock_move (product_uom);
CREATE INDEX stock_move__location_id_index ON erp.stock_move (location_id);
CREATE INDEX stock_move__location_dest_id_index ON erp.stock_move (location_dest_id);
CREATE INDEX stock_move__state_index ON erp.stock_move (state);
CREATE INDEX stock_move__date_index ON erp.stock_move (date);
CREATE INDEX stock_move__reference_index ON erp.stock_move (reference);
CREATE INDEX stock_move__scrap_id_index ON erp.stock_move (scrap_id) WHERE scrap_id IS NOT NULL;
CREATE INDEX stock_move__origin_returned_move_id_index ON erp.stock_move (origin_returned_move_id)
    WHERE origin_returned_move_id IS NOT NULL;
CREATE INDEX stock_move__raw_material_production_id_index ON erp.stock_move (raw_material_production_id)
    WHERE raw_material_production_id IS NOT NULL;
CREATE INDEX stock_move__production_id_index ON erp.stock_move (production_id) WHERE production_id IS NOT NULL;
CREATE INDEX stock_move__workorder_id_index ON erp.stock_move (workorder_id) WHERE workorder_id IS NOT NULL;
CREATE INDEX stock_move__bom_line_id_index ON erp.stock_move (bom_line_id) WHERE bom_line_id IS NOT NULL;
CREATE INDEX stock_move__operation_id_index ON erp.stock_move (operation_id) WHERE operation_id IS NOT NULL;

CREATE INDEX stock_move_line__move_id_index ON erp.stock_move_line (move_id);
CREATE INDEX stock_move_line__company_id_index ON erp.stock_move_line (company_id);
CREATE INDEX stock_move_line__product_id_index ON erp.stock_move_line (product_id);
CREATE INDEX stock_move_line__product_uom_id_index ON erp.stock_move_line (product_uom_id);
CREATE INDEX stock_move_line__lot_id_index ON erp.stock_move_line (lot_id);
CREATE INDEX stock_move_line__location_id_index ON erp.stock_move_line (location_id);
CREATE INDEX stock_move_line__location_dest_id_index ON erp.stock_move_line (location_dest_id);
CREATE INDEX stock_move_line__production_id_index ON erp.stock_move_line (production_id)
    WHERE production_id IS NOT NULL;
CREATE INDEX stock_move_line__workorder_id_index ON erp.stock_move_line (workorder_id) WHERE workorder_id IS NOT NULL;
CREATE INDEX stock_move_line_consume_rel_produce_line_id_consume_line_id_idx
    ON erp.stock_move_line_consume_rel (produce_line_id, consume_line_id);

CREATE INDEX qc_test_category__parent_id_index ON erp.qc_test_category (parent_id);
CREATE INDEX qc_test__category_index ON erp.qc_test (category);
CREATE INDEX qc_test__company_id_index ON erp.qc_test (company_id);
CREATE INDEX qc_test_question__test_index ON erp.qc_test_question (test);
CREATE INDEX qc_test_question__uom_id_index ON erp.qc_test_question (uom_id);
CREATE INDEX qc_test_question_value__test_line_index ON erp.qc_test_question_value (test_line);
CREATE INDEX qc_inspection__object_id_index ON erp.qc_inspection (object_id);
CREATE INDEX qc_inspection__product_id_index ON erp.qc_inspection (product_id);
CREATE INDEX qc_inspection__lot_id_index ON erp.qc_inspection (lot_id);
CREATE INDEX qc_inspection__test_index ON erp.qc_inspection (test);
CREATE INDEX qc_inspection__company_id_index ON erp.qc_inspection (company_id);
CREATE INDEX qc_inspection_line__inspection_id_index ON erp.qc_inspection_line (inspection_id);
CREATE INDEX qc_inspection_line__product_id_index ON erp.qc_inspection_line (product_id);
CREATE INDEX qc_inspection_line__test_line_index ON erp.qc_inspection_line (test_line);
CREATE INDEX qc_inspection_line__qualitative_value_index ON erp.qc_inspection_line (qualitative_value);
CREATE INDEX qc_inspection_line__test_uom_id_index ON erp.qc_inspection_line (test_uom_id);
CREATE INDEX qc_inspection_line__test_uom_category_index ON erp.qc_inspection_line (test_uom_category);
CREATE INDEX qc_inspection_line__uom_id_index ON erp.qc_inspection_line (uom_id);

CREATE INDEX maintenance_team__company_id_index ON erp.maintenance_team (company_id);
CREATE INDEX maintenance_equipment_category__company_id_index ON erp.maintenance_equipment_category (company_id);
CREATE INDEX maintenance_equipment__company_id_index ON erp.maintenance_equipment (company_id);
CREATE INDEX maintenance_equipment__category_id_index ON erp.maintenance_equipment (category_id);
CREATE INDEX maintenance_equipment__maintenance_team_id_index ON erp.maintenance_equipment (maintenance_team_id);
CREATE INDEX maintenance_equipment__workcenter_id_index ON erp.maintenance_equipment (workcenter_id);
CREATE INDEX maintenance_request__company_id_index ON erp.maintenance_request (company_id);
CREATE INDEX maintenance_request__category_id_index ON erp.maintenance_request (category_id);
CREATE INDEX maintenance_request__equipment_id_index ON erp.maintenance_request (equipment_id);
CREATE INDEX maintenance_request__stage_id_index ON erp.maintenance_request (stage_id);
CREATE INDEX maintenance_request__maintenance_team_id_index ON erp.maintenance_request (maintenance_team_id);

-- privileges: application writers use the ERP; erpmes run reads it (the mapping pack grants more)

GRANT USAGE ON SCHEMA erp TO app_writer, erpmes_run;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA erp TO app_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA erp TO app_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA erp TO erpmes_run;
