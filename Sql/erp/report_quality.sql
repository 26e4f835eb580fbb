-- Quality per lot (issue 9), on the ERP database, from OCA's qc_inspection / qc_inspection_line /
-- qc_test_question (the MES quality controls of flow 3 arrive there):
--   report.lot_inspection            every inspection line of a lot: result, limits, pass/fail;
--   report.first_pass_yield          ISO 22400-2 FPY = good parts / inspected parts per product and
--                                    month, "good" = passed at its first completed inspection;
--   report.certificate_of_analysis   per lot, each test of its latest completed inspection with
--                                    limits and result, and the lot's disposition (ICH Q7 11.4).
-- The lot of an inspection is qc_inspection.lot_id, else the id in a polymorphic object_id
-- 'stock.lot,<id>'. Completed inspections are those in state success or failed.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.certificate_of_analysis;
DROP VIEW IF EXISTS report.first_pass_yield;
DROP VIEW IF EXISTS report.lot_inspection;

CREATE VIEW report.lot_inspection AS
SELECT
    l.id AS lot_id,
    l.name AS lot_name,
    l.product_id,
    pp.default_code AS product_code,
    pt.name ->> 'en_US' AS product_name,
    i.id AS inspection_id,
    i.name AS inspection,
    i.date AS inspection_date,
    i.state AS inspection_state,
    i.success AS inspection_success,
    i."user" AS inspector_user_id,
    i.test AS test_id,
    t.name ->> 'en_US' AS test,
    il.id AS line_id,
    coalesce(q.name ->> 'en_US', il.name) AS question,
    coalesce(il.question_type, q.type) AS question_type,
    trim_scale(il.quantitative_value) AS value,
    vu.name ->> 'en_US' AS value_uom,
    qv.name ->> 'en_US' AS answer,
    trim_scale(coalesce(il.min_value, q.min_value)) AS min_value,
    trim_scale(coalesce(il.max_value, q.max_value)) AS max_value,
    lu.name ->> 'en_US' AS limit_uom,
    il.success
FROM erp.qc_inspection AS i
JOIN erp.stock_lot AS l ON l.id = coalesce(i.lot_id,
    CASE WHEN i.object_id ~ '^stock\.lot,[0-9]{1,9}$' THEN split_part(i.object_id, ',', 2)::integer END)
JOIN erp.product_product AS pp ON pp.id = l.product_id
JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
LEFT JOIN erp.qc_test AS t ON t.id = i.test
LEFT JOIN erp.qc_inspection_line AS il ON il.inspection_id = i.id
LEFT JOIN erp.qc_test_question AS q ON q.id = il.test_line
LEFT JOIN erp.qc_test_question_value AS qv ON qv.id = il.qualitative_value
LEFT JOIN erp.uom_uom AS vu ON vu.id = il.uom_id
LEFT JOIN erp.uom_uom AS lu ON lu.id = coalesce(il.test_uom_id, q.uom_id);

COMMENT ON VIEW report.lot_inspection IS
    'Quality inspections per lot, one row per inspection line (an inspection without lines gives one row with NULL line columns): result (quantitative value or qualitative answer), limits, pass/fail. The lot is qc_inspection.lot_id, else object_id ''stock.lot,<id>''. Computed at query time from erp.qc_inspection, qc_inspection_line, qc_test_question, stock_lot.';
COMMENT ON COLUMN report.lot_inspection.lot_id IS 'erp.stock_lot.id.';
COMMENT ON COLUMN report.lot_inspection.lot_name IS 'Lot (batch) number.';
COMMENT ON COLUMN report.lot_inspection.product_id IS 'The lot''s product (erp.product_product.id).';
COMMENT ON COLUMN report.lot_inspection.product_code IS 'Product default_code.';
COMMENT ON COLUMN report.lot_inspection.product_name IS 'Product name (en_US).';
COMMENT ON COLUMN report.lot_inspection.inspection_id IS 'erp.qc_inspection.id.';
COMMENT ON COLUMN report.lot_inspection.inspection IS 'Inspection reference (qc_inspection.name).';
COMMENT ON COLUMN report.lot_inspection.inspection_date IS 'Inspection date, naive UTC.';
COMMENT ON COLUMN report.lot_inspection.inspection_state IS 'draft, ready, waiting, success, failed or canceled.';
COMMENT ON COLUMN report.lot_inspection.inspection_success IS 'True when every line succeeded.';
COMMENT ON COLUMN report.lot_inspection.inspector_user_id IS 'res.users id of the responsible (qc_inspection."user").';
COMMENT ON COLUMN report.lot_inspection.test_id IS 'erp.qc_test.id.';
COMMENT ON COLUMN report.lot_inspection.test IS 'Test name.';
COMMENT ON COLUMN report.lot_inspection.line_id IS 'erp.qc_inspection_line.id.';
COMMENT ON COLUMN report.lot_inspection.question IS 'The question (test characteristic), from qc_test_question, else the line name.';
COMMENT ON COLUMN report.lot_inspection.question_type IS 'quantitative or qualitative.';
COMMENT ON COLUMN report.lot_inspection.value IS 'Measured value of a quantitative question, in value_uom.';
COMMENT ON COLUMN report.lot_inspection.value_uom IS 'Unit of value (line uom_id).';
COMMENT ON COLUMN report.lot_inspection.answer IS 'Answer of a qualitative question.';
COMMENT ON COLUMN report.lot_inspection.min_value IS 'Lower acceptance limit, in limit_uom (line, else question).';
COMMENT ON COLUMN report.lot_inspection.max_value IS 'Upper acceptance limit, in limit_uom.';
COMMENT ON COLUMN report.lot_inspection.limit_uom IS 'Unit of the limits (line test_uom_id, else the question''s).';
COMMENT ON COLUMN report.lot_inspection.success IS 'The line''s pass/fail as the ERP computed it.';

CREATE VIEW report.first_pass_yield AS
WITH completed AS (
    -- the completed inspections of each inspected object (a lot, else whatever object_id names, else
    -- the inspection itself), first one first
    SELECT
        i.product_id,
        i.qty,
        i.state = 'success' AS passed,
        i.date,
        row_number() OVER (
            PARTITION BY coalesce('stock.lot,' || coalesce(i.lot_id,
                CASE WHEN i.object_id ~ '^stock\.lot,[0-9]{1,9}$' THEN split_part(i.object_id, ',', 2)::integer END),
                i.object_id, 'qc.inspection,' || i.id)
            ORDER BY i.date, i.id
        ) AS attempt
    FROM erp.qc_inspection AS i
    WHERE i.state IN ('success', 'failed')
)
SELECT
    c.product_id,
    pp.default_code AS product_code,
    pt.name ->> 'en_US' AS product_name,
    date_trunc('month', c.date)::date AS month,
    count(*) AS inspected_lots,
    count(*) FILTER (WHERE c.passed) AS first_pass_lots,
    trim_scale(sum(coalesce(c.qty, 0))) AS inspected_qty,
    trim_scale(coalesce(sum(c.qty) FILTER (WHERE c.passed), 0)) AS first_pass_qty,
    round(coalesce(sum(c.qty) FILTER (WHERE c.passed), 0) / nullif(sum(coalesce(c.qty, 0)), 0), 4) AS first_pass_yield,
    round(count(*) FILTER (WHERE c.passed)::numeric / count(*), 4) AS first_pass_yield_lots
FROM completed AS c
LEFT JOIN erp.product_product AS pp ON pp.id = c.product_id
LEFT JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
WHERE c.attempt = 1
GROUP BY c.product_id, pp.default_code, pt.name, date_trunc('month', c.date)::date;

COMMENT ON VIEW report.first_pass_yield IS
    'First pass yield per product and month of first inspection (UTC): ISO 22400-2 FPY = GP / IP, the quantity of lots (objects) that passed their first completed inspection / the quantity inspected at first inspection (qc_inspection.qty). Re-inspections after a failure do not count. Counts and quantities add up over months; recompute the ratios from them.';
COMMENT ON COLUMN report.first_pass_yield.product_id IS 'Inspected product (erp.product_product.id).';
COMMENT ON COLUMN report.first_pass_yield.product_code IS 'Product default_code.';
COMMENT ON COLUMN report.first_pass_yield.product_name IS 'Product name (en_US).';
COMMENT ON COLUMN report.first_pass_yield.month IS 'First day of the month of the first completed inspection.';
COMMENT ON COLUMN report.first_pass_yield.inspected_lots IS 'Lots (inspected objects) whose first completed inspection fell in the month.';
COMMENT ON COLUMN report.first_pass_yield.first_pass_lots IS 'Of those, lots whose first completed inspection succeeded.';
COMMENT ON COLUMN report.first_pass_yield.inspected_qty IS 'IP: quantity inspected at first inspection.';
COMMENT ON COLUMN report.first_pass_yield.first_pass_qty IS 'GP: quantity that passed at first inspection.';
COMMENT ON COLUMN report.first_pass_yield.first_pass_yield IS 'FPY = first_pass_qty / inspected_qty (0..1); NULL when nothing was inspected by quantity.';
COMMENT ON COLUMN report.first_pass_yield.first_pass_yield_lots IS 'first_pass_lots / inspected_lots (0..1).';

CREATE VIEW report.certificate_of_analysis AS
SELECT
    l.id AS lot_id,
    l.name AS batch_number,
    pp.default_code AS product_code,
    pt.name ->> 'en_US' AS product_name,
    made.date AS manufacturing_date,
    made.production,
    CASE WHEN d.disposition = 'released' THEN d.last_result_date END AS release_date,
    l.expiration_date,
    l.use_date AS best_before_date,
    d.disposition,
    la.name AS inspection,
    la.date AS inspection_date,
    la."user" AS inspector_user_id,
    t.name ->> 'en_US' AS test,
    q.sequence,
    coalesce(q.name ->> 'en_US', il.name) AS characteristic,
    trim_scale(coalesce(il.min_value, q.min_value)) AS min_value,
    trim_scale(coalesce(il.max_value, q.max_value)) AS max_value,
    lu.name ->> 'en_US' AS limit_uom,
    coalesce(trim_scale(il.quantitative_value)::text, qv.name ->> 'en_US') AS result,
    vu.name ->> 'en_US' AS result_uom,
    il.success AS conforms
FROM erp.stock_lot AS l
JOIN erp.product_product AS pp ON pp.id = l.product_id
JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
CROSS JOIN LATERAL (
    -- the lot's disposition from its inspections that are not cancelled; "latest" = the latest
    -- completed inspection of its test
    SELECT
        CASE
            WHEN bool_or(x.state IN ('draft', 'ready', 'waiting')) OR NOT bool_or(x.latest) THEN 'pending'
            WHEN bool_or(x.latest AND x.state = 'failed') THEN 'rejected'
            ELSE 'released'
        END AS disposition,
        max(x.date) FILTER (WHERE x.latest) AS last_result_date
    FROM (
        SELECT i.state, i.date,
            i.state IN ('success', 'failed') AND row_number() OVER (
                PARTITION BY i.test, i.state IN ('success', 'failed') ORDER BY i.date DESC, i.id DESC) = 1 AS latest
        FROM erp.qc_inspection AS i
        WHERE coalesce(i.lot_id,
            CASE WHEN i.object_id ~ '^stock\.lot,[0-9]{1,9}$' THEN split_part(i.object_id, ',', 2)::integer END) = l.id
            AND i.state <> 'canceled'
    ) AS x
    HAVING count(*) > 0
) AS d
LEFT JOIN LATERAL (
    -- when and by which order the lot was made: its first done finished-product move line
    SELECT ml.date, mo.name AS production
    FROM erp.stock_move_line AS ml
    JOIN erp.stock_move AS m ON m.id = ml.move_id AND m.production_id IS NOT NULL
    JOIN erp.mrp_production AS mo ON mo.id = m.production_id
    WHERE ml.lot_id = l.id AND ml.state = 'done'
    ORDER BY ml.date, ml.id
    LIMIT 1
) AS made ON true
LEFT JOIN LATERAL (
    -- what the certificate reports: the latest completed inspection of each test of the lot
    SELECT DISTINCT ON (i.test) i.id, i.name, i.date, i."user", i.test
    FROM erp.qc_inspection AS i
    WHERE coalesce(i.lot_id,
            CASE WHEN i.object_id ~ '^stock\.lot,[0-9]{1,9}$' THEN split_part(i.object_id, ',', 2)::integer END) = l.id
        AND i.state IN ('success', 'failed')
    ORDER BY i.test, i.date DESC, i.id DESC
) AS la ON true
LEFT JOIN erp.qc_test AS t ON t.id = la.test
LEFT JOIN erp.qc_inspection_line AS il ON il.inspection_id = la.id
LEFT JOIN erp.qc_test_question AS q ON q.id = il.test_line
LEFT JOIN erp.qc_test_question_value AS qv ON qv.id = il.qualitative_value
LEFT JOIN erp.uom_uom AS vu ON vu.id = il.uom_id
LEFT JOIN erp.uom_uom AS lu ON lu.id = coalesce(il.test_uom_id, q.uom_id);

COMMENT ON VIEW report.certificate_of_analysis IS
    'Certificate of analysis per lot (ICH Q7 11.4): batch number, product, manufacturing, release and expiry dates, disposition, and one row per test characteristic of the latest completed inspection of each test, with acceptance limits and result. Disposition: pending while an inspection is open (draft, ready, waiting) or none is completed, rejected if a latest completed inspection failed, else released. Lots with no inspection are not listed. Computed at query time; the QA signature itself is not data here.';
COMMENT ON COLUMN report.certificate_of_analysis.lot_id IS 'erp.stock_lot.id.';
COMMENT ON COLUMN report.certificate_of_analysis.batch_number IS 'Lot (batch) number.';
COMMENT ON COLUMN report.certificate_of_analysis.product_code IS 'Product default_code.';
COMMENT ON COLUMN report.certificate_of_analysis.product_name IS 'Product name (en_US).';
COMMENT ON COLUMN report.certificate_of_analysis.manufacturing_date IS 'Date of the lot''s first done finished-product move line, naive UTC; NULL if it was not produced here.';
COMMENT ON COLUMN report.certificate_of_analysis.production IS 'Manufacturing order that first produced the lot.';
COMMENT ON COLUMN report.certificate_of_analysis.release_date IS 'For a released lot, the date of its latest completed inspection, naive UTC.';
COMMENT ON COLUMN report.certificate_of_analysis.expiration_date IS 'Expiry date (stock_lot.expiration_date, product_expiry).';
COMMENT ON COLUMN report.certificate_of_analysis.best_before_date IS 'Best before date (stock_lot.use_date).';
COMMENT ON COLUMN report.certificate_of_analysis.disposition IS 'released, rejected or pending (see the view comment).';
COMMENT ON COLUMN report.certificate_of_analysis.inspection IS 'The inspection the row''s result comes from; NULL when no inspection is completed.';
COMMENT ON COLUMN report.certificate_of_analysis.inspection_date IS 'Its date, naive UTC.';
COMMENT ON COLUMN report.certificate_of_analysis.inspector_user_id IS 'Its responsible (res.users id).';
COMMENT ON COLUMN report.certificate_of_analysis.test IS 'Test name.';
COMMENT ON COLUMN report.certificate_of_analysis.sequence IS 'Order of the characteristic in the test.';
COMMENT ON COLUMN report.certificate_of_analysis.characteristic IS 'Tested characteristic (question).';
COMMENT ON COLUMN report.certificate_of_analysis.min_value IS 'Lower acceptance limit, in limit_uom.';
COMMENT ON COLUMN report.certificate_of_analysis.max_value IS 'Upper acceptance limit, in limit_uom.';
COMMENT ON COLUMN report.certificate_of_analysis.limit_uom IS 'Unit of the limits.';
COMMENT ON COLUMN report.certificate_of_analysis.result IS 'Numerical result, or the answer of a qualitative characteristic, as text.';
COMMENT ON COLUMN report.certificate_of_analysis.result_uom IS 'Unit of a numerical result.';
COMMENT ON COLUMN report.certificate_of_analysis.conforms IS 'The line passed (qc_inspection_line.success).';

SELECT report.apply_grants();
