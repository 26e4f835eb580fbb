-- Inventory and work in process per product, lot and location (issue 9), on the ERP database,
-- computed from the done stock move lines (the ledger), not from a stored quant table.
--   report.stock_on_hand  what is in each internal or transit location, per product and lot;
--   report.wip            component material issued to manufacturing orders still open (confirmed,
--                         progress, to_close): it sits in the virtual production location until
--                         the order is done.
-- Quantities are in the product's unit: the line's quantity_product_uom, else its quantity
-- converted with Odoo's factors. MES corrections arrive as reversing moves and net out.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.stock_on_hand;
DROP VIEW IF EXISTS report.wip;

CREATE VIEW report.stock_on_hand AS
SELECT
    b.product_id,
    b.product_code,
    pt.name ->> 'en_US' AS product_name,
    b.lot_id,
    b.lot_name,
    b.location_id,
    b.location,
    b.location_usage,
    trim_scale(round(b.quantity, 5)) AS quantity,
    pu.name ->> 'en_US' AS uom,
    b.last_move_date
FROM (
    -- product code, lot name and location are grouping columns, so that a filter on them reaches
    -- the indexes before the aggregation; the other names are joined to the result rows
    SELECT ml.product_id, p.default_code AS product_code, ml.lot_id, lot.name AS lot_name, side.location_id,
        sl.complete_name AS location, sl.usage AS location_usage, max(ml.date) AS last_move_date,
        sum(side.sign * coalesce(ml.quantity_product_uom, ml.quantity / lu.factor * tu.factor)) AS quantity
    FROM erp.stock_move_line AS ml
    -- each done line once, unpivoted into an arrival (+) at its destination and a departure (-) at
    -- its source, keeping only the sides in an internal or transit location
    CROSS JOIN LATERAL (VALUES (ml.location_dest_id, 1), (ml.location_id, -1)) AS side (location_id, sign)
    JOIN erp.stock_location AS sl ON sl.id = side.location_id AND sl.usage IN ('internal', 'transit')
    JOIN erp.product_product AS p ON p.id = ml.product_id
    LEFT JOIN erp.stock_lot AS lot ON lot.id = ml.lot_id
    JOIN erp.uom_uom AS lu ON lu.id = ml.product_uom_id
    JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
    JOIN erp.uom_uom AS tu ON tu.id = t.uom_id
    WHERE ml.state = 'done'
    GROUP BY ml.product_id, p.default_code, ml.lot_id, lot.name, side.location_id, sl.complete_name, sl.usage
    HAVING round(sum(side.sign * coalesce(ml.quantity_product_uom, ml.quantity / lu.factor * tu.factor)), 5) <> 0
) AS b
JOIN erp.product_product AS pp ON pp.id = b.product_id
JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
JOIN erp.uom_uom AS pu ON pu.id = pt.uom_id;

COMMENT ON VIEW report.stock_on_hand IS
    'Inventory per product, lot and internal or transit location: done stock_move_line quantities in minus out, in the product''s unit; rows netting to zero are left out. Reversing moves (how MES corrections arrive) net out. Computed at query time from the ledger (not from a stored quant).';
COMMENT ON COLUMN report.stock_on_hand.product_id IS 'erp.product_product.id.';
COMMENT ON COLUMN report.stock_on_hand.product_code IS 'Product default_code.';
COMMENT ON COLUMN report.stock_on_hand.product_name IS 'Product name (en_US).';
COMMENT ON COLUMN report.stock_on_hand.lot_id IS 'erp.stock_lot.id; NULL for untracked stock.';
COMMENT ON COLUMN report.stock_on_hand.lot_name IS 'Lot or serial number (= MES batch.number).';
COMMENT ON COLUMN report.stock_on_hand.location_id IS 'erp.stock_location.id.';
COMMENT ON COLUMN report.stock_on_hand.location IS 'Location complete name (WH/Stock).';
COMMENT ON COLUMN report.stock_on_hand.location_usage IS 'internal or transit.';
COMMENT ON COLUMN report.stock_on_hand.quantity IS 'Quantity on hand in the product''s unit (negative when more left than arrived).';
COMMENT ON COLUMN report.stock_on_hand.uom IS 'The product''s unit.';
COMMENT ON COLUMN report.stock_on_hand.last_move_date IS 'Latest done move line touching this product, lot and location, naive UTC.';

CREATE VIEW report.wip AS
SELECT
    p.id AS production_id,
    p.name AS production,
    p.state AS production_state,
    fp.default_code AS production_product_code,
    ml.product_id,
    pp.default_code AS product_code,
    pt.name ->> 'en_US' AS product_name,
    ml.lot_id,
    lot.name AS lot_name,
    CASE WHEN dst.usage = 'production' THEN ml.location_dest_id ELSE ml.location_id END AS location_id,
    min(CASE WHEN dst.usage = 'production' THEN dst.complete_name ELSE src.complete_name END) AS location,
    trim_scale(round(sum(
        CASE WHEN dst.usage = 'production' THEN 1 ELSE -1 END
        * coalesce(ml.quantity_product_uom, ml.quantity / lu.factor * tu.factor)
    ), 5)) AS quantity,
    tu.name ->> 'en_US' AS uom,
    min(ml.date) AS first_issue_date
FROM erp.mrp_production AS p
JOIN erp.product_product AS fp ON fp.id = p.product_id
JOIN erp.stock_move AS m ON m.raw_material_production_id = p.id AND m.state = 'done'
JOIN erp.stock_move_line AS ml ON ml.move_id = m.id AND ml.state = 'done'
JOIN erp.stock_location AS src ON src.id = ml.location_id
JOIN erp.stock_location AS dst ON dst.id = ml.location_dest_id
JOIN erp.uom_uom AS lu ON lu.id = ml.product_uom_id
JOIN erp.product_product AS pp ON pp.id = ml.product_id
JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
JOIN erp.uom_uom AS tu ON tu.id = pt.uom_id
LEFT JOIN erp.stock_lot AS lot ON lot.id = ml.lot_id
WHERE p.state IN ('confirmed', 'progress', 'to_close')
GROUP BY p.id, p.name, p.state, fp.default_code, ml.product_id, pp.default_code, pt.name, ml.lot_id, lot.name,
    CASE WHEN dst.usage = 'production' THEN ml.location_dest_id ELSE ml.location_id END, tu.name;

COMMENT ON VIEW report.wip IS
    'Work in process per open manufacturing order (confirmed, progress, to_close), component product, lot and production location: done component move lines into the production location minus those back out of it (returns, reversals of MES corrections), in the product''s unit. Material leaves WIP when its order is done. Computed at query time from erp.stock_move_line.';
COMMENT ON COLUMN report.wip.production_id IS 'The open manufacturing order (erp.mrp_production.id).';
COMMENT ON COLUMN report.wip.production IS 'Manufacturing order name.';
COMMENT ON COLUMN report.wip.production_state IS 'confirmed, progress or to_close.';
COMMENT ON COLUMN report.wip.production_product_code IS 'default_code of the product the order makes.';
COMMENT ON COLUMN report.wip.product_id IS 'Component in process (erp.product_product.id).';
COMMENT ON COLUMN report.wip.product_code IS 'Component default_code.';
COMMENT ON COLUMN report.wip.product_name IS 'Component name (en_US).';
COMMENT ON COLUMN report.wip.lot_id IS 'Component lot (erp.stock_lot.id); NULL if untracked.';
COMMENT ON COLUMN report.wip.lot_name IS 'Component lot name.';
COMMENT ON COLUMN report.wip.location_id IS 'The production location holding it.';
COMMENT ON COLUMN report.wip.location IS 'Its complete name.';
COMMENT ON COLUMN report.wip.quantity IS 'Net quantity issued to the order, in the component''s unit.';
COMMENT ON COLUMN report.wip.uom IS 'The component''s unit.';
COMMENT ON COLUMN report.wip.first_issue_date IS 'First done component move line of this group, naive UTC.';

SELECT report.apply_grants();
