-- Quality to compliance (MES -> ERP), ERP side: entity quality_control, a closed MES quality
-- control (payload: Sql/mes/quality_control.sql) becomes an OCA inspection, erp.qc_inspection,
-- with one erp.qc_inspection_line per measured value. Subscribed append_only: results are MES-owned
-- records, posted once; a later change of the control is refused and logged (erpmes.conflict_log,
-- kind 'posted'), a delete or truncate in the MES removes nothing here.
--
-- Inspection (qc_inspection):
--   name = the MES number; the pair MES number <-> inspection id is kept in the key map
--   'quality_control' (erpmes.key_remember), which makes a replayed insert a no-op;
--   product_id = the active product whose default_code is the MES product number (none or several:
--   rejected); object_id (an Odoo Reference, polymorphic) = 'stock.lot,<id>' for a control of a
--   batch, the lot found or created by (product, name = batch number), as flow 2 does; else
--   'mrp.production,<id>' when the order is known here; else 'product.product,<id>'; lot_id as
--   quality_control_stock_oca computes it; date = the plant-local date in UTC (erpmes.local_to_utc
--   with the link's erpmes.plant_tz; a DST gap moves forward, an overlap takes the earlier
--   instant: an inspection date is not worth a dead letter); test = the product's related test
--   (qc_test.object_id 'product.product,<id>', else 'product.template,<id>'; none: rejected);
--   auto_generated = true (OCA: cannot be deleted); internal_notes = control type, order,
--   inspector, verdict and description; success = every line succeeded (OCA's computed field);
--   state: verdict pass and every line within limits -> 'success'; verdict fail and a line out of
--   limits -> 'failed'; verdict and limits disagree -> 'waiting' (OCA "waiting supervisor
--   approval": the ERP quality unit decides).
-- Lines (qc_inspection_line), one per MES value:
--   test_line = the question of the test named like the attribute (its name, or its number, case
--   insensitive); none, or a numeric value for a qualitative question (or the reverse): rejected.
--   Quantitative: the value text is parsed strictly as a decimal number ('12.50'; '13,7', '12,5
--   mm', 'n/a', NULL: rejected naming the attribute, column quality_control_value.value and the
--   value) in attribute.unit, and converted to the question's unit: the MES unit is an ERP unit of
--   the same name, or one declared in erpmes.unit_conversion against an ERP unit (1 cm = 10 mm
--   below), then Odoo's factors take it to the question's unit, exactly (no rounding but the 5
--   decimals of numeric(16,5)). quantitative_value, min_value, max_value are all in the question's
--   unit (uom_id = test_uom_id), min/max from the MES limits (converted), a missing limit from the
--   question's; a missing bound is open. success = min <= value <= max, OCA's rule (its unit
--   conversion is a no-op here as both units are the question's). A question without unit takes
--   the number as recorded (scales such as HRC); a unit that cannot reach the question's: rejected.
--   Qualitative: qualitative_value = the question's answer named like the text (case and outer
--   blanks ignored; none: rejected), success = the answer's ok flag.
--   name = the question's name; notes keep the MES text and unit as recorded ("MES value: 12.50 mm").
-- Rejections name the attribute, the column and the value; erpmes.apply_entity prefixes entity and key.

-- The apply function runs as the replicator's login.
GRANT SELECT, INSERT ON erp.qc_inspection, erp.qc_inspection_line TO erpmes_run;
GRANT SELECT, INSERT ON erp.stock_lot TO erpmes_run;
GRANT USAGE ON SEQUENCE erp.qc_inspection_id_seq, erp.qc_inspection_line_id_seq, erp.stock_lot_id_seq TO erpmes_run;

-- MES measuring units the ERP has no unit for, against an ERP unit of the same category.
SELECT erpmes.declare_unit_conversion('cm', 'mm', 10);
SELECT erpmes.declare_unit_conversion('L', 'l', 1);
SELECT erpmes.declare_unit_conversion('L', 'ml', 1000);
SELECT erpmes.declare_unit_conversion('g', 'mg', 1000);

CREATE OR REPLACE FUNCTION erp.quality_control_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    tz text := erpmes.plant_zone(current_setting('erpmes.plant_tz', true));
    number_pattern CONSTANT text := '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$';
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS quality_control_head (
        key jsonb PRIMARY KEY, number text, product_code text, lot text, order_name text, control_type text,
        date_local timestamp, verdict text, inspector text, description text,
        product_id integer, products integer, template_id integer, product_uom_id integer, company_id integer,
        test_id integer, test_name text, lot_id integer, production_id integer, recorded integer,
        inspection_id integer, lines_ok boolean, reason text
    ) ON COMMIT DROP;
    TRUNCATE quality_control_head;
    CREATE TEMP TABLE IF NOT EXISTS quality_control_line (
        key jsonb, pos bigint, attribute text, attribute_name text, kind text, value text, unit text,
        lower numeric, upper numeric, question_id integer, question_name text, question_type text,
        question_min numeric, question_max numeric, uom_id integer, uom_name text, uom_factor numeric,
        uom_category integer, measured numeric, scale numeric, unit_factor numeric, unit_category integer,
        quantity numeric, min_value numeric, max_value numeric, answer_id integer, answer_ok boolean,
        valid_values text, success boolean, reason text,
        PRIMARY KEY (key, pos)
    ) ON COMMIT DROP;
    TRUNCATE quality_control_line;

    INSERT INTO quality_control_head (key, number, product_code, lot, order_name, control_type, date_local, verdict,
                                      inspector, description)
    SELECT b.key, b.payload->>'number', b.payload->>'product', b.payload->>'lot', b.payload->>'order',
           b.payload->>'control_type', (b.payload->>'date_local')::timestamp, b.payload->>'verdict',
           b.payload->>'inspector', b.payload->>'description'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';

    -- Posted already (a replay): nothing to do.
    UPDATE quality_control_head AS h SET recorded = i.id
    FROM erpmes.key_map AS m
    JOIN erp.qc_inspection AS i ON i.id = (m.local_key->>'id')::integer
    WHERE m.map = 'quality_control' AND m.foreign_key = h.key;

    -- The product, by default_code (nullable and not unique in the ERP).
    UPDATE quality_control_head AS h
    SET product_id = p.product_id, products = p.products, template_id = p.template_id,
        product_uom_id = p.uom_id, company_id = p.company_id
    FROM (
        SELECT x.key, count(pp.id)::integer AS products, min(pp.id) AS product_id,
               min(pt.id) AS template_id, min(pt.uom_id) AS uom_id,
               coalesce(min(pt.company_id), (SELECT min(c.id) FROM erp.res_company AS c)) AS company_id
        FROM quality_control_head AS x
        LEFT JOIN erp.product_product AS pp ON pp.default_code = x.product_code AND pp.active
        LEFT JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
        GROUP BY x.key
    ) AS p
    WHERE p.key = h.key AND h.recorded IS NULL;
    UPDATE quality_control_head AS h SET reason = CASE
        WHEN h.number IS NULL THEN 'number is NULL (column quality_control.number)'
        WHEN h.product_code IS NULL THEN 'product is NULL (column product.number)'
        WHEN h.products = 0 THEN format('no active ERP product has default_code %L (column product.number, value %L)',
                                        h.product_code, h.product_code)
        WHEN h.products > 1 THEN format('%s active ERP products have default_code %L (column product.number, value %L)',
                                        h.products, h.product_code, h.product_code)
        WHEN h.date_local IS NULL THEN 'date is NULL (column quality_control.date)'
        END
    WHERE h.recorded IS NULL;

    -- The product's related quality test: of the variant, else of the template.
    UPDATE quality_control_head AS h SET test_id = t.id, test_name = t.name->>'en_US'
    FROM (
        SELECT DISTINCT ON (x.key) x.key, t.id, t.name
        FROM quality_control_head AS x
        JOIN erp.qc_test AS t ON t.active IS NOT FALSE
            AND t.object_id IN ('product.product,' || x.product_id, 'product.template,' || x.template_id)
        WHERE x.reason IS NULL AND x.recorded IS NULL
        ORDER BY x.key, t.object_id LIKE 'product.product,%' DESC, t.id
    ) AS t
    WHERE t.key = h.key;
    UPDATE quality_control_head AS h
    SET reason = format('no active quality test for product %L (column qc_test.object_id, value %L)',
                        h.product_code, 'product.product,' || h.product_id)
    WHERE h.reason IS NULL AND h.recorded IS NULL AND h.test_id IS NULL;

    -- The values.
    INSERT INTO quality_control_line (key, pos, attribute, attribute_name, kind, value, unit, lower, upper)
    SELECT h.key, v.pos, v.e->>'attribute', v.e->>'name', v.e->>'kind', v.e->>'value', nullif(v.e->>'unit', ''),
           (v.e->>'lower')::numeric, (v.e->>'upper')::numeric
    FROM quality_control_head AS h
    JOIN pg_temp.erpmes_batch AS b ON b.key = h.key AND b.op = 'U'
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(b.payload->'values') = 'array'
                                                 THEN b.payload->'values' ELSE '[]' END) WITH ORDINALITY AS v(e, pos)
    WHERE h.reason IS NULL AND h.recorded IS NULL;

    -- Each value's question: named like the attribute's name or number, in the test.
    UPDATE quality_control_line AS l
    SET question_id = q.id, question_name = q.name->>'en_US', question_type = q.type,
        question_min = q.min_value, question_max = q.max_value, uom_id = q.uom_id,
        uom_name = u.name->>'en_US', uom_factor = u.factor, uom_category = u.category_id
    FROM (
        SELECT DISTINCT ON (x.key, x.pos) x.key, x.pos, q.*
        FROM quality_control_line AS x
        JOIN quality_control_head AS h ON h.key = x.key
        JOIN erp.qc_test_question AS q ON q.test = h.test_id
            AND lower(q.name->>'en_US') IN (lower(x.attribute_name), lower(x.attribute))
        ORDER BY x.key, x.pos, q.sequence, q.id
    ) AS q
    LEFT JOIN erp.uom_uom AS u ON u.id = q.uom_id
    WHERE q.key = l.key AND q.pos = l.pos;

    -- Quantitative: the number as recorded, and its unit as an ERP unit (same name, else a declared
    -- conversion to or from an ERP unit): scale takes the number to that unit.
    UPDATE quality_control_line AS l
    SET measured = CASE WHEN l.value ~ number_pattern THEN btrim(l.value)::numeric END
    WHERE l.kind = 'numeric';
    UPDATE quality_control_line AS l
    SET scale = c.scale, unit_factor = c.factor, unit_category = c.category_id
    FROM (
        SELECT DISTINCT ON (x.key, x.pos) x.key, x.pos, c.scale, u.factor, u.category_id
        FROM quality_control_line AS x
        CROSS JOIN LATERAL (
            SELECT 1 AS rank, x.unit AS erp_unit, 1::numeric AS scale
            UNION ALL
            SELECT 2, uc.from_unit, 1 / uc.factor FROM erpmes.unit_conversion AS uc
            WHERE uc.to_unit = x.unit AND uc.product IS NULL
            UNION ALL
            SELECT 3, uc.to_unit, uc.factor FROM erpmes.unit_conversion AS uc
            WHERE uc.from_unit = x.unit AND uc.product IS NULL
        ) AS c
        JOIN erp.uom_uom AS u ON u.name->>'en_US' = c.erp_unit AND u.active IS NOT FALSE
        WHERE x.kind = 'numeric' AND x.unit IS NOT NULL AND x.uom_id IS NOT NULL
        ORDER BY x.key, x.pos, u.category_id = x.uom_category DESC, c.rank, u.id
    ) AS c
    WHERE c.key = l.key AND c.pos = l.pos;
    UPDATE quality_control_line AS l
    SET quantity = round(CASE WHEN l.uom_id IS NULL THEN l.measured
                              ELSE erpmes.odoo_uom_factor(l.measured * l.scale, l.unit_factor, l.uom_factor) END, 5),
        min_value = coalesce(round(CASE WHEN l.uom_id IS NULL THEN l.lower
                                        ELSE erpmes.odoo_uom_factor(l.lower * l.scale, l.unit_factor, l.uom_factor) END, 5),
                             l.question_min),
        max_value = coalesce(round(CASE WHEN l.uom_id IS NULL THEN l.upper
                                        ELSE erpmes.odoo_uom_factor(l.upper * l.scale, l.unit_factor, l.uom_factor) END, 5),
                             l.question_max)
    WHERE l.kind = 'numeric' AND l.question_type = 'quantitative' AND l.measured IS NOT NULL
      AND (l.uom_id IS NULL OR (l.unit_factor IS NOT NULL AND l.unit_category = l.uom_category));
    UPDATE quality_control_line AS l
    SET success = (l.min_value IS NULL OR l.quantity >= l.min_value) AND (l.max_value IS NULL OR l.quantity <= l.max_value),
        valid_values = concat(trim_scale(l.min_value)::text, '-', trim_scale(l.max_value)::text, ' ' || l.uom_name)
    WHERE l.quantity IS NOT NULL;

    -- Qualitative: the answer named like the text.
    UPDATE quality_control_line AS l SET answer_id = a.id, answer_ok = coalesce(a.ok, false), success = coalesce(a.ok, false)
    FROM (
        SELECT DISTINCT ON (x.key, x.pos) x.key, x.pos, a.id, a.ok
        FROM quality_control_line AS x
        JOIN erp.qc_test_question_value AS a ON a.test_line = x.question_id
            AND lower(btrim(a.name->>'en_US')) = lower(btrim(x.value))
        WHERE x.kind = 'text' AND x.question_type = 'qualitative'
        ORDER BY x.key, x.pos, a.id
    ) AS a
    WHERE a.key = l.key AND a.pos = l.pos;
    UPDATE quality_control_line AS l
    SET valid_values = (SELECT string_agg(a.name->>'en_US', ', ' ORDER BY a.id) FROM erp.qc_test_question_value AS a
                        WHERE a.test_line = l.question_id AND a.ok)
    WHERE l.answer_id IS NOT NULL;

    UPDATE quality_control_line AS l SET reason = format('attribute %s: ', l.attribute) || CASE
        WHEN l.question_id IS NULL THEN format('no question named %L or %L in quality test %L (column attribute.name, value %L)',
                                               l.attribute_name, l.attribute, h.test_name, l.attribute_name)
        WHEN l.value IS NULL THEN 'value is NULL (column quality_control_value.value)'
        WHEN l.kind = 'numeric' AND l.question_type <> 'quantitative'
            THEN format('a numeric value for the qualitative question %L (column attribute.valuetype, value %L)',
                        l.question_name, '01numeric')
        WHEN l.kind <> 'numeric' AND l.question_type <> 'qualitative'
            THEN format('a text value for the quantitative question %L (column attribute.valuetype, value %L)',
                        l.question_name, '02text')
        WHEN l.kind = 'numeric' AND l.measured IS NULL
            THEN format('value %L is not a number (column quality_control_value.value, value %L)', l.value, l.value)
        WHEN l.kind = 'numeric' AND l.uom_id IS NOT NULL AND l.unit IS NULL
            THEN format('no unit, but question %L measures in %s (column attribute.unit, value NULL)', l.question_name, l.uom_name)
        WHEN l.kind = 'numeric' AND l.uom_id IS NOT NULL AND l.unit_factor IS NULL
            THEN format('unit %L is no ERP unit and has no conversion to one (column attribute.unit, value %L)', l.unit, l.unit)
        WHEN l.kind = 'numeric' AND l.uom_id IS NOT NULL AND l.unit_category IS DISTINCT FROM l.uom_category
            THEN format('unit %L cannot be converted to %s of question %L (column attribute.unit, value %L)',
                        l.unit, l.uom_name, l.question_name, l.unit)
        WHEN l.kind = 'numeric' AND greatest(abs(l.quantity), abs(l.min_value), abs(l.max_value)) >= 1e11
            THEN format('value %L or its limits do not fit numeric(16,5) in %s (column quality_control_value.value, value %L)',
                        l.value, coalesce(l.uom_name, l.unit), l.value)
        WHEN l.kind <> 'numeric' AND l.answer_id IS NULL
            THEN format('%L is not an answer of question %L (column quality_control_value.value, value %L)',
                        l.value, l.question_name, l.value)
        END
    FROM quality_control_head AS h
    WHERE h.key = l.key;
    UPDATE quality_control_head AS h SET reason = l.reason
    FROM (SELECT DISTINCT ON (x.key) x.key, x.reason FROM quality_control_line AS x
          WHERE x.reason IS NOT NULL ORDER BY x.key, x.pos) AS l
    WHERE l.key = h.key AND h.reason IS NULL;

    -- The lot (found or created, as production tracking does) and the order, for object_id.
    INSERT INTO erp.stock_lot AS s (name, product_id, company_id, product_uom_id)
    SELECT DISTINCT h.lot, h.product_id, h.company_id, h.product_uom_id
    FROM quality_control_head AS h
    WHERE h.reason IS NULL AND h.recorded IS NULL AND h.lot IS NOT NULL
    ORDER BY h.product_id, h.lot
    ON CONFLICT ON CONSTRAINT stock_lot_name_ref_uniq DO NOTHING;
    UPDATE quality_control_head AS h SET lot_id = s.id
    FROM erp.stock_lot AS s
    WHERE s.product_id = h.product_id AND s.company_id = h.company_id AND s.name = h.lot
      AND h.reason IS NULL AND h.recorded IS NULL;
    UPDATE quality_control_head AS h SET production_id = p.id
    FROM erp.mrp_production AS p
    WHERE p.name = h.order_name AND p.company_id = h.company_id AND h.reason IS NULL AND h.recorded IS NULL;

    UPDATE quality_control_head AS h
    SET lines_ok = coalesce((SELECT bool_and(l.success) FROM quality_control_line AS l WHERE l.key = h.key), true),
        inspection_id = nextval('erp.qc_inspection_id_seq')
    WHERE h.reason IS NULL AND h.recorded IS NULL;

    INSERT INTO erp.qc_inspection (id, name, date, object_id, product_id, lot_id, qty, test, internal_notes, state,
                                   success, auto_generated, company_id, "user")
    SELECT h.inspection_id, h.number, erpmes.local_to_utc(h.date_local, tz, 'shift_forward', 'earlier'),
           CASE WHEN h.lot_id IS NOT NULL THEN 'stock.lot,' || h.lot_id
                WHEN h.production_id IS NOT NULL THEN 'mrp.production,' || h.production_id
                ELSE 'product.product,' || h.product_id END,
           h.product_id, h.lot_id, 1.0, h.test_id,
           concat_ws(E'\n',
               format('MES quality control %s (%s)', h.number, coalesce(replace(h.control_type, '_', '-'), 'unknown') || ' control'),
               'Order: ' || h.order_name, 'Inspector: ' || h.inspector, 'Verdict: ' || h.verdict, h.description),
           CASE WHEN h.verdict = 'pass' AND h.lines_ok THEN 'success'
                WHEN h.verdict = 'fail' AND NOT h.lines_ok THEN 'failed'
                ELSE 'waiting' END,
           h.lines_ok, true, h.company_id, NULL
    FROM quality_control_head AS h
    WHERE h.reason IS NULL AND h.recorded IS NULL
    ORDER BY h.key;

    INSERT INTO erp.qc_inspection_line (inspection_id, name, product_id, test_line, quantitative_value, qualitative_value,
                                        notes, min_value, max_value, test_uom_id, test_uom_category, uom_id, question_type,
                                        valid_values, success)
    SELECT h.inspection_id, l.question_name, h.product_id, l.question_id, l.quantity, l.answer_id,
           'MES value: ' || l.value || coalesce(' ' || l.unit, ''),
           l.min_value, l.max_value, l.uom_id, l.uom_category, l.uom_id, l.question_type, l.valid_values, l.success
    FROM quality_control_head AS h
    JOIN quality_control_line AS l ON l.key = h.key
    WHERE h.reason IS NULL AND h.recorded IS NULL
    ORDER BY h.key, l.pos;

    PERFORM erpmes.key_remember('quality_control', h.key, jsonb_build_object('id', h.inspection_id))
    FROM quality_control_head AS h
    WHERE h.reason IS NULL AND h.recorded IS NULL
    ORDER BY h.key;

    RETURN QUERY
    SELECT h.key,
           CASE WHEN h.recorded IS NOT NULL THEN 'skipped' WHEN h.reason IS NOT NULL THEN 'rejected' ELSE 'applied' END,
           CASE WHEN h.recorded IS NOT NULL THEN format('already posted as inspection %s', h.recorded) ELSE h.reason END
    FROM quality_control_head AS h
    UNION ALL
    SELECT b.key, 'skipped', 'quality results are records: the inspection stays'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION erp.quality_control_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.quality_control_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.quality_control_apply() IS
    'erpmes apply of entity quality_control: a closed MES quality control becomes a qc_inspection with its lines (values parsed and converted to the question''s unit); unmappable controls are rejected naming attribute, column and value.';

SELECT erpmes.subscribe(
    'quality_control',
    'erp.quality_control_apply()',
    'append_only',
    tables => ARRAY['erp.qc_inspection', 'erp.qc_inspection_line', 'erp.stock_lot']::regclass[]);
