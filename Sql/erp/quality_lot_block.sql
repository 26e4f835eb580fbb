-- Quality to compliance (MES -> ERP), ERP side: entity quality_lot_block. A batch the MES blocks
-- (payload: Sql/mes/quality_lot_block.sql) puts the ERP lot in quarantine; unblocking it lifts
-- that quarantine. Rule source_wins: the MES's disposition of the batch is re-asserted whenever
-- the batch row changes there.
--
-- How a lot is "in quarantine" here: the reference ERP schema is fixed and Odoo 17 has no lot
-- flag for it (Enterprise quality holds and OCA stock_lot_lock add one; a move to a quarantine
-- location needs stock on hand, a location, and moves that belong to the inventory flow), so the
-- quarantine is the first line of stock_lot.note: '[QUARANTINE] batch blocked in the MES'. The
-- line is added once (the rest of the note is kept below it) and removed when the MES unblocks the
-- batch; any other text, including a quarantine line written by an ERP user, is left alone.
-- erp.quality_lot_quarantined(note) is the predicate reporting views use.
-- A blocked batch whose lot the ERP does not know yet gets it (found or created by product and
-- name, as production tracking does); a blocked batch of an unknown product is rejected. An
-- unblocked batch with no ERP product or lot has nothing to lift: skipped. A batch deleted in the
-- MES leaves the lot as it is.

GRANT SELECT, INSERT ON erp.stock_lot TO erpmes_run;
GRANT UPDATE (note, write_date) ON erp.stock_lot TO erpmes_run;
GRANT USAGE ON SEQUENCE erp.stock_lot_id_seq TO erpmes_run;

CREATE OR REPLACE FUNCTION erp.quality_lot_quarantined(note text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(note ~ '^\[QUARANTINE\] batch blocked in the MES(\n|$)', false);
COMMENT ON FUNCTION erp.quality_lot_quarantined(text) IS
    'True when a stock_lot.note starts with the quarantine line erpmes writes for a batch blocked in the MES (entity quality_lot_block).';

CREATE OR REPLACE FUNCTION erp.quality_lot_block_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS quality_lot_block_in (
        key jsonb PRIMARY KEY, product_code text, lot text, blocked boolean, products integer, product_id integer,
        product_uom_id integer, company_id integer, lot_id integer, changed boolean NOT NULL DEFAULT false, reason text
    ) ON COMMIT DROP;
    TRUNCATE quality_lot_block_in;
    INSERT INTO quality_lot_block_in (key, product_code, lot, blocked)
    SELECT b.key, b.payload->>'product', b.payload->>'lot', (b.payload->>'blocked')::boolean
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';

    UPDATE quality_lot_block_in AS i
    SET products = p.products, product_id = p.product_id, product_uom_id = p.uom_id, company_id = p.company_id
    FROM (
        SELECT x.key, count(pp.id)::integer AS products, min(pp.id) AS product_id, min(pt.uom_id) AS uom_id,
               coalesce(min(pt.company_id), (SELECT min(c.id) FROM erp.res_company AS c)) AS company_id
        FROM quality_lot_block_in AS x
        LEFT JOIN erp.product_product AS pp ON pp.default_code = x.product_code AND pp.active
        LEFT JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
        GROUP BY x.key
    ) AS p
    WHERE p.key = i.key;
    UPDATE quality_lot_block_in AS i SET reason = CASE
        WHEN i.blocked IS NULL THEN 'blocked is NULL (column batch.state)'
        WHEN i.lot IS NULL THEN 'lot is NULL (column batch.number)'
        WHEN NOT i.blocked THEN NULL
        WHEN i.product_code IS NULL THEN 'product is NULL (column product.number)'
        WHEN i.products = 0 THEN format('no active ERP product has default_code %L (column product.number, value %L)',
                                        i.product_code, i.product_code)
        WHEN i.products > 1 THEN format('%s active ERP products have default_code %L (column product.number, value %L)',
                                        i.products, i.product_code, i.product_code)
        END;

    INSERT INTO erp.stock_lot AS s (name, product_id, company_id, product_uom_id)
    SELECT DISTINCT i.lot, i.product_id, i.company_id, i.product_uom_id
    FROM quality_lot_block_in AS i
    WHERE i.reason IS NULL AND i.blocked
    ORDER BY i.product_id, i.lot
    ON CONFLICT ON CONSTRAINT stock_lot_name_ref_uniq DO NOTHING;
    UPDATE quality_lot_block_in AS i SET lot_id = s.id
    FROM erp.stock_lot AS s
    WHERE i.reason IS NULL AND i.products = 1 AND s.product_id = i.product_id AND s.company_id = i.company_id
      AND s.name = i.lot;

    -- Only lots whose note changes are written (a rewrite that changes nothing is no write).
    WITH target AS (
        SELECT i.lot_id, CASE WHEN i.blocked THEN '[QUARANTINE] batch blocked in the MES' || coalesce(E'\n' || s.note, '')
                              ELSE nullif(regexp_replace(s.note, '^\[QUARANTINE\] batch blocked in the MES(\n|$)', ''), '')
                         END AS note
        FROM quality_lot_block_in AS i
        JOIN erp.stock_lot AS s ON s.id = i.lot_id
        WHERE i.reason IS NULL AND i.blocked IS DISTINCT FROM erp.quality_lot_quarantined(s.note)
        ORDER BY i.lot_id
        FOR UPDATE OF s
    ), written AS (
        UPDATE erp.stock_lot AS s SET note = t.note, write_date = now() AT TIME ZONE 'utc'
        FROM target AS t
        WHERE s.id = t.lot_id
        RETURNING s.id
    )
    UPDATE quality_lot_block_in AS i SET changed = true FROM written AS w WHERE w.id = i.lot_id;

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.reason IS NOT NULL THEN 'rejected' WHEN i.changed THEN 'applied' ELSE 'skipped' END,
           coalesce(i.reason, CASE WHEN i.changed THEN NULL WHEN i.lot_id IS NULL THEN 'no ERP lot to release'
                                   ELSE 'lot already ' || CASE WHEN i.blocked THEN 'in quarantine' ELSE 'released' END END)
    FROM quality_lot_block_in AS i
    UNION ALL
    SELECT b.key, 'skipped', 'a batch deleted in the MES leaves the ERP lot as it is'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION erp.quality_lot_block_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.quality_lot_block_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.quality_lot_block_apply() IS
    'erpmes apply of entity quality_lot_block: a batch blocked in the MES puts its ERP lot in quarantine (first line of stock_lot.note); unblocking lifts it.';

SELECT erpmes.subscribe(
    'quality_lot_block',
    'erp.quality_lot_block_apply()',
    'source_wins',
    tables => ARRAY['erp.stock_lot']::regclass[]);
