-- Indexes the reporting views of Sql/erp/report_*.sql need (issue 9). CONCURRENTLY: an ERP's
-- stock and quality tables are large and written all day; erpmes migrate runs this file one
-- statement at a time outside a transaction, and drops an invalid index a failed run left before
-- retrying.
-- erpmes:transaction none

-- The lot an inspection is about: lot_id, else the id in a polymorphic object_id 'stock.lot,<id>'.
-- report.lot_inspection and report.certificate_of_analysis look inspections up by this expression
-- (written identically there, so that the planner matches it).
CREATE INDEX CONCURRENTLY IF NOT EXISTS qc_inspection__lot_reference_index ON erp.qc_inspection (
    (coalesce(lot_id, CASE WHEN object_id ~ '^stock\.lot,[0-9]{1,9}$' THEN split_part(object_id, ',', 2)::integer END))
);
