-- Lot genealogy (issue 9), on the ERP database: which component lots went into which produced lots,
-- from Odoo's many2many stock_move_line_consume_rel between done move lines (its column names read
-- backwards: consume_line_id is the produced line, produce_line_id the component line it consumed).
--   report.lot_genealogy   one row per produced lot, component lot and manufacturing order;
--   report.lot_trace(...)  the whole tree over several levels, backward (what went into a lot) or
--                          forward (where a lot went).
-- erpmes:requires report_schema.sql

DROP FUNCTION IF EXISTS report.lot_trace(integer, text);
DROP VIEW IF EXISTS report.lot_genealogy;

CREATE VIEW report.lot_genealogy AS
SELECT
    e.lot_id,
    e.lot_name,
    e.product_id,
    pp.default_code AS product_code,
    e.component_lot_id,
    e.component_lot_name,
    e.component_product_id,
    cp.default_code AS component_product_code,
    trim_scale(round(sum(e.component_qty), 5)) AS component_qty,
    cu.name ->> 'en_US' AS component_uom,
    e.production_id,
    mo.name AS production,
    min(e.date) AS date
FROM (
    -- one row per produced lot and component line, however many produced lines of that lot are
    -- linked to the component line. The lot ids and names are grouping columns at both levels, so a
    -- filter on any of them reaches the stock_lot and move-line indexes.
    SELECT
        pl.lot_id, lot.name AS lot_name, pl.product_id, cl.id AS component_line_id, cl.lot_id AS component_lot_id,
        clot.name AS component_lot_name, cl.product_id AS component_product_id, pm.production_id,
        max(coalesce(cl.quantity_product_uom, cl.quantity / lu.factor * tu.factor)) AS component_qty,
        min(pl.date) AS date
    -- the lines and lots first: the planner reorders only the first join_collapse_limit (8) relations
    FROM erp.stock_move_line_consume_rel AS r
    JOIN erp.stock_move_line AS pl ON pl.id = r.consume_line_id
    JOIN erp.stock_move_line AS cl ON cl.id = r.produce_line_id
    LEFT JOIN erp.stock_lot AS lot ON lot.id = pl.lot_id
    LEFT JOIN erp.stock_lot AS clot ON clot.id = cl.lot_id
    LEFT JOIN erp.stock_move AS pm ON pm.id = pl.move_id
    JOIN erp.uom_uom AS lu ON lu.id = cl.product_uom_id
    JOIN erp.product_product AS cpp ON cpp.id = cl.product_id
    JOIN erp.product_template AS ct ON ct.id = cpp.product_tmpl_id
    JOIN erp.uom_uom AS tu ON tu.id = ct.uom_id
    WHERE pl.state = 'done' AND cl.state = 'done'
    GROUP BY pl.lot_id, lot.name, pl.product_id, cl.id, cl.lot_id, clot.name, cl.product_id, pm.production_id
) AS e
JOIN erp.product_product AS pp ON pp.id = e.product_id
JOIN erp.product_product AS cp ON cp.id = e.component_product_id
JOIN erp.product_template AS cpt ON cpt.id = cp.product_tmpl_id
JOIN erp.uom_uom AS cu ON cu.id = cpt.uom_id
LEFT JOIN erp.mrp_production AS mo ON mo.id = e.production_id
GROUP BY e.lot_id, e.lot_name, e.product_id, pp.default_code, e.component_lot_id, e.component_lot_name,
    e.component_product_id, cp.default_code, cu.name, e.production_id, mo.name;

COMMENT ON VIEW report.lot_genealogy IS
    'Lot genealogy, one level: produced lot <- component lot per manufacturing order, from erp.stock_move_line_consume_rel between done move lines. Backward: WHERE lot_name = X; forward: WHERE component_lot_name = Y; several levels: report.lot_trace(). Computed at query time.';
COMMENT ON COLUMN report.lot_genealogy.lot_id IS 'Produced lot (erp.stock_lot.id); NULL when the product is not lot-tracked.';
COMMENT ON COLUMN report.lot_genealogy.lot_name IS 'Produced lot name.';
COMMENT ON COLUMN report.lot_genealogy.product_id IS 'Produced product (erp.product_product.id).';
COMMENT ON COLUMN report.lot_genealogy.product_code IS 'Produced product default_code.';
COMMENT ON COLUMN report.lot_genealogy.component_lot_id IS 'Consumed component lot (erp.stock_lot.id); NULL when untracked.';
COMMENT ON COLUMN report.lot_genealogy.component_lot_name IS 'Consumed component lot name.';
COMMENT ON COLUMN report.lot_genealogy.component_product_id IS 'Component product (erp.product_product.id).';
COMMENT ON COLUMN report.lot_genealogy.component_product_code IS 'Component default_code.';
COMMENT ON COLUMN report.lot_genealogy.component_qty IS 'Quantity of the component lines linked to the produced lot, in the component''s unit (a component line shared by several produced lots counts fully for each).';
COMMENT ON COLUMN report.lot_genealogy.component_uom IS 'The component''s unit.';
COMMENT ON COLUMN report.lot_genealogy.production_id IS 'Manufacturing order of the produced line (erp.mrp_production.id).';
COMMENT ON COLUMN report.lot_genealogy.production IS 'Manufacturing order name.';
COMMENT ON COLUMN report.lot_genealogy.date IS 'Earliest produced line date of the link, naive UTC.';

-- Several levels, one query per level on report.lot_genealogy with the lots found so far (so each
-- level uses the lot_id indexes); a caller needs only SELECT on the view. A lot reached again (a
-- diamond, or a cycle in bad data) is listed once, at its first depth.
CREATE FUNCTION report.lot_trace(lot integer, direction text DEFAULT 'backward')
RETURNS TABLE (
    depth integer,
    lot_id integer,
    lot_name varchar,
    product_code varchar,
    linked_lot_id integer,
    qty numeric,
    production varchar
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    current_level integer[] := ARRAY[lot];
    next_level integer[];
    seen integer[] := ARRAY[lot];
    level integer := 0;
BEGIN
    IF direction IS NULL OR direction NOT IN ('backward', 'forward') THEN
        RAISE EXCEPTION 'report.lot_trace: direction must be backward or forward, not %', direction
            USING ERRCODE = '22023';
    END IF;
    WHILE cardinality(current_level) > 0 LOOP
        level := level + 1;
        next_level := ARRAY[]::integer[];
        FOR depth, lot_id, lot_name, product_code, linked_lot_id, qty, production IN
            SELECT level, g.component_lot_id, g.component_lot_name, g.component_product_code, g.lot_id,
                   g.component_qty, g.production
            FROM report.lot_genealogy AS g
            WHERE direction = 'backward' AND g.lot_id = ANY (current_level)
            UNION ALL
            SELECT level, g.lot_id, g.lot_name, g.product_code, g.component_lot_id, g.component_qty, g.production
            FROM report.lot_genealogy AS g
            WHERE direction = 'forward' AND g.component_lot_id = ANY (current_level)
            ORDER BY 3, 5
        LOOP
            RETURN NEXT;
            IF lot_trace.lot_id IS NOT NULL AND NOT lot_trace.lot_id = ANY (seen) THEN
                seen := seen || lot_trace.lot_id;
                next_level := next_level || lot_trace.lot_id;
            END IF;
        END LOOP;
        current_level := next_level;
    END LOOP;
END $$;
COMMENT ON FUNCTION report.lot_trace(integer, text) IS
    'Multi-level lot genealogy from report.lot_genealogy: direction ''backward'' (default) lists every component lot that went, directly or not, into the lot; ''forward'' every lot it went into. One row per link: depth (1 = direct), the lot reached, linked_lot_id = the lot of the previous level it is linked to, the component quantity of the link and its manufacturing order. A lot reached twice is followed once; untracked (lot-less) links end a branch.';

SELECT report.apply_grants();
