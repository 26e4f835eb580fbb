-- Master data (data flow 1, ERP -> MES), MES side: what the four master-data entities share.
--
-- Entities received from the ERP (see Sql/erp/master_common.sql for the whole picture):
--   unit         -> mes.unit + mes.unit_conversion (master_unit.sql)           source_wins
--   product      -> mes.product (master_product.sql)                           owner {"*": "erp"}, published back
--   workstation  -> mes.workstation (master_workstation.sql)                   owner {"*": "erp"}, published back
--   technology   -> mes.technology, technology_operation, technology_input_product
--                   (master_technology.sql)                                    source_wins
-- Apply orders: unit -40, product and workstation -30, technology -20, so master data is written
-- before any entity declared with the default order 0 (orders, tasks) in the same batch.
--
-- Units: neutral payloads name ERP units (uom_uom.name->>'en_US'); master_uom_to_mes gives the
-- MES code and rejects a unit it does not list (the key goes to the dead letter), and
-- master_uom_to_erp maps back for what the MES publishes. The same maps are declared on the ERP
-- database. Every MES code the map gives exists in mes.unit (master_unit.sql adds those the MES
-- reference data lacks, Dozens as 'dozen' with 1 dozen = 12 pc).
--
-- The payload functions of the entities published back run as erpmes_owner (erpmes.batch) and as
-- erpmes_run (the three-way merge); the apply functions run as erpmes_run.

GRANT USAGE ON SCHEMA mes TO erpmes_owner;

SELECT erpmes.declare_value_map('master_uom_to_mes', 'reject', NULL, $json${
    "Units": "pc", "Dozens": "dozen",
    "kg": "kg", "g": "g", "t": "t", "lb": "lb", "oz": "oz",
    "Days": "day", "Hours": "h",
    "m": "m", "km": "km", "cm": "cm", "mm": "mm", "in": "in", "ft": "ft", "mi": "mi",
    "L": "l", "ml": "ml", "m³": "m3", "fl oz (US)": "fl_oz_us", "qt (US)": "qt_us", "gal (US)": "gal_us",
    "in³": "in3", "ft³": "ft3"
}$json$::jsonb);

SELECT erpmes.declare_value_map('master_uom_to_erp', 'reject', NULL, $json${
    "pc": "Units", "dozen": "Dozens",
    "kg": "kg", "g": "g", "t": "t", "lb": "lb", "oz": "oz",
    "day": "Days", "h": "Hours",
    "m": "m", "km": "km", "cm": "cm", "mm": "mm", "in": "in", "ft": "ft", "mi": "mi",
    "l": "L", "ml": "ml", "m3": "m³", "fl_oz_us": "fl oz (US)", "qt_us": "qt (US)", "gal_us": "gal (US)",
    "in3": "in³", "ft3": "ft³"
}$json$::jsonb);
