-- Rows a fresh Odoo 17 database ships with (uom, product, stock, mrp and maintenance data files,
-- quality_control_oca's categories), with fixed ids; the sequences are advanced past them at the end.

INSERT INTO erp.res_company (id, name) VALUES (1, 'My Company');

-- uom/data/uom_data.xml. Units given there as factor_inv are stored as Odoo stores them:
-- factor = 1.0 / factor_inv in Python floats, so Dozens has factor 0.08333333333333333. Odoo
-- converts in floats (12 Dozens -> 144.0 Units); in numeric, 12 / factor is 144.00000000000000576,
-- which rounding UP to 0.01 would turn into 144.01: SQL conversions must allow for it.
INSERT INTO erp.uom_category (id, name) VALUES
    (1, '{"en_US": "Unit"}'),
    (2, '{"en_US": "Weight"}'),
    (3, '{"en_US": "Working Time"}'),
    (4, '{"en_US": "Length / Distance"}'),
    (5, '{"en_US": "Volume"}');

INSERT INTO erp.uom_uom (id, name, category_id, factor, rounding, uom_type) VALUES
    (1, '{"en_US": "Units"}', 1, 1.0, 0.01, 'reference'),
    (2, '{"en_US": "Dozens"}', 1, 0.08333333333333333, 0.01, 'bigger'),
    (3, '{"en_US": "kg"}', 2, 1.0, 0.001, 'reference'),
    (4, '{"en_US": "g"}', 2, 1000.0, 0.01, 'smaller'),
    (5, '{"en_US": "Days"}', 3, 1.0, 0.01, 'reference'),
    (6, '{"en_US": "Hours"}', 3, 8.0, 0.01, 'smaller'),
    (7, '{"en_US": "t"}', 2, 0.001, 0.01, 'bigger'),
    (8, '{"en_US": "m"}', 4, 1.0, 0.01, 'reference'),
    (9, '{"en_US": "km"}', 4, 0.001, 0.01, 'bigger'),
    (10, '{"en_US": "cm"}', 4, 100.0, 0.01, 'smaller'),
    (11, '{"en_US": "L"}', 5, 1.0, 0.01, 'reference'),
    (12, '{"en_US": "m³"}', 5, 0.001, 0.01, 'bigger'),
    (13, '{"en_US": "lb"}', 2, 2.20462, 0.01, 'smaller'),
    (14, '{"en_US": "oz"}', 2, 35.274, 0.01, 'smaller'),
    (15, '{"en_US": "in"}', 4, 39.3701, 0.01, 'smaller'),
    (16, '{"en_US": "ft"}', 4, 3.28084, 0.01, 'smaller'),
    (17, '{"en_US": "mi"}', 4, 0.0006213727366498068, 0.01, 'bigger'),
    (18, '{"en_US": "fl oz (US)"}', 5, 33.814, 0.01, 'smaller'),
    (19, '{"en_US": "qt (US)"}', 5, 1.05669, 0.01, 'smaller'),
    (20, '{"en_US": "gal (US)"}', 5, 0.26417217685798894, 0.01, 'bigger'),
    (21, '{"en_US": "in³"}', 5, 61.0237, 0.01, 'smaller'),
    (22, '{"en_US": "ft³"}', 5, 0.035314724827664144, 0.01, 'bigger');

-- product/data/product_data.xml
INSERT INTO erp.product_category (id, name, complete_name, parent_id, parent_path) VALUES
    (1, 'All', 'All', NULL, '1/');

-- stock/data/stock_data.xml and the locations res.company creates for company 1 and its warehouse
-- WH. complete_name follows Odoo: a view location or a root shows its name alone.
INSERT INTO erp.stock_location
    (id, name, complete_name, usage, location_id, parent_path, company_id, scrap_location, active)
VALUES
    (1, 'Physical Locations', 'Physical Locations', 'view', NULL, '1/', NULL, false, true),
    (2, 'Partners', 'Partners', 'view', NULL, '2/', NULL, false, true),
    (3, 'Virtual Locations', 'Virtual Locations', 'view', NULL, '3/', NULL, false, true),
    (4, 'Vendors', 'Partners/Vendors', 'supplier', 2, '2/4/', NULL, false, true),
    (5, 'Customers', 'Partners/Customers', 'customer', 2, '2/5/', NULL, false, true),
    (6, 'Inter-warehouse transit', 'Physical Locations/Inter-warehouse transit', 'transit', 1, '1/6/', 1, false, false),
    (7, 'Inventory adjustment', 'Virtual Locations/Inventory adjustment', 'inventory', 3, '3/7/', 1, false, true),
    (8, 'Production', 'Virtual Locations/Production', 'production', 3, '3/8/', 1, false, true),
    (9, 'Scrap', 'Virtual Locations/Scrap', 'inventory', 3, '3/9/', 1, true, true),
    (10, 'WH', 'WH', 'view', 1, '1/10/', 1, false, true),
    (11, 'Stock', 'WH/Stock', 'internal', 10, '1/10/11/', 1, false, true);

-- mrp/data/mrp_data.xml (block_reason3 does not exist in Odoo either)
INSERT INTO erp.mrp_workcenter_productivity_loss_type (id, loss_type) VALUES
    (1, 'availability'),
    (2, 'performance'),
    (3, 'quality'),
    (4, 'productive');

INSERT INTO erp.mrp_workcenter_productivity_loss (id, name, sequence, manual, loss_id, loss_type) VALUES
    (1, '{"en_US": "Material Availability"}', 1, true, 1, 'availability'),
    (2, '{"en_US": "Equipment Failure"}', 2, true, 1, 'availability'),
    (3, '{"en_US": "Setup and Adjustments"}', 3, true, 1, 'availability'),
    (4, '{"en_US": "Reduced Speed"}', 5, false, 2, 'performance'),
    (5, '{"en_US": "Process Defect"}', 6, true, 3, 'quality'),
    (6, '{"en_US": "Reduced Yield"}', 7, true, 3, 'quality'),
    (7, '{"en_US": "Fully Productive Time"}', 0, false, 4, 'productive');

-- quality_control_oca/data/quality_control_data.xml
INSERT INTO erp.qc_test_category (id, name) VALUES
    (1, '{"en_US": "Generic"}'),
    (2, '{"en_US": "Referenced"}');

-- maintenance/data/maintenance_data.xml
INSERT INTO erp.maintenance_stage (id, name, sequence, fold, done) VALUES
    (1, '{"en_US": "New Request"}', 1, false, false),
    (2, '{"en_US": "In Progress"}', 2, false, false),
    (3, '{"en_US": "Repaired"}', 3, true, true),
    (4, '{"en_US": "Scrap"}', 4, true, true);

INSERT INTO erp.maintenance_team (id, name, company_id) VALUES (1, '{"en_US": "Internal Maintenance"}', 1);

SELECT setval(pg_get_serial_sequence('erp.res_company', 'id'), max(id)) FROM erp.res_company;
SELECT setval(pg_get_serial_sequence('erp.uom_category', 'id'), max(id)) FROM erp.uom_category;
SELECT setval(pg_get_serial_sequence('erp.uom_uom', 'id'), max(id)) FROM erp.uom_uom;
SELECT setval(pg_get_serial_sequence('erp.product_category', 'id'), max(id)) FROM erp.product_category;
SELECT setval(pg_get_serial_sequence('erp.stock_location', 'id'), max(id)) FROM erp.stock_location;
SELECT setval(pg_get_serial_sequence('erp.mrp_workcenter_productivity_loss_type', 'id'), max(id))
FROM erp.mrp_workcenter_productivity_loss_type;
SELECT setval(pg_get_serial_sequence('erp.mrp_workcenter_productivity_loss', 'id'), max(id))
FROM erp.mrp_workcenter_productivity_loss;
SELECT setval(pg_get_serial_sequence('erp.qc_test_category', 'id'), max(id)) FROM erp.qc_test_category;
SELECT setval(pg_get_serial_sequence('erp.maintenance_stage', 'id'), max(id)) FROM erp.maintenance_stage;
SELECT setval(pg_get_serial_sequence('erp.maintenance_team', 'id'), max(id)) FROM erp.maintenance_team;
