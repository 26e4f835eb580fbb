-- Master data, MES side: entity `product` from the ERP (product_product + product_template, key
-- {"default_code": ...}), applied to mes.product, and published back under the same key and
-- neutral payload so that an MES edit reaches the ERP as a request: the ERP's owner rule rejects
-- it, logs it in its erpmes.conflict_log and sends its own version back, which is applied here.
-- Subscribed with the owner rule, ownership {"*": "erp"}: the ERP's values stand.
--
-- Neutral payload -> mes.product:
--   key default_code  -> number (NOT NULL UNIQUE)
--   name              -> name
--   uom               -> unit, the MES code master_uom_to_mes gives (Units -> pc, Dozens -> dozen)
--   batch_tracked     -> batchevidence
--   erp_id            -> externalnumber (product_product.id as text)
-- The MES publishes its active products that carry an ERP id (externalnumber), with unit mapped
-- back by master_uom_to_erp; its own products (no externalnumber) and inactive ones are absent,
-- as archived products are in the ERP. An ERP delete or archive deactivates the product (orders,
-- technologies and batches refer to it); a later upsert of the number reactivates it. A product
-- whose default_code changed in the ERP keeps its MES row: the upsert of the new code finds it by
-- its ERP id and renames it, so what refers to it follows.
-- Rejected to the dead letter, naming the key, the column and the value: a NULL or empty
-- default_code (with the product_product ids under it), a code shared by several variants, an
-- empty name, a unit master_uom_to_mes does not list or mes.unit lacks.
-- An update's payload may carry only the changed fields (three-way merge): absent fields keep
-- their value.
-- erpmes:requires master_common.sql
-- erpmes:requires master_unit.sql

CREATE OR REPLACE FUNCTION mes.master_product_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('default_code', p.number),
           jsonb_build_object(
               'default_code', p.number,
               'name', p.name,
               'uom', erpmes.try_map_value('master_uom_to_erp', p.unit),
               'batch_tracked', p.batchevidence,
               'erp_id', p.externalnumber)
    FROM mes.product AS p
    WHERE p.number IN (SELECT k->>'default_code' FROM unnest(keys) AS k)
      AND p.active AND p.externalnumber IS NOT NULL
$$;
REVOKE ALL ON FUNCTION mes.master_product_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_product_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.master_product_payload(jsonb[]) IS
    'Neutral payload of entity product as the MES holds it (active products with an ERP id): default_code, name, uom (ERP name), batch_tracked, erp_id.';

CREATE OR REPLACE FUNCTION mes.master_product_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS master_product_batch (
        key jsonb PRIMARY KEY,
        number text,
        payload jsonb,
        unit text,
        row_id bigint,
        problem text
    ) ON COMMIT DROP;
    TRUNCATE master_product_batch;
    INSERT INTO master_product_batch (key, number, payload, unit)
    SELECT b.key, b.key->>'default_code', b.payload, erpmes.try_map_value('master_uom_to_mes', b.payload->>'uom')
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';

    -- The row each key writes: the product with that number, else (the ERP renamed the code) the
    -- one product holding the same ERP id whose number no other key of the batch claims.
    UPDATE master_product_batch AS r SET row_id = coalesce(
        (SELECT p.id FROM mes.product AS p WHERE p.number = r.number),
        (SELECT min(p.id) FROM mes.product AS p
         WHERE r.payload ? 'erp_id' AND p.externalnumber = r.payload->>'erp_id'
           AND NOT EXISTS (SELECT FROM master_product_batch AS o WHERE o.number = p.number)
         HAVING count(*) = 1));

    UPDATE master_product_batch AS r SET problem = CASE
        WHEN r.number IS NULL THEN
            format('default_code is NULL (column product_product.default_code, value NULL) for product_product.id %s (name %s)',
                   coalesce(r.payload->>'erp_id',
                            (SELECT string_agg(i, ', ') FROM jsonb_array_elements_text(r.payload->'erp_ids') AS i), '?'),
                   coalesce(quote_literal(r.payload->>'name'), 'NULL'))
        WHEN r.payload ? 'erp_ids' THEN
            format('default_code %s is not unique (column product_product.default_code): product_product.id %s',
                   quote_literal(r.number), (SELECT string_agg(i, ', ') FROM jsonb_array_elements_text(r.payload->'erp_ids') AS i))
        WHEN btrim(r.number) = '' OR length(r.number) > 255 THEN
            format('default_code %s is empty or longer than 255 characters (column product_product.default_code)',
                   quote_literal(r.number))
        WHEN r.payload ? 'name' AND coalesce(r.payload->>'name', '') = '' THEN
            format('name is %s (column product_template.name)', coalesce(quote_literal(r.payload->>'name'), 'NULL'))
        WHEN length(r.payload->>'name') > 1024 THEN
            format('name is longer than 1024 characters (column product_template.name, value %s...)',
                   quote_literal(left(r.payload->>'name', 40)))
        WHEN r.payload ? 'uom' AND r.unit IS NULL THEN
            format('ERP unit %s has no MES unit code (column product_template.uom_id, value map master_uom_to_mes)',
                   coalesce(quote_literal(r.payload->>'uom'), 'NULL'))
        WHEN r.payload ? 'uom' AND NOT EXISTS (SELECT FROM mes.unit AS u WHERE u.code = r.unit) THEN
            format('MES unit %s for ERP unit %s is not in mes.unit (column product_template.uom_id)',
                   quote_literal(r.unit), quote_literal(r.payload->>'uom'))
        WHEN r.payload ? 'batch_tracked' AND jsonb_typeof(r.payload->'batch_tracked') IS DISTINCT FROM 'boolean' THEN
            format('batch_tracked %s is not a boolean (column product_template.tracking)', r.payload->'batch_tracked')
        WHEN r.row_id IS NULL AND NOT r.payload ?& ARRAY['name', 'uom', 'batch_tracked', 'erp_id'] THEN
            format('a new product needs name, uom, batch_tracked and erp_id; the payload has %s',
                   (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(r.payload) AS k))
    END;

    UPDATE mes.product AS p SET
        number = r.number,
        name = CASE WHEN r.payload ? 'name' THEN r.payload->>'name' ELSE p.name END,
        unit = CASE WHEN r.payload ? 'uom' THEN r.unit ELSE p.unit END,
        batchevidence = CASE WHEN r.payload ? 'batch_tracked' THEN (r.payload->>'batch_tracked')::boolean
                             ELSE p.batchevidence END,
        externalnumber = CASE WHEN r.payload ? 'erp_id' THEN r.payload->>'erp_id' ELSE p.externalnumber END,
        active = true,
        entityversion = p.entityversion + 1
    FROM master_product_batch AS r
    WHERE r.row_id = p.id AND r.problem IS NULL;
    INSERT INTO mes.product (number, name, unit, batchevidence, externalnumber)
    SELECT r.number, r.payload->>'name', r.unit, (r.payload->>'batch_tracked')::boolean, r.payload->>'erp_id'
    FROM master_product_batch AS r
    WHERE r.row_id IS NULL AND r.problem IS NULL
    ORDER BY r.number;
    -- Gone or archived in the ERP: deactivated, never deleted.
    UPDATE mes.product AS p SET active = false, entityversion = p.entityversion + 1
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'D' AND p.number = b.key->>'default_code' AND p.active;

    RETURN QUERY
    SELECT r.key, CASE WHEN r.problem IS NULL THEN 'applied' ELSE 'rejected' END, r.problem
    FROM master_product_batch AS r
    UNION ALL
    SELECT b.key, CASE b.op WHEN 'D' THEN 'applied' ELSE 'skipped' END, NULL
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION mes.master_product_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_product_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.master_product_apply() IS
    'Apply function of entity product: upserts mes.product by number (or by ERP id after a code change), unit by master_uom_to_mes; rejects NULL or shared codes and unknown units; deletes deactivate.';

GRANT SELECT, INSERT, UPDATE ON mes.product TO erpmes_run;
GRANT SELECT ON mes.product TO erpmes_owner;

SELECT erpmes.publish('product', 'mes.product', ARRAY['number'], 'mes.master_product_payload(jsonb[])',
    '[]'::jsonb, ARRAY['default_code']);
SELECT erpmes.subscribe('product', 'mes.master_product_apply()', 'owner', '{"*": "erp"}'::jsonb, -30, '{}'::jsonb,
    ARRAY['mes.product']::regclass[]);
