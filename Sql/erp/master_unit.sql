-- Master data, ERP side: entity `unit`, published from uom_uom, key {"id": uom_uom.id}.
--
-- Neutral payload of an active unit:
--   name       uom_uom.name->>'en_US' (Units, Dozens, kg, L, ...)
--   category   its uom_category's name->>'en_US'
--   uom_type   reference | bigger | smaller
--   factor     Odoo's factor: how many of this unit make one reference unit (g: 1000, Dozens: 1/12)
--   reference  the name of the category's reference unit (NULL if the category has none)
--   rounding   uom_uom.rounding
-- An archived unit is absent (a delete for the MES, which keeps its unit codes: units are in use).
-- Changes of a category re-publish its units. One way (source_wins): a unit has no text key in
-- the ERP, so the MES cannot publish it under the ERP's key.
-- erpmes:requires master_common.sql

CREATE OR REPLACE FUNCTION erp.master_unit_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', u.id),
           jsonb_build_object(
               'name', u.name->>'en_US',
               'category', c.name->>'en_US',
               'uom_type', u.uom_type,
               'factor', u.factor,
               'reference', (SELECT r.name->>'en_US' FROM erp.uom_uom AS r
                             WHERE r.category_id = u.category_id AND r.uom_type = 'reference' AND r.active
                             ORDER BY r.id LIMIT 1),
               'rounding', u.rounding)
    FROM erp.uom_uom AS u
    JOIN erp.uom_category AS c ON c.id = u.category_id
    WHERE u.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k) AND u.active
$$;
REVOKE ALL ON FUNCTION erp.master_unit_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.master_unit_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.master_unit_payload(jsonb[]) IS
    'Neutral payload of entity unit (uom_uom): name, category, uom_type, Odoo factor, reference unit, rounding; archived units are absent.';

GRANT SELECT ON erp.uom_uom, erp.uom_category TO erpmes_owner;

SELECT erpmes.publish('unit', 'erp.uom_uom', ARRAY['id'], 'erp.master_unit_payload(jsonb[])',
    $json$[{"table": "erp.uom_category",
            "keys": "SELECT jsonb_build_object('id', u.id) FROM erp.uom_uom AS u JOIN changed AS c ON u.category_id = c.id"}]$json$::jsonb);
