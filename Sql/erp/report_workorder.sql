-- Plan vs actual per operation (work order) of a manufacturing order (issue 9), on the ERP
-- database: planned quantity and duration (mrp_production, mrp_workorder.duration_expected) against
-- the MES actuals replicated into the ERP (flow 2 posts each production record's moves with the
-- work order of its workstation; flow 4 logs the MES time on the work center).
--   produced = done moves of the order's product with workorder_id = the work order, out of a
--              production location (not to scrap), minus the reversing ones (corrections); a work
--              order without such moves shows mrp_workorder.qty_produced (recorded in the ERP);
--   scrap    = done moves of the order's product with workorder_id = the work order into a scrap
--              location, minus those back out;
--   planned start and finish are the work order's scheduled slot (date_start, date_finished); the
--   actual ones and the actual duration come from the time logged on the work center for it
--   (mrp_workcenter_productivity: productive and loss time, as Odoo's duration), else duration.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.workorder_plan_actual;

CREATE VIEW report.workorder_plan_actual AS
SELECT
    w.id AS workorder_id,
    w.name AS workorder,
    w.production_id,
    p.name AS production,
    w.sequence,
    w.workcenter_id,
    wc.code AS workcenter_code,
    wc.name AS workcenter_name,
    w.state,
    w.product_uom_id AS uom_id,
    wu.name ->> 'en_US' AS uom,
    trim_scale(round(p.product_qty / pu.factor * wu.factor, 5)) AS planned_qty,
    trim_scale(round(pq.produced, 5)) AS produced_qty,
    trim_scale(round(coalesce(mv.scrap, 0), 5)) AS scrap_qty,
    trim_scale(round(pq.produced - p.product_qty / pu.factor * wu.factor, 5)) AS qty_variance,
    round(100 * pq.produced / nullif(pq.produced + coalesce(mv.scrap, 0), 0), 2) AS yield_pct,
    trim_scale(w.duration_expected) AS planned_duration_min,
    trim_scale(round(coalesce(tl.minutes, w.duration), 2)) AS actual_duration_min,
    trim_scale(round(coalesce(tl.minutes, w.duration) - w.duration_expected, 2)) AS duration_variance_min,
    w.date_start AS planned_start,
    w.date_finished AS planned_finish,
    tl.first_start AS actual_start,
    CASE WHEN w.state = 'done' THEN tl.last_end END AS actual_finish,
    round(extract(epoch FROM tl.first_start - w.date_start) / 3600, 2) AS start_delay_hours,
    round(extract(epoch FROM CASE WHEN w.state = 'done' THEN tl.last_end END - w.date_finished) / 3600, 2)
        AS finish_delay_hours,
    CASE
        WHEN w.state = 'cancel' OR w.date_finished IS NULL THEN NULL
        WHEN w.state = 'done' THEN tl.last_end <= w.date_finished + tol.tolerance
        WHEN now() AT TIME ZONE 'UTC' > w.date_finished + tol.tolerance THEN false
    END AS on_time,
    mv.moves > 0 AS produced_from_moves
FROM erp.mrp_workorder AS w
JOIN erp.mrp_production AS p ON p.id = w.production_id
JOIN erp.mrp_workcenter AS wc ON wc.id = w.workcenter_id
JOIN erp.uom_uom AS wu ON wu.id = w.product_uom_id
JOIN erp.uom_uom AS pu ON pu.id = p.product_uom_id
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
        count(*) FILTER (WHERE x.produced <> 0) AS moves,
        sum(x.qty * x.produced) AS qty,
        sum(x.qty * x.scrapped) AS scrap
    FROM (
        SELECT m.quantity / mu.factor * wu.factor AS qty,
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
        WHERE m.workorder_id = w.id AND m.product_id = p.product_id AND m.state = 'done'
    ) AS x
) AS mv ON true
LEFT JOIN LATERAL (
    SELECT
        min(t.date_start) AS first_start,
        max(t.date_end) AS last_end,
        sum(coalesce(t.duration, extract(epoch FROM t.date_end - t.date_start) / 60)) AS minutes
    FROM erp.mrp_workcenter_productivity AS t
    WHERE t.workorder_id = w.id
    HAVING count(*) > 0
) AS tl ON true
CROSS JOIN LATERAL (
    SELECT CASE WHEN mv.moves > 0 THEN mv.qty ELSE coalesce(w.qty_produced, 0) END AS produced
) AS pq;

COMMENT ON VIEW report.workorder_plan_actual IS
    'Plan vs actual per operation (work order): planned vs produced quantity, scrap, yield, planned vs actual duration, planned vs actual start/finish and on-time flag. produced/scrap = done moves of the order''s product posted against the work order (out of production / into scrap), reversing moves (MES corrections, which replace the corrected record) netted; without such moves, mrp_workorder.qty_produced. Actual times from mrp_workcenter_productivity. Computed at query time.';
COMMENT ON COLUMN report.workorder_plan_actual.workorder_id IS 'erp.mrp_workorder.id.';
COMMENT ON COLUMN report.workorder_plan_actual.workorder IS 'Work order (operation) name.';
COMMENT ON COLUMN report.workorder_plan_actual.production_id IS 'Its manufacturing order (erp.mrp_production.id).';
COMMENT ON COLUMN report.workorder_plan_actual.production IS 'Manufacturing order name.';
COMMENT ON COLUMN report.workorder_plan_actual.sequence IS 'Order of the operation within the manufacturing order.';
COMMENT ON COLUMN report.workorder_plan_actual.workcenter_id IS 'Work center (erp.mrp_workcenter.id).';
COMMENT ON COLUMN report.workorder_plan_actual.workcenter_code IS 'Work center code (= MES workstation.number).';
COMMENT ON COLUMN report.workorder_plan_actual.workcenter_name IS 'Work center name.';
COMMENT ON COLUMN report.workorder_plan_actual.state IS 'mrp_workorder.state (pending, waiting, ready, progress, done, cancel).';
COMMENT ON COLUMN report.workorder_plan_actual.uom_id IS 'The work order''s unit (product_uom_id); every quantity of the row is in it.';
COMMENT ON COLUMN report.workorder_plan_actual.uom IS 'Name of the work order''s unit.';
COMMENT ON COLUMN report.workorder_plan_actual.planned_qty IS 'The order''s planned quantity converted to the work order''s unit.';
COMMENT ON COLUMN report.workorder_plan_actual.produced_qty IS 'Quantity produced at this operation: its net produced moves, else mrp_workorder.qty_produced (see produced_from_moves).';
COMMENT ON COLUMN report.workorder_plan_actual.scrap_qty IS 'Net quantity of the order''s product scrapped at this operation (moves into a scrap location minus back out).';
COMMENT ON COLUMN report.workorder_plan_actual.qty_variance IS 'produced_qty - planned_qty.';
COMMENT ON COLUMN report.workorder_plan_actual.yield_pct IS '100 * produced / (produced + scrap); NULL when both are 0.';
COMMENT ON COLUMN report.workorder_plan_actual.planned_duration_min IS 'Expected duration, minutes (duration_expected).';
COMMENT ON COLUMN report.workorder_plan_actual.actual_duration_min IS 'Logged time in minutes: sum of mrp_workcenter_productivity rows, else mrp_workorder.duration.';
COMMENT ON COLUMN report.workorder_plan_actual.duration_variance_min IS 'actual_duration_min - planned_duration_min.';
COMMENT ON COLUMN report.workorder_plan_actual.planned_start IS 'Scheduled start (date_start), naive UTC.';
COMMENT ON COLUMN report.workorder_plan_actual.planned_finish IS 'Scheduled finish (date_finished), naive UTC.';
COMMENT ON COLUMN report.workorder_plan_actual.actual_start IS 'First logged time on the work center for this work order, naive UTC.';
COMMENT ON COLUMN report.workorder_plan_actual.actual_finish IS 'End of the last logged time, once the work order is done; naive UTC.';
COMMENT ON COLUMN report.workorder_plan_actual.start_delay_hours IS 'actual_start - planned_start in hours.';
COMMENT ON COLUMN report.workorder_plan_actual.finish_delay_hours IS 'actual_finish - planned_finish in hours.';
COMMENT ON COLUMN report.workorder_plan_actual.produced_from_moves IS 'True when produced_qty comes from moves posted against the work order, false when from mrp_workorder.qty_produced.';
COMMENT ON COLUMN report.workorder_plan_actual.on_time IS 'Done by planned finish + erpmes.report_on_time_tolerance; false if open and already past it; NULL while undecided or cancelled.';

SELECT report.apply_grants();
