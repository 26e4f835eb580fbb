-- Master data, ERP side: entity `product`, published from product_product, key
-- {"default_code": product_product.default_code}, the item number both sides share (the MES
-- product.number). Published here and by the MES under the same key and payload; subscribed
-- here with the owner rule, so an MES edit is a request the ERP rejects and logs.
--
-- Neutral payload of an active variant (product_product.active and product_template.active):
--   default_code   product_product.default_code
--   name           product_template.name in the language erpmes.erp_language (default en_US),
--                  falling back to en_US
--   uom            the name (en_US) of the template's unit, uom_id
--   batch_tracked  product_template.tracking <> 'none' (lot or serial)
--   erp_id         product_product.id, as text (the MES keeps it in product.externalnumber)
-- An archived variant is absent (a delete: the MES deactivates its product).
-- default_code is nullable and not unique in Odoo. All variants without one share the key
-- {"default_code": null}, and several variants may share a code: such a key's payload carries
-- "erp_ids" (every product_product.id under it) instead of "erp_id", and the MES rejects it to
-- its dead letter, naming the column and the ids.
-- Template changes (name, unit, tracking, archiving) and unit renames re-publish the variants.
-- erpmes:requires master_common.sql

CREATE OR REPLACE FUNCTION erp.master_product_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH wanted AS (
        SELECT DISTINCT k->>'default_code' AS code FROM unnest(keys) AS k
    ), variant AS (
        SELECT w.code, p.id,
               jsonb_build_object(
                   'default_code', p.default_code,
                   'name', coalesce(t.name->>coalesce(nullif(current_setting('erpmes.erp_language', true), ''), 'en_US'),
                                    t.name->>'en_US'),
                   'uom', u.name->>'en_US',
                   'batch_tracked', t.tracking <> 'none',
                   'erp_id', p.id::text) AS payload
        FROM wanted AS w
        JOIN erp.product_product AS p ON p.default_code = w.code OR (w.code IS NULL AND p.default_code IS NULL)
        JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
        JOIN erp.uom_uom AS u ON u.id = t.uom_id
        WHERE p.active AND t.active
    )
    SELECT jsonb_build_object('default_code', v.code),
           CASE WHEN count(*) = 1 THEN (array_agg(v.payload))[1]
                ELSE (array_agg(v.payload ORDER BY v.id))[1] - 'erp_id'
                     || jsonb_build_object('erp_ids', jsonb_agg(v.id::text ORDER BY v.id)) END
    FROM variant AS v
    GROUP BY v.code
$$;
REVOKE ALL ON FUNCTION erp.master_product_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.master_product_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.master_product_payload(jsonb[]) IS
    'Neutral payload of entity product (product_product + product_template): default_code, name, uom, batch_tracked, erp_id; erp_ids when a code (or NULL) names several variants.';

GRANT SELECT ON erp.product_product, erp.product_template, erp.uom_uom TO erpmes_owner;

SELECT erpmes.publish('product', 'erp.product_product', ARRAY['default_code'], 'erp.master_product_payload(jsonb[])',
    $json$[{"table": "erp.product_template",
            "keys": "SELECT jsonb_build_object('default_code', p.default_code) FROM erp.product_product AS p JOIN changed AS c ON p.product_tmpl_id = c.id"},
           {"table": "erp.uom_uom",
            "keys": "SELECT jsonb_build_object('default_code', p.default_code) FROM erp.product_template AS t JOIN changed AS c ON t.uom_id = c.id JOIN erp.product_product AS p ON p.product_tmpl_id = t.id"}]$json$::jsonb);

-- What the MES publishes back: its edits are requests, refused (owner: the ERP, every column).
-- The apply function writes no table (tables: none). The three-way merge locks the rows it
-- compares (SELECT ... FOR UPDATE), which takes UPDATE on one column; erpmes never writes them.
GRANT UPDATE (write_date) ON erp.product_product TO erpmes_run;
SELECT erpmes.subscribe('product', 'erp.master_reject_request()', 'owner', '{"*": "erp"}'::jsonb, -30, '{}'::jsonb,
    '{}'::regclass[]);
