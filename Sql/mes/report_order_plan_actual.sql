-- Plan vs actual per MES production order (issue 9), on the MES database: the plan the order holds
-- (plannedquantity, datefrom/dateto/deadline, replicated from the ERP) against the MES's own
-- production tracking, for plants that look at the MES directly or before the ERP has the postings.
-- Produced = tracking_product_out rows of the order's product in accepted (02accepted) tracking
-- records: a correction record is itself accepted and replaces the record it corrects, which is
-- 04corrected and not counted. Timestamps are naive plant-local; time differences are taken in the
-- plant zone (erpmes.plant_tz, else the session TimeZone). On-time tolerance: the setting
-- erpmes.report_on_time_tolerance (an interval, default 0), as on the ERP side.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.order_plan_actual;

CREATE VIEW report.order_plan_actual AS
SELECT
    o.id AS order_id,
    o.number AS order_number,
    o.externalnumber AS production,
    o.state,
    o.product_id,
    p.number AS product_code,
    p.name AS product_name,
    p.unit,
    trim_scale(o.plannedquantity) AS planned_qty,
    trim_scale(coalesce(tr.good, 0)) AS produced_qty,
    trim_scale(coalesce(tr.scrap, 0)) AS scrap_qty,
    trim_scale(coalesce(tr.good, 0) - o.plannedquantity) AS qty_variance,
    round(100 * coalesce(tr.good, 0) / nullif(coalesce(tr.good, 0) + coalesce(tr.scrap, 0), 0), 2) AS yield_pct,
    round(100 * coalesce(tr.good, 0) / nullif(o.plannedquantity, 0), 2) AS theoretical_yield_pct,
    tr.records AS tracking_records,
    tr.corrections,
    tr.machine_time AS machine_time_s,
    tr.labor_time AS labor_time_s,
    o.datefrom AS planned_start,
    o.dateto AS planned_finish,
    o.deadline,
    a.actual_start,
    a.actual_finish,
    round(extract(epoch FROM (a.actual_start AT TIME ZONE z.zone) - (o.datefrom AT TIME ZONE z.zone)) / 3600, 2)
        AS start_delay_hours,
    round(extract(epoch FROM (a.actual_finish AT TIME ZONE z.zone) - (o.dateto AT TIME ZONE z.zone)) / 3600, 2)
        AS finish_delay_hours,
    CASE
        WHEN o.state IN ('05declined', '07abandoned') OR coalesce(o.deadline, o.dateto) IS NULL THEN NULL
        WHEN o.state = '04completed' THEN a.actual_finish <= coalesce(o.deadline, o.dateto) + z.tolerance
        WHEN mes.plant_now() > coalesce(o.deadline, o.dateto) + z.tolerance THEN false
    END AS on_time
FROM mes.orders_order AS o
JOIN mes.product AS p ON p.id = o.product_id
CROSS JOIN LATERAL (
    SELECT
        coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), current_setting('TimeZone')) AS zone,
        coalesce(nullif(current_setting('erpmes.report_on_time_tolerance', true), ''), '0')::interval AS tolerance
) AS z
CROSS JOIN LATERAL (
    SELECT
        count(*) AS records,
        count(*) FILTER (WHERE t.iscorrection) AS corrections,
        sum(t.machinetime) AS machine_time,
        sum(t.labortime) AS labor_time,
        min(t.timerangefrom) AS first_from,
        max(t.timerangeto) AS last_to,
        sum(out.good) AS good,
        sum(out.scrap) AS scrap
    FROM mes.productiontracking AS t
    LEFT JOIN LATERAL (
        SELECT sum(coalesce(x.usedquantity, 0)) AS good, sum(coalesce(x.wastesquantity, 0)) AS scrap
        FROM mes.tracking_product_out AS x
        WHERE x.productiontracking_id = t.id AND x.product_id = o.product_id
    ) AS out ON true
    WHERE t.order_id = o.id AND t.state = '02accepted'
) AS tr
CROSS JOIN LATERAL (
    SELECT
        coalesce(o.effectivedatefrom, tr.first_from) AS actual_start,
        coalesce(o.effectivedateto, CASE WHEN o.state = '04completed' THEN tr.last_to END) AS actual_finish
) AS a;

COMMENT ON VIEW report.order_plan_actual IS
    'Plan vs actual per MES production order: planned vs produced (good) quantity of the order''s product, scrap, yield, % of theoretical yield, planned vs actual start/finish and on-time flag. Counts accepted production tracking records only: a correction record replaces the 04corrected record it corrects. Computed at query time from mes.orders_order, productiontracking, tracking_product_out.';
COMMENT ON COLUMN report.order_plan_actual.order_id IS 'mes.orders_order.id.';
COMMENT ON COLUMN report.order_plan_actual.order_number IS 'MES order number (ORD-000123).';
COMMENT ON COLUMN report.order_plan_actual.production IS 'The ERP manufacturing order (externalnumber); NULL for an MES-only order.';
COMMENT ON COLUMN report.order_plan_actual.state IS 'orders_order.state (01pending ... 07abandoned).';
COMMENT ON COLUMN report.order_plan_actual.product_id IS 'mes.product.id.';
COMMENT ON COLUMN report.order_plan_actual.product_code IS 'Product number (= ERP default_code).';
COMMENT ON COLUMN report.order_plan_actual.product_name IS 'Product name.';
COMMENT ON COLUMN report.order_plan_actual.unit IS 'The product''s unit; quantities are in it.';
COMMENT ON COLUMN report.order_plan_actual.planned_qty IS 'plannedquantity, also the theoretical yield.';
COMMENT ON COLUMN report.order_plan_actual.produced_qty IS 'Good quantity of the order''s product in accepted tracking records.';
COMMENT ON COLUMN report.order_plan_actual.scrap_qty IS 'Waste quantity of the order''s product in accepted tracking records.';
COMMENT ON COLUMN report.order_plan_actual.qty_variance IS 'produced_qty - planned_qty.';
COMMENT ON COLUMN report.order_plan_actual.yield_pct IS '100 * produced / (produced + scrap); NULL when both are 0.';
COMMENT ON COLUMN report.order_plan_actual.theoretical_yield_pct IS '100 * produced / planned; NULL when planned is 0.';
COMMENT ON COLUMN report.order_plan_actual.tracking_records IS 'Accepted tracking records of the order (all operations).';
COMMENT ON COLUMN report.order_plan_actual.corrections IS 'Of those, correction records.';
COMMENT ON COLUMN report.order_plan_actual.machine_time_s IS 'Sum of machinetime of accepted records, seconds.';
COMMENT ON COLUMN report.order_plan_actual.labor_time_s IS 'Sum of labortime of accepted records, seconds.';
COMMENT ON COLUMN report.order_plan_actual.planned_start IS 'datefrom, naive plant-local.';
COMMENT ON COLUMN report.order_plan_actual.planned_finish IS 'dateto, naive plant-local.';
COMMENT ON COLUMN report.order_plan_actual.deadline IS 'deadline, naive plant-local.';
COMMENT ON COLUMN report.order_plan_actual.actual_start IS 'effectivedatefrom, else the first accepted record''s timerangefrom.';
COMMENT ON COLUMN report.order_plan_actual.actual_finish IS 'effectivedateto, else for a 04completed order the last accepted record''s timerangeto.';
COMMENT ON COLUMN report.order_plan_actual.start_delay_hours IS 'actual_start - planned_start in hours, in the plant zone.';
COMMENT ON COLUMN report.order_plan_actual.finish_delay_hours IS 'actual_finish - planned_finish in hours, in the plant zone.';
COMMENT ON COLUMN report.order_plan_actual.on_time IS 'Completed by deadline (else planned finish) + tolerance; false if open and already past it; NULL while undecided, for declined or abandoned orders, or without a due date.';

SELECT report.apply_grants();
