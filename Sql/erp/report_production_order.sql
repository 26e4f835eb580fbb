-- Plan vs actual per manufacturing order, and schedule adherence per due day and product (issue 9),
-- on the ERP database: the ERP plan (mrp_production) against the MES actuals replicated into it
-- (flow 2: done finished-product and scrap moves, time logged on work centers).
--
-- Rules shared by both views:
--   * produced and scrap come from the done stock moves of the order's product with production_id =
--     the order (by-products, other products, are not counted), by where they go: out of a
--     'production' location into any other but a scrap location = produced; into a scrap location =
--     scrapped (whether from production, as flow 2 posts waste, or from stock, as an Odoo scrap
--     order does); the same moves the other way round are reversals and count negative. ERP moves
--     are immutable once done, so an MES correction arrives as forward or reversing moves: netting
--     them counts the correction and not the corrected record. stock_scrap rows are not read (a
--     done scrap order has its move, and a reversed waste leaves its scrap order as it was);
--   * quantities are converted to the order's unit with Odoo's factors (qty / from.factor *
--     to.factor), unrounded (5 decimals), trailing zeros trimmed;
--   * "on time" = actual finish <= due + tolerance, due = date_deadline, else the planned finish;
--     tolerance = the setting erpmes.report_on_time_tolerance (an interval, default 0), e.g.
--     SET erpmes.report_on_time_tolerance = '4 hours';
--   * plan and actual are kept apart: planned_start/planned_finish are the ERP's own dates (the
--     order-progress flow never overwrites them); actual_start/actual_finish are the MES's effective
--     dates as it reported them (erp.orders_mes_progress), else the first and last time logged or
--     moved in the ERP; the delays are actual - planned;
--   * timestamps are the ERP's naive UTC.
-- erpmes:requires report_schema.sql
-- erpmes:requires orders_common.sql

DROP VIEW IF EXISTS report.schedule_adherence;
DROP VIEW IF EXISTS report.production_order_plan_actual;

CREATE VIEW report.production_order_plan_actual AS
SELECT
    p.id AS production_id,
    p.name AS production,
    p.state,
    p.product_id,
    pp.default_code AS product_code,
    pt.name ->> 'en_US' AS product_name,
    p.product_uom_id AS uom_id,
    u.name ->> 'en_US' AS uom,
    trim_scale(p.product_qty) AS planned_qty,
    trim_scale(round(coalesce(fin.qty, 0), 5)) AS produced_qty,
    trim_scale(round(coalesce(fin.scrap, 0), 5)) AS scrap_qty,
    trim_scale(round(coalesce(fin.qty, 0) - p.product_qty, 5)) AS qty_variance,
    round(100 * coalesce(fin.qty, 0) / nullif(coalesce(fin.qty, 0) + coalesce(fin.scrap, 0), 0), 2) AS yield_pct,
    round(100 * coalesce(fin.qty, 0) / nullif(p.product_qty, 0), 2) AS theoretical_yield_pct,
    fin.corrections,
    tu.name ->> 'en_US' AS product_uom,
    trim_scale(round(p.product_qty / u.factor * tu.factor, 5)) AS planned_product_qty,
    trim_scale(round(coalesce(fin.qty, 0) / u.factor * tu.factor, 5)) AS produced_product_qty,
    p.date_start AS planned_start,
    p.date_finished AS planned_finish,
    p.date_deadline AS deadline,
    act.actual_start,
    act.actual_finish,
    round(extract(epoch FROM act.actual_start - p.date_start) / 3600, 2) AS start_delay_hours,
    round(extract(epoch FROM act.actual_finish - p.date_finished) / 3600, 2) AS finish_delay_hours,
    CASE
        WHEN p.state IN ('draft', 'cancel') OR coalesce(p.date_deadline, p.date_finished) IS NULL THEN NULL
        WHEN act.actual_finish IS NOT NULL THEN act.actual_finish <= coalesce(p.date_deadline, p.date_finished) + tol.tolerance
        WHEN now() AT TIME ZONE 'UTC' > coalesce(p.date_deadline, p.date_finished) + tol.tolerance THEN false
    END AS on_time
FROM erp.mrp_production AS p
JOIN erp.product_product AS pp ON pp.id = p.product_id
JOIN erp.product_template AS pt ON pt.id = pp.product_tmpl_id
JOIN erp.uom_uom AS u ON u.id = p.product_uom_id
JOIN erp.uom_uom AS tu ON tu.id = pt.uom_id
CROSS JOIN LATERAL (
    SELECT coalesce(nullif(current_setting('erpmes.report_on_time_tolerance', true), ''), '0')::interval AS tolerance
) AS tol
CROSS JOIN LATERAL (
    SELECT
        coalesce(array_agg(l.id) FILTER (WHERE l.usage = 'production'), '{}') AS production,
        coalesce(array_agg(l.id) FILTER (WHERE l.scrap_location), '{}') AS scrap
    FROM erp.stock_location AS l
) AS loc
LEFT JOIN LATERAL (
    SELECT
        sum(x.qty * x.produced) AS qty,
        sum(x.qty * x.scrapped) AS scrap,
        count(*) FILTER (WHERE x.produced < 0 OR x.scrapped < 0) AS corrections,
        max(x.date) FILTER (WHERE x.produced > 0) AS last_move
    FROM (
        SELECT m.date, m.quantity / mu.factor * u.factor AS qty,
            CASE
                WHEN m.location_id = ANY (loc.scrap) OR m.location_dest_id = ANY (loc.scrap) THEN 0
                WHEN m.location_id = ANY (loc.production) AND NOT m.location_dest_id = ANY (loc.production) THEN 1
                WHEN m.location_dest_id = ANY (loc.production) AND NOT m.location_id = ANY (loc.production) THEN -1
                ELSE 0
            END AS produced,
            CASE
                WHEN m.location_dest_id = ANY (loc.scrap) AND NOT m.location_id = ANY (loc.scrap) THEN 1
                WHEN m.location_id = ANY (loc.scrap) AND NOT m.location_dest_id = ANY (loc.scrap) THEN -1
                ELSE 0
            END AS scrapped
        FROM erp.stock_move AS m
        JOIN erp.uom_uom AS mu ON mu.id = m.product_uom
        WHERE m.production_id = p.id AND m.product_id = p.product_id AND m.state = 'done'
    ) AS x
) AS fin ON true
LEFT JOIN LATERAL (
    -- time logged on the work centers for the order's work orders
    SELECT min(t.date_start) AS first_start, max(t.date_end) AS last_finish
    FROM erp.mrp_workorder AS w
    JOIN erp.mrp_workcenter_productivity AS t ON t.workorder_id = w.id
    WHERE w.production_id = p.id
) AS wo ON true
LEFT JOIN LATERAL (
    SELECT min(m.date) AS first_move
    FROM erp.stock_move AS m
    WHERE (m.production_id = p.id OR m.raw_material_production_id = p.id) AND m.state = 'done'
) AS mv ON true
-- The MES's effective dates, as it reported them (flow "order progress"), where it has.
LEFT JOIN erp.orders_mes_progress AS mes ON mes.production_id = p.id
CROSS JOIN LATERAL (
    SELECT
        coalesce(erp.orders_utc_parse(mes.vals->>'effective_start'), least(wo.first_start, mv.first_move)) AS actual_start,
        CASE WHEN p.state IN ('to_close', 'done') OR mes.vals->>'effective_end' IS NOT NULL
             THEN coalesce(erp.orders_utc_parse(mes.vals->>'effective_end'), greatest(wo.last_finish, fin.last_move)) END
            AS actual_finish
) AS act;

COMMENT ON VIEW report.production_order_plan_actual IS
    'Plan vs actual per manufacturing order: planned vs produced quantity, scrap, yield, % of theoretical yield, planned vs actual start/finish and on-time flag. Produced = done moves of the order''s product out of production (not to scrap), scrap = done moves of it into a scrap location; reversing moves (how an MES correction arrives: the correction replaces the corrected record) count negative. Quantities in the order''s unit. Computed at query time from erp.mrp_production, stock_move, stock_location, mrp_workorder, mrp_workcenter_productivity.';
COMMENT ON COLUMN report.production_order_plan_actual.production_id IS 'erp.mrp_production.id.';
COMMENT ON COLUMN report.production_order_plan_actual.production IS 'Manufacturing order name (WH/MO/00012), the key the MES knows as orders_order.externalnumber.';
COMMENT ON COLUMN report.production_order_plan_actual.state IS 'mrp_production.state (draft, confirmed, progress, to_close, done, cancel).';
COMMENT ON COLUMN report.production_order_plan_actual.product_id IS 'Finished product (erp.product_product.id).';
COMMENT ON COLUMN report.production_order_plan_actual.product_code IS 'Finished product''s default_code (= MES product.number).';
COMMENT ON COLUMN report.production_order_plan_actual.product_name IS 'Finished product name (en_US).';
COMMENT ON COLUMN report.production_order_plan_actual.uom_id IS 'The order''s unit (mrp_production.product_uom_id); every quantity of the row is in it.';
COMMENT ON COLUMN report.production_order_plan_actual.uom IS 'Name of the order''s unit.';
COMMENT ON COLUMN report.production_order_plan_actual.planned_qty IS 'Planned quantity (product_qty): also the theoretical yield, the quantity the BoM sized the components for.';
COMMENT ON COLUMN report.production_order_plan_actual.produced_qty IS 'Good quantity produced: done moves of the product out of a production location (not to scrap), minus the reversing ones (corrections).';
COMMENT ON COLUMN report.production_order_plan_actual.scrap_qty IS 'Scrapped finished product: done moves of the product into a scrap location, minus those back out (a smaller waste in a correction).';
COMMENT ON COLUMN report.production_order_plan_actual.qty_variance IS 'produced_qty - planned_qty (negative: short).';
COMMENT ON COLUMN report.production_order_plan_actual.yield_pct IS 'Actual yield, 100 * produced / (produced + scrap); NULL when nothing was produced or scrapped.';
COMMENT ON COLUMN report.production_order_plan_actual.theoretical_yield_pct IS 'Percentage of theoretical yield (21 CFR 211.103), 100 * produced / planned.';
COMMENT ON COLUMN report.production_order_plan_actual.corrections IS 'Number of reversing moves (corrections) netted into produced_qty and scrap_qty.';
COMMENT ON COLUMN report.production_order_plan_actual.product_uom IS 'The product''s own unit (its template''s uom_id).';
COMMENT ON COLUMN report.production_order_plan_actual.planned_product_qty IS 'planned_qty in the product''s unit, to sum over orders of the product.';
COMMENT ON COLUMN report.production_order_plan_actual.produced_product_qty IS 'produced_qty in the product''s unit, to sum over orders of the product.';
COMMENT ON COLUMN report.production_order_plan_actual.planned_start IS 'Planned start (date_start), naive UTC.';
COMMENT ON COLUMN report.production_order_plan_actual.planned_finish IS 'Planned finish (date_finished), naive UTC; never overwritten by the MES (stock Odoo writes the real end there, this pack keeps it apart).';
COMMENT ON COLUMN report.production_order_plan_actual.deadline IS 'Due date (date_deadline), naive UTC.';
COMMENT ON COLUMN report.production_order_plan_actual.actual_start IS 'The MES''s effective start (erp.orders_mes_progress), else the earliest time logged on a work center for the order (mrp_workcenter_productivity) or earliest done move of the order (component or finished), naive UTC.';
COMMENT ON COLUMN report.production_order_plan_actual.actual_finish IS 'The MES''s effective end (erp.orders_mes_progress), else, once the order is to_close or done, the end of its last logged work-center time or its latest finished-product move, whichever is later; NULL before.';
COMMENT ON COLUMN report.production_order_plan_actual.start_delay_hours IS 'actual_start - planned_start in hours (negative: early).';
COMMENT ON COLUMN report.production_order_plan_actual.finish_delay_hours IS 'actual_finish - planned_finish in hours (negative: early).';
COMMENT ON COLUMN report.production_order_plan_actual.on_time IS 'Finished by due (deadline, else planned finish) + erpmes.report_on_time_tolerance; false for an open order already past due; NULL while undecided, for draft and cancelled orders, or without a due date.';

-- Schedule adherence: one row per due day (UTC) and product, over the orders that are not draft
-- or cancelled. Counts and quantities add up over days; the percentages do not (recompute them).
CREATE VIEW report.schedule_adherence AS
SELECT
    coalesce(o.deadline, o.planned_finish)::date AS due_date,
    o.product_id,
    o.product_code,
    o.product_name,
    min(o.product_uom) AS uom,
    count(*) AS orders_scheduled,
    count(o.actual_finish) AS orders_completed,
    count(*) FILTER (WHERE o.on_time) AS orders_on_time,
    count(*) FILTER (WHERE NOT o.on_time) AS orders_late,
    round(100.0 * count(*) FILTER (WHERE o.on_time) / nullif(count(o.on_time), 0), 2) AS schedule_adherence_pct,
    trim_scale(sum(o.planned_product_qty)) AS planned_qty,
    trim_scale(sum(o.produced_product_qty)) AS produced_qty,
    round(100 * sum(o.produced_product_qty) / nullif(sum(o.planned_product_qty), 0), 2) AS volume_adherence_pct
FROM report.production_order_plan_actual AS o
WHERE o.state NOT IN ('draft', 'cancel') AND coalesce(o.deadline, o.planned_finish) IS NOT NULL
GROUP BY 1, o.product_id, o.product_code, o.product_name;

COMMENT ON VIEW report.schedule_adherence IS
    'Schedule adherence per due day (UTC date of deadline, else planned finish) and product, over orders neither draft nor cancelled: orders completed on time / orders decided (on time or late), and volume adherence = produced / planned. Built on report.production_order_plan_actual (same rules: corrections netted, tolerance erpmes.report_on_time_tolerance).';
COMMENT ON COLUMN report.schedule_adherence.due_date IS 'UTC date the orders are due (deadline, else planned finish).';
COMMENT ON COLUMN report.schedule_adherence.product_id IS 'Finished product (erp.product_product.id).';
COMMENT ON COLUMN report.schedule_adherence.product_code IS 'Finished product''s default_code.';
COMMENT ON COLUMN report.schedule_adherence.product_name IS 'Finished product name (en_US).';
COMMENT ON COLUMN report.schedule_adherence.uom IS 'The product''s unit (its template''s uom_id): planned_qty and produced_qty are converted to it.';
COMMENT ON COLUMN report.schedule_adherence.orders_scheduled IS 'Orders due that day (not draft, not cancelled).';
COMMENT ON COLUMN report.schedule_adherence.orders_completed IS 'Of those, orders with an actual finish (to_close or done).';
COMMENT ON COLUMN report.schedule_adherence.orders_on_time IS 'Orders finished by due + tolerance.';
COMMENT ON COLUMN report.schedule_adherence.orders_late IS 'Orders finished late, or open and already past due + tolerance.';
COMMENT ON COLUMN report.schedule_adherence.schedule_adherence_pct IS '100 * orders_on_time / (orders_on_time + orders_late); NULL while no order is decided.';
COMMENT ON COLUMN report.schedule_adherence.planned_qty IS 'Sum of planned quantities, in the product''s unit.';
COMMENT ON COLUMN report.schedule_adherence.produced_qty IS 'Sum of produced (good) quantities, corrections netted, in the product''s unit.';
COMMENT ON COLUMN report.schedule_adherence.volume_adherence_pct IS 'Volume adherence, 100 * produced_qty / planned_qty.';

SELECT report.apply_grants();
