-- Master data, ERP side: entity `technology`, published from mrp_bom, key {"id": mrp_bom.id}.
-- One aggregate per bill of materials: its operations (mrp_routing_workcenter) and components
-- (mrp_bom_line) travel in the same payload, so the MES replaces a technology's operations and
-- input products in one apply. One way (source_wins): a BoM has no text business key in Odoo
-- (code is optional and not unique), so the MES cannot publish it under the ERP's key.
--
-- Neutral payload of an active BoM of type normal (phantom BoMs are kits, never manufactured;
-- archived BoMs and BoMs of archived templates are absent, a delete for the MES):
--   bom_id            mrp_bom.id as text (the MES keeps it in technology.externalnumber)
--   code, sequence    mrp_bom.code (optional reference), mrp_bom.sequence (the default BoM of a
--                     product is the first by sequence)
--   product           default_code of the variant made: mrp_bom.product_id, else the template's
--                     only active variant; NULL when there is none or several (product_erp_id NULL),
--                     or when that variant has no default_code
--   product_erp_id    that variant's product_product.id as text
--   product_template  the template's name (erpmes.erp_language, default en_US)
--   quantity, uom     mrp_bom.product_qty in mrp_bom.product_uom_id (unit name, en_US): the output
--                     of one cycle of every operation
--   operations        [{erp_id, sequence, name, workcenter (mrp_workcenter.code), workcenter_erp_id,
--                      cycle_time_s (time_cycle_manual minutes x 60), setup_time_s
--                      (mrp_workcenter.time_start minutes x 60)}] of the active operations, by
--                     sequence then id
--   components        [{erp_id, sequence, product (default_code), product_erp_id, quantity, uom,
--                      operation_erp_id (mrp_bom_line.operation_id)}] by sequence then id
--   $depends          the product and workstation keys it names, so the technology waits while one
--                     of them is in the MES dead letter
-- Durations are neutral seconds, unrounded; the MES rounds them to its integer seconds.
-- Lines, operations, work centers, variants and templates re-publish the BoMs they belong to.
-- erpmes:requires master_common.sql

CREATE OR REPLACE FUNCTION erp.master_technology_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', b.id),
           jsonb_build_object(
               'bom_id', b.id::text,
               'code', b.code,
               'sequence', b.sequence,
               'product', p.default_code,
               'product_erp_id', p.id::text,
               'product_template', coalesce(t.name->>coalesce(nullif(current_setting('erpmes.erp_language', true), ''), 'en_US'),
                                            t.name->>'en_US'),
               'quantity', b.product_qty,
               'uom', u.name->>'en_US',
               'operations', ops.list,
               'components', comps.list,
               '$depends', (
                   SELECT coalesce(jsonb_agg(DISTINCT d.dep), '[]'::jsonb)
                   FROM (
                       SELECT jsonb_build_object('entity', 'product', 'key', jsonb_build_object('default_code', p.default_code))
                       WHERE p.id IS NOT NULL
                       UNION ALL
                       SELECT jsonb_build_object('entity', 'product', 'key', jsonb_build_object('default_code', c->'product'))
                       FROM jsonb_array_elements(comps.list) AS c
                       UNION ALL
                       SELECT jsonb_build_object('entity', 'workstation', 'key', jsonb_build_object('code', o->'workcenter'))
                       FROM jsonb_array_elements(ops.list) AS o
                   ) AS d(dep)))
    FROM erp.mrp_bom AS b
    JOIN erp.product_template AS t ON t.id = b.product_tmpl_id
    JOIN erp.uom_uom AS u ON u.id = b.product_uom_id
    LEFT JOIN LATERAL (
        SELECT CASE WHEN count(*) = 1 THEN min(v.id) END AS id
        FROM erp.product_product AS v WHERE v.product_tmpl_id = b.product_tmpl_id AND v.active
    ) AS only_variant ON b.product_id IS NULL
    LEFT JOIN erp.product_product AS p ON p.id = coalesce(b.product_id, only_variant.id)
    CROSS JOIN LATERAL (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'erp_id', o.id::text,
                   'sequence', o.sequence,
                   'name', o.name,
                   'workcenter', w.code,
                   'workcenter_erp_id', w.id::text,
                   'cycle_time_s', o.time_cycle_manual * 60,
                   'setup_time_s', coalesce(w.time_start, 0) * 60) ORDER BY o.sequence, o.id), '[]'::jsonb) AS list
        FROM erp.mrp_routing_workcenter AS o
        JOIN erp.mrp_workcenter AS w ON w.id = o.workcenter_id
        WHERE o.bom_id = b.id AND o.active
    ) AS ops
    CROSS JOIN LATERAL (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'erp_id', l.id::text,
                   'sequence', l.sequence,
                   'product', lp.default_code,
                   'product_erp_id', lp.id::text,
                   'quantity', l.product_qty,
                   'uom', lu.name->>'en_US',
                   'operation_erp_id', l.operation_id::text) ORDER BY l.sequence, l.id), '[]'::jsonb) AS list
        FROM erp.mrp_bom_line AS l
        JOIN erp.product_product AS lp ON lp.id = l.product_id
        JOIN erp.uom_uom AS lu ON lu.id = l.product_uom_id
        WHERE l.bom_id = b.id
    ) AS comps
    WHERE b.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
      AND b.active AND b.type = 'normal' AND t.active
$$;
REVOKE ALL ON FUNCTION erp.master_technology_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.master_technology_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.master_technology_payload(jsonb[]) IS
    'Neutral payload of entity technology (mrp_bom with its operations and lines): product, quantity and unit, operations with work center codes and seconds, components; $depends on products and workstations.';

GRANT SELECT ON erp.mrp_bom, erp.mrp_bom_line, erp.mrp_routing_workcenter, erp.mrp_workcenter,
    erp.product_product, erp.product_template, erp.uom_uom TO erpmes_owner;

SELECT erpmes.publish('technology', 'erp.mrp_bom', ARRAY['id'], 'erp.master_technology_payload(jsonb[])',
    $json$[{"table": "erp.mrp_bom_line",
            "keys": "SELECT jsonb_build_object('id', c.bom_id) FROM changed AS c"},
           {"table": "erp.mrp_routing_workcenter",
            "keys": "SELECT jsonb_build_object('id', c.bom_id) FROM changed AS c"},
           {"table": "erp.mrp_workcenter",
            "keys": "SELECT jsonb_build_object('id', o.bom_id) FROM erp.mrp_routing_workcenter AS o JOIN changed AS c ON o.workcenter_id = c.id"},
           {"table": "erp.product_product",
            "keys": "SELECT jsonb_build_object('id', b.id) FROM erp.mrp_bom AS b JOIN changed AS c ON b.product_id = c.id OR (b.product_id IS NULL AND b.product_tmpl_id = c.product_tmpl_id) UNION ALL SELECT jsonb_build_object('id', l.bom_id) FROM erp.mrp_bom_line AS l JOIN changed AS c ON l.product_id = c.id"},
           {"table": "erp.product_template",
            "keys": "SELECT jsonb_build_object('id', b.id) FROM erp.mrp_bom AS b JOIN changed AS c ON b.product_tmpl_id = c.id"}]$json$::jsonb);
