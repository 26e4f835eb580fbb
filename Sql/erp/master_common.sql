-- Master data (data flow 1, ERP -> MES), ERP side: what the four master-data entities share.
--
-- The ERP owns items, units, bills of materials, routings and work centers (ISA-95 Part 5: the
-- owner SYNCs, the other side may only request). Entities of this pack, declared in the files
-- master_unit.sql, master_product.sql, master_workstation.sql and master_technology.sql:
--   unit         uom_uom -> mes.unit + mes.unit_conversion           one way, source_wins
--   product      product_product + product_template -> mes.product   both ways, owner {"*": "erp"}
--   workstation  mrp_workcenter (+ equipment serial) -> mes.workstation both ways, owner {"*": "erp"}
--   technology   mrp_bom + lines + operations -> mes.technology (+ technology_operation,
--                technology_input_product)                          one way, source_wins
-- product and workstation are published by the MES too, under the same neutral payload and key,
-- so an MES edit comes back here as a request: the owner rule rejects it, logs it in
-- erpmes.conflict_log and sends the ERP's version back. unit and technology have no text business
-- key in the ERP (a uom or a BoM is known only by its integer id; mrp_bom.code is optional and not
-- unique), and a key is built from the key columns as they are: the MES holds the ERP id only as
-- text (externalnumber), so it could publish {"id": "7"}, never the ERP's {"id": 7}.
--
-- Units in neutral payloads are ERP unit names (uom_uom.name->>'en_US': Units, Dozens, kg, L);
-- the MES maps them to its codes (pc, dozen, kg, l) with the value map master_uom_to_mes, and
-- back with master_uom_to_erp. Both maps are declared on both databases, for any flow that
-- needs them, and reject what they do not list. 'Dozens' becomes the MES unit 'dozen' (1 dozen =
-- 12 pc, declared by the MES side), never a conversion to pc: quantities keep their unit, so
-- nothing is rounded and every value round-trips.
--
-- The payload functions run as erpmes_owner (through erpmes.batch) and as erpmes_run (the
-- three-way merge of erpmes.apply_entity), so both read the schema.

GRANT USAGE ON SCHEMA erp TO erpmes_owner;

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

-- The ERP's answer to an MES change of master data. The owner rule already refuses every MES
-- change to an ERP-owned column before an apply function runs; this one is reached only when a
-- person forces a version through (erpmes conflicts resolve), and refuses it too.
CREATE OR REPLACE FUNCTION erp.master_reject_request()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT b.key, 'rejected'::text,
           'the ERP owns this master data: an MES change is a request, and erpmes never writes it into the ERP'::text
    FROM pg_temp.erpmes_batch AS b;
END $$;
REVOKE ALL ON FUNCTION erp.master_reject_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.master_reject_request() TO erpmes_run;
COMMENT ON FUNCTION erp.master_reject_request() IS
    'Apply function of the ERP-owned master data the MES publishes back (product, workstation): rejects every row, the ERP is never written.';
