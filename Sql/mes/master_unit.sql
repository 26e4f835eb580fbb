-- Master data, MES side: entity `unit` from the ERP (uom_uom, key {"id": uom_uom.id}), applied
-- to mes.unit and mes.unit_conversion. One way, source_wins: the MES cannot name an ERP unit by
-- its id, and its own units (box, ml, min, ...) are its business.
--
-- Odoo's factor says how many of a unit make one reference unit of its category. A unit that is
-- not its category's reference becomes one global conversion row (product_id NULL), written so
-- that its quantity is at least 1 and 5 decimals keep its precision:
--   factor >= 1:  1 <reference> = factor <unit>      (g: 1 kg = 1000 g; Hours: 1 day = 8 h)
--   factor < 1:   1 <unit> = 1/factor <reference>    (Dozens: 1 dozen = 12 pc; t: 1 t = 1000 kg)
-- A global row between the same two units the other way round is replaced. mes.unit.description
-- takes the ERP unit's name. Rejected (dead letter, naming the unit, the column and the value): an
-- ERP unit or a reference unit master_uom_to_mes does not list, a category without a reference
-- unit, a factor that is not positive or does not fit numeric(14,5).
-- A unit the ERP deletes or archives is skipped: its MES code and conversions stay, since
-- products, technologies and production records use them.
--
-- The MES reference data lacks some codes the map gives (dozen, t, km, ...): they are added below
-- with the conversions of Odoo's own units, so products and BoMs in those units apply without a
-- backfill of every ERP unit. Existing rows are never changed here; replication owns them.
-- erpmes:requires master_common.sql

INSERT INTO mes.unit (code, description) VALUES
    ('dozen', 'Dozens'),
    ('t', 't'),
    ('lb', 'lb'),
    ('oz', 'oz'),
    ('day', 'Days'),
    ('km', 'km'),
    ('cm', 'cm'),
    ('in', 'in'),
    ('ft', 'ft'),
    ('mi', 'mi'),
    ('m3', 'm³'),
    ('fl_oz_us', 'fl oz (US)'),
    ('qt_us', 'qt (US)'),
    ('gal_us', 'gal (US)'),
    ('in3', 'in³'),
    ('ft3', 'ft³')
ON CONFLICT (code) DO NOTHING;

INSERT INTO mes.unit_conversion (quantityfrom, unitfrom, quantityto, unitto)
SELECT 1, s.unitfrom, s.quantityto, s.unitto
FROM (VALUES
    ('dozen', 12, 'pc'),
    ('t', 1000, 'kg'),
    ('kg', 2.20462, 'lb'),
    ('kg', 35.274, 'oz'),
    ('day', 8, 'h'),
    ('km', 1000, 'm'),
    ('m', 100, 'cm'),
    ('m', 39.3701, 'in'),
    ('m', 3.28084, 'ft'),
    ('mi', 1609.34, 'm'),
    ('m3', 1000, 'l'),
    ('l', 33.814, 'fl_oz_us'),
    ('l', 1.05669, 'qt_us'),
    ('gal_us', 3.78541, 'l'),
    ('l', 61.0237, 'in3'),
    ('ft3', 28.3168, 'l')
) AS s (unitfrom, quantityto, unitto)
WHERE NOT EXISTS (
    SELECT FROM mes.unit_conversion AS c
    WHERE c.product_id IS NULL AND ((c.unitfrom = s.unitfrom AND c.unitto = s.unitto)
                                    OR (c.unitfrom = s.unitto AND c.unitto = s.unitfrom)));

CREATE OR REPLACE FUNCTION mes.master_unit_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS master_unit_batch (
        key jsonb PRIMARY KEY,
        name text,
        category text,
        uom_type text,
        factor numeric,
        reference text,
        code text,
        reference_code text,
        unitfrom text,
        unitto text,
        quantityto numeric,
        problem text
    ) ON COMMIT DROP;
    TRUNCATE master_unit_batch;
    INSERT INTO master_unit_batch (key, name, category, uom_type, factor, reference, code, reference_code)
    SELECT b.key, b.payload->>'name', b.payload->>'category', b.payload->>'uom_type', (b.payload->>'factor')::numeric,
           b.payload->>'reference', erpmes.try_map_value('master_uom_to_mes', b.payload->>'name'),
           erpmes.try_map_value('master_uom_to_mes', b.payload->>'reference')
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';

    UPDATE master_unit_batch AS r SET
        unitfrom = CASE WHEN r.factor >= 1 THEN r.reference_code ELSE r.code END,
        unitto = CASE WHEN r.factor >= 1 THEN r.code ELSE r.reference_code END,
        quantityto = round(CASE WHEN r.factor >= 1 THEN r.factor ELSE 1 / r.factor END, 5)
    WHERE r.uom_type <> 'reference' AND r.factor > 0;
    UPDATE master_unit_batch AS r SET problem = CASE
        WHEN r.code IS NULL THEN
            format('ERP unit %s has no MES unit code (column uom_uom.name, value map master_uom_to_mes)',
                   coalesce(quote_literal(r.name), 'NULL'))
        WHEN r.uom_type = 'reference' THEN NULL
        WHEN r.reference IS NULL THEN
            format('category %s has no active reference unit to convert %s from (column uom_uom.uom_type)',
                   coalesce(quote_literal(r.category), 'NULL'), quote_literal(r.name))
        WHEN r.reference_code IS NULL THEN
            format('reference unit %s of %s has no MES unit code (column uom_uom.name, value map master_uom_to_mes)',
                   quote_literal(r.reference), quote_literal(r.name))
        WHEN r.factor IS NULL OR r.factor <= 0 THEN
            format('factor %s of %s is not positive (column uom_uom.factor)', coalesce(r.factor::text, 'NULL'),
                   quote_literal(r.name))
        WHEN r.code = r.reference_code THEN
            format('%s and its reference unit %s map to the same MES unit %s (value map master_uom_to_mes)',
                   quote_literal(r.name), quote_literal(r.reference), quote_literal(r.code))
        WHEN r.quantityto >= 1e9 OR r.quantityto = 0 THEN
            format('factor %s of %s does not fit a conversion quantity numeric(14,5) (column uom_uom.factor)',
                   r.factor, quote_literal(r.name))
    END;

    INSERT INTO mes.unit AS u (code, description)
    SELECT DISTINCT ON (r.code) r.code, r.name FROM master_unit_batch AS r WHERE r.problem IS NULL ORDER BY r.code, r.key
    ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description
        WHERE u.description IS DISTINCT FROM EXCLUDED.description;
    -- The reference of a new category may come in a later batch: its code exists already.
    INSERT INTO mes.unit (code, description)
    SELECT DISTINCT ON (r.reference_code) r.reference_code, r.reference
    FROM master_unit_batch AS r WHERE r.problem IS NULL AND r.unitfrom IS NOT NULL ORDER BY r.reference_code, r.key
    ON CONFLICT (code) DO NOTHING;
    DELETE FROM mes.unit_conversion AS c USING master_unit_batch AS r
    WHERE r.problem IS NULL AND r.unitfrom IS NOT NULL AND c.product_id IS NULL
      AND c.unitfrom = r.unitto AND c.unitto = r.unitfrom;
    INSERT INTO mes.unit_conversion AS c (quantityfrom, unitfrom, quantityto, unitto)
    SELECT DISTINCT ON (r.unitfrom, r.unitto) 1, r.unitfrom, r.quantityto, r.unitto
    FROM master_unit_batch AS r WHERE r.problem IS NULL AND r.unitfrom IS NOT NULL
    ORDER BY r.unitfrom, r.unitto, r.key
    ON CONFLICT (unitfrom, unitto, product_id) DO UPDATE
        SET quantityfrom = EXCLUDED.quantityfrom, quantityto = EXCLUDED.quantityto
        WHERE (c.quantityfrom, c.quantityto) IS DISTINCT FROM (EXCLUDED.quantityfrom, EXCLUDED.quantityto);

    RETURN QUERY
    SELECT r.key, CASE WHEN r.problem IS NULL THEN 'applied' ELSE 'rejected' END, r.problem
    FROM master_unit_batch AS r
    UNION ALL
    SELECT b.key, 'skipped',
           'the ERP unit is gone or archived: the MES keeps its unit code and conversions, which products and records use'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION mes.master_unit_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_unit_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.master_unit_apply() IS
    'Apply function of entity unit: ERP unit -> mes.unit (code by master_uom_to_mes) and one global mes.unit_conversion row from its Odoo factor; unknown units rejected; deletes skipped.';

GRANT SELECT, INSERT, UPDATE ON mes.unit TO erpmes_run;
GRANT SELECT, INSERT, UPDATE, DELETE ON mes.unit_conversion TO erpmes_run;

SELECT erpmes.subscribe('unit', 'mes.master_unit_apply()', 'source_wins', '{}'::jsonb, -40, '{}'::jsonb,
    ARRAY['mes.unit', 'mes.unit_conversion']::regclass[]);
