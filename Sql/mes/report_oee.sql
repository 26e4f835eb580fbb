-- Downtime by reason and OEE per workstation and shift, the ISO 22400-2 way (issue 9), on the MES
-- database. Every view here is computed at query time from the base tables:
--   report.workstation_shift          the planned windows: one row per workstation and working-
--                                     calendar day and shift (a calendar row of a production line
--                                     applies to each of its workstations that has no row of its own);
--   report.workstation_shift_event    the time events overlapping each window, clipped to it;
--   report.downtime_by_reason         downtime per workstation, shift and reason;
--   report.oee_shift                  availability, effectiveness, quality ratio and OEE.
--
-- Definitions (seconds; naive plant-local timestamps are read in the plant zone, the setting
-- erpmes.plant_tz, else the session TimeZone, so DST nights have their real length):
--   POT  planned operation time = plannedbusyto - plannedbusyfrom of the calendar row;
--   planned downtime = the calendar's planneddowntime (breaks it plans that are not logged) + the
--        logged planned stops in the window; PBT planned busy time = POT - planned downtime (>= 0);
--   time events: the workstation's equipment_state_history where it has any in the window
--        (RUN = production; PLANNED_STOP or a planned reason = planned stop; DOWN, IDLE, SETUP =
--        downtime), else its stoppages (a planned reason = planned stop, others = downtime);
--        never both, so one event is not counted twice;
--   APT  actual production time = RUN time (state history), else PBT - downtime (>= 0);
--   PQ / GQ / SQ = produced / good / scrap quantity: tracking_product_out (usedquantity = good,
--        wastesquantity = scrap, PQ = GQ + SQ) of the accepted (02accepted) production tracking
--        records of the workstation that overlap the window. A record that spans windows (a shift
--        change) counts in each by its overlap: its quantities pro rata to the share of its time
--        range (timerangefrom-timerangeto) inside the window; a record without a time range counts
--        wholly where it starts. A correction is itself an accepted record and
--        replaces the one it corrects, which is 04corrected and not counted;
--   PRU  planned run time per unit = technology_operation.tj / productioninonecycle of the record's
--        operation, in the unit of the product it makes (records without an operation add no
--        planned run time, and are listed in report.kpi_anomalies);
--   quantities are never added across units: produced_qty, good_qty and scrap_qty are shown when
--        every product of the window has one unit (column unit), else NULL; aggregates over
--        products go through time: planned_run_time_s = sum(PRU * PQ) (ideal time of what was
--        made), good_run_time_s = sum(PRU * GQ) (ideal time of the good part);
--   availability = APT / PBT (1 when PBT = 0, the ThingWorx convention); APT is never above PBT
--        (RUN time during planned downtime is listed in report.kpi_anomalies);
--   effectiveness = sum(PRU * PQ) / APT (above 1 only when the ideal rates or the logged times are
--        wrong: report.kpi_anomalies lists each such window with the reason);
--   quality ratio = sum(PRU * GQ) / sum(PRU * PQ), which is GQ / PQ for one product; for records
--        without a PRU, GQ / PQ when the window has one unit, else NULL;
--   a ratio whose base is 0 is NULL;
--   OEE = availability * effectiveness * quality ratio (= sum(PRU * GQ) / PBT); 0 when
--        availability or effectiveness is 0 (planned time without production), NULL when a factor
--        is NULL otherwise.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.kpi_anomalies;
DROP VIEW IF EXISTS report.oee_shift;
DROP VIEW IF EXISTS report.downtime_by_reason;
DROP VIEW IF EXISTS report.workstation_shift_event;
DROP VIEW IF EXISTS report.workstation_shift;

CREATE VIEW report.workstation_shift AS
SELECT
    c.workstation_id,
    ws.number AS workstation,
    ws.productionline_id,
    c.calendar_id,
    c.date,
    c.shift_id,
    sh.name AS shift,
    c.plannedbusyfrom,
    c.plannedbusyto,
    c.planneddowntime,
    c.plannedbusyfrom AT TIME ZONE z.zone AS window_start,
    c.plannedbusyto AT TIME ZONE z.zone AS window_end
FROM (
    SELECT wc.workstation_id, wc.id AS calendar_id, wc.date, wc.shift_id, wc.plannedbusyfrom, wc.plannedbusyto,
        wc.planneddowntime
    FROM mes.workingcalendar AS wc
    WHERE wc.workstation_id IS NOT NULL
    UNION ALL
    SELECT lw.id, wc.id, wc.date, wc.shift_id, wc.plannedbusyfrom, wc.plannedbusyto, wc.planneddowntime
    FROM mes.workingcalendar AS wc
    JOIN mes.workstation AS lw ON lw.productionline_id = wc.productionline_id
    WHERE wc.productionline_id IS NOT NULL
        AND NOT EXISTS (
            SELECT FROM mes.workingcalendar AS own
            WHERE own.workstation_id = lw.id AND own.date = wc.date AND own.shift_id = wc.shift_id
        )
) AS c
JOIN mes.workstation AS ws ON ws.id = c.workstation_id
JOIN mes.shift AS sh ON sh.id = c.shift_id
CROSS JOIN LATERAL (
    SELECT coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), current_setting('TimeZone')) AS zone
) AS z;

COMMENT ON VIEW report.workstation_shift IS
    'Planned windows for OEE: one row per workstation and working-calendar day and shift; a production line''s calendar row applies to each of its workstations without a row of their own. window_start/window_end are the naive plant-local bounds read in the plant zone (erpmes.plant_tz, else the session TimeZone).';
COMMENT ON COLUMN report.workstation_shift.workstation_id IS 'mes.workstation.id.';
COMMENT ON COLUMN report.workstation_shift.workstation IS 'Workstation number (= ERP work center code).';
COMMENT ON COLUMN report.workstation_shift.productionline_id IS 'Its production line.';
COMMENT ON COLUMN report.workstation_shift.calendar_id IS 'The mes.workingcalendar row the window comes from (the workstation''s or its line''s).';
COMMENT ON COLUMN report.workstation_shift.date IS 'Production day (a night shift belongs to the day it starts).';
COMMENT ON COLUMN report.workstation_shift.shift_id IS 'mes.shift.id.';
COMMENT ON COLUMN report.workstation_shift.shift IS 'Shift name.';
COMMENT ON COLUMN report.workstation_shift.plannedbusyfrom IS 'Planned start, naive plant-local.';
COMMENT ON COLUMN report.workstation_shift.plannedbusyto IS 'Planned end, naive plant-local.';
COMMENT ON COLUMN report.workstation_shift.planneddowntime IS 'Planned downtime the calendar declares in the window (seconds), not logged as stoppages.';
COMMENT ON COLUMN report.workstation_shift.window_start IS 'Planned start as an instant (timestamptz).';
COMMENT ON COLUMN report.workstation_shift.window_end IS 'Planned end as an instant (timestamptz).';

-- Events are found through the GiST indexes of Migrations/mes/V3__report_indexes.sql, on
-- (int8range(workstation_id, workstation_id, '[]'), tsrange(start, end)): the workstation is
-- matched as a one-point range (`@>`, same as `=`) so that one index answers both conditions (core
-- GiST has no bigint equality without btree_gist). The window is widened by 3 hours because naive
-- plant-local bounds can lie across a DST change; the exact overlap is computed on instants.
CREATE VIEW report.workstation_shift_event AS
SELECT
    w.workstation_id,
    w.workstation,
    w.calendar_id,
    w.date,
    w.shift_id,
    w.shift,
    e.source,
    e.event_id,
    e.statecode,
    e.reason_id,
    r.name AS reason,
    r.type AS reason_type,
    CASE
        WHEN e.statecode = 'RUN' THEN 'run'
        WHEN e.statecode = 'PLANNED_STOP' OR r.planned THEN 'planned_stop'
        ELSE 'downtime'
    END AS kind,
    e.event_start,
    e.event_end,
    trim_scale(round(extract(epoch FROM least(e.event_end, w.window_end) - greatest(e.event_start, w.window_start)), 3))
        AS seconds
FROM report.workstation_shift AS w
CROSS JOIN LATERAL (
    SELECT 'state_history' AS source, h.id AS event_id, h.statecode, h.reason_id,
        h.startdatetime AT TIME ZONE z.zone AS event_start,
        coalesce(h.enddatetime AT TIME ZONE z.zone, now()) AS event_end
    FROM mes.equipment_state_history AS h
    CROSS JOIN LATERAL (
        SELECT coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), current_setting('TimeZone')) AS zone
    ) AS z
    WHERE int8range(h.workstation_id, h.workstation_id, '[]') @> w.workstation_id
        AND tsrange(h.startdatetime, CASE WHEN h.enddatetime IS NOT NULL THEN greatest(h.startdatetime, h.enddatetime) END, '[]')
            && tsrange(least(w.plannedbusyfrom, w.plannedbusyto) - interval '3 hours',
                greatest(w.plannedbusyfrom, w.plannedbusyto) + interval '3 hours', '[]')
    UNION ALL
    SELECT 'stoppages', s.id, NULL, s.reason_id,
        s.datefrom AT TIME ZONE z.zone,
        CASE
            WHEN s.duration IS NOT NULL THEN (s.datefrom AT TIME ZONE z.zone) + s.duration * interval '1 second'
            WHEN s.dateto IS NOT NULL THEN s.dateto AT TIME ZONE z.zone
            ELSE now()
        END
    FROM mes.stoppage AS s
    CROSS JOIN LATERAL (
        SELECT coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), current_setting('TimeZone')) AS zone
    ) AS z
    WHERE int8range(s.workstation_id, s.workstation_id, '[]') @> w.workstation_id
        AND tsrange(s.datefrom, CASE WHEN s.dateto IS NOT NULL THEN greatest(s.datefrom, s.dateto) END, '[]')
            && tsrange(least(w.plannedbusyfrom, w.plannedbusyto) - interval '3 hours',
                greatest(w.plannedbusyfrom, w.plannedbusyto) + interval '3 hours', '[]')
        AND NOT EXISTS (
            SELECT FROM mes.equipment_state_history AS h
            WHERE int8range(h.workstation_id, h.workstation_id, '[]') @> w.workstation_id
                AND tsrange(h.startdatetime, CASE WHEN h.enddatetime IS NOT NULL THEN greatest(h.startdatetime, h.enddatetime) END, '[]')
                    && tsrange(least(w.plannedbusyfrom, w.plannedbusyto) - interval '3 hours',
                        greatest(w.plannedbusyfrom, w.plannedbusyto) + interval '3 hours', '[]')
                AND h.startdatetime AT TIME ZONE z.zone < w.window_end
                AND coalesce(h.enddatetime AT TIME ZONE z.zone, now()) > w.window_start
        )
) AS e
LEFT JOIN mes.stoppage_reason AS r ON r.id = e.reason_id
WHERE e.event_start < w.window_end AND e.event_end > w.window_start;

COMMENT ON VIEW report.workstation_shift_event IS
    'Time events of each planned window (report.workstation_shift), clipped to it: the workstation''s equipment_state_history intervals where it has any in the window, else its stoppages (never both). kind: run (RUN), planned_stop (PLANNED_STOP or a planned reason: excluded from planned busy time), downtime (anything else). Open events run until now.';
COMMENT ON COLUMN report.workstation_shift_event.workstation_id IS 'mes.workstation.id.';
COMMENT ON COLUMN report.workstation_shift_event.workstation IS 'Workstation number.';
COMMENT ON COLUMN report.workstation_shift_event.calendar_id IS 'The window''s mes.workingcalendar row.';
COMMENT ON COLUMN report.workstation_shift_event.date IS 'Production day of the window.';
COMMENT ON COLUMN report.workstation_shift_event.shift_id IS 'mes.shift.id.';
COMMENT ON COLUMN report.workstation_shift_event.shift IS 'Shift name.';
COMMENT ON COLUMN report.workstation_shift_event.source IS 'state_history (mes.equipment_state_history) or stoppages (mes.stoppage).';
COMMENT ON COLUMN report.workstation_shift_event.event_id IS 'id of the equipment_state_history or stoppage row.';
COMMENT ON COLUMN report.workstation_shift_event.statecode IS 'RUN, IDLE, DOWN, SETUP or PLANNED_STOP for state history; NULL for stoppages.';
COMMENT ON COLUMN report.workstation_shift_event.reason_id IS 'mes.stoppage_reason.id, if any.';
COMMENT ON COLUMN report.workstation_shift_event.reason IS 'Reason name.';
COMMENT ON COLUMN report.workstation_shift_event.reason_type IS '01failure or 02other.';
COMMENT ON COLUMN report.workstation_shift_event.kind IS 'run, planned_stop or downtime.';
COMMENT ON COLUMN report.workstation_shift_event.event_start IS 'Start of the event, an instant.';
COMMENT ON COLUMN report.workstation_shift_event.event_end IS 'End of the event (stoppage: start + duration when recorded), an instant; now() while open.';
COMMENT ON COLUMN report.workstation_shift_event.seconds IS 'Seconds of the event inside the window.';

CREATE VIEW report.downtime_by_reason AS
SELECT
    e.workstation_id,
    e.workstation,
    e.date,
    e.shift_id,
    e.shift,
    e.source,
    e.kind = 'planned_stop' AS planned,
    e.reason_id,
    coalesce(e.reason, e.statecode) AS reason,
    e.reason_type,
    count(*) AS events,
    trim_scale(sum(e.seconds)) AS seconds
FROM report.workstation_shift_event AS e
WHERE e.kind <> 'run'
GROUP BY e.workstation_id, e.workstation, e.date, e.shift_id, e.shift, e.source, e.kind = 'planned_stop', e.reason_id,
    coalesce(e.reason, e.statecode), e.reason_type;

COMMENT ON VIEW report.downtime_by_reason IS
    'Downtime per workstation, production day, shift and reason (the reason''s name, else the equipment state code), in seconds inside the planned window. planned = true rows are planned stops: they are taken out of planned busy time, not counted as downtime in report.oee_shift. Built on report.workstation_shift_event.';
COMMENT ON COLUMN report.downtime_by_reason.workstation_id IS 'mes.workstation.id.';
COMMENT ON COLUMN report.downtime_by_reason.workstation IS 'Workstation number.';
COMMENT ON COLUMN report.downtime_by_reason.date IS 'Production day.';
COMMENT ON COLUMN report.downtime_by_reason.shift_id IS 'mes.shift.id.';
COMMENT ON COLUMN report.downtime_by_reason.shift IS 'Shift name.';
COMMENT ON COLUMN report.downtime_by_reason.source IS 'state_history or stoppages.';
COMMENT ON COLUMN report.downtime_by_reason.planned IS 'A planned stop (excluded from the OEE base), not downtime.';
COMMENT ON COLUMN report.downtime_by_reason.reason_id IS 'mes.stoppage_reason.id; NULL for a state without a reason.';
COMMENT ON COLUMN report.downtime_by_reason.reason IS 'Reason name, else the state code (DOWN, IDLE, SETUP, PLANNED_STOP).';
COMMENT ON COLUMN report.downtime_by_reason.reason_type IS '01failure or 02other.';
COMMENT ON COLUMN report.downtime_by_reason.events IS 'Number of events.';
COMMENT ON COLUMN report.downtime_by_reason.seconds IS 'Their seconds inside the window.';

CREATE VIEW report.oee_shift AS
SELECT
    w.workstation_id,
    w.workstation,
    w.date,
    w.shift_id,
    w.shift,
    w.plannedbusyfrom AS planned_busy_from,
    w.plannedbusyto AS planned_busy_to,
    CASE WHEN ev.has_states THEN 'state_history' ELSE 'stoppages' END AS time_source,
    t.pot AS planned_operation_time_s,
    trim_scale(t.planned_downtime) AS planned_downtime_s,
    trim_scale(t.pbt) AS planned_busy_time_s,
    trim_scale(t.downtime) AS downtime_s,
    trim_scale(t.run) AS run_time_s,
    trim_scale(t.apt) AS actual_production_time_s,
    trim_scale(round(coalesce(pr.planned_run, 0), 3)) AS planned_run_time_s,
    trim_scale(round(coalesce(pr.good_run, 0), 3)) AS good_run_time_s,
    CASE WHEN coalesce(pr.units, 0) <= 1 THEN pr.unit END AS unit,
    coalesce(pr.products, 0) AS products,
    CASE WHEN coalesce(pr.units, 0) <= 1 THEN trim_scale(round(coalesce(pr.pq, 0), 5)) END AS produced_qty,
    CASE WHEN coalesce(pr.units, 0) <= 1 THEN trim_scale(round(coalesce(pr.gq, 0), 5)) END AS good_qty,
    CASE WHEN coalesce(pr.units, 0) <= 1 THEN trim_scale(round(coalesce(pr.sq, 0), 5)) END AS scrap_qty,
    coalesce(pr.records, 0) AS tracking_records,
    coalesce(pr.corrections, 0) AS corrections,
    coalesce(pr.without_rate, 0) AS records_without_rate,
    coalesce(pr.spanning, 0) AS records_spanning,
    round(k.availability, 4) AS availability,
    round(k.effectiveness, 4) AS effectiveness,
    round(k.quality_ratio, 4) AS quality_ratio,
    round(CASE WHEN k.availability = 0 OR k.effectiveness = 0 THEN 0
        ELSE k.availability * k.effectiveness * k.quality_ratio END, 4) AS oee
FROM report.workstation_shift AS w
LEFT JOIN LATERAL (
    SELECT
        bool_or(e.source = 'state_history') AS has_states,
        sum(e.seconds) FILTER (WHERE e.kind = 'run') AS run,
        sum(e.seconds) FILTER (WHERE e.kind = 'planned_stop') AS planned_stop,
        sum(e.seconds) FILTER (WHERE e.kind = 'downtime') AS downtime
    FROM report.workstation_shift_event AS e
    WHERE e.calendar_id = w.calendar_id AND e.workstation_id = w.workstation_id
) AS ev ON true
LEFT JOIN LATERAL (
    SELECT
        count(DISTINCT r.id) AS records,
        count(DISTINCT r.id) FILTER (WHERE r.iscorrection) AS corrections,
        count(DISTINCT r.id) FILTER (WHERE r.pru IS NULL) AS without_rate,
        count(DISTINCT r.id) FILTER (WHERE r.share < 1) AS spanning,
        count(DISTINCT r.product_id) AS products,
        count(DISTINCT r.unit) AS units,
        min(r.unit) AS unit,
        sum(r.pq * r.share) AS pq,
        sum(r.gq * r.share) AS gq,
        sum(r.sq * r.share) AS sq,
        sum(r.pq * r.share * r.pru) AS planned_run,
        sum(r.gq * r.share * r.pru) AS good_run
    FROM (
        SELECT pt.id, pt.iscorrection, o.product_id, p.unit,
            coalesce(o.usedquantity, 0) + coalesce(o.wastesquantity, 0) AS pq,
            coalesce(o.usedquantity, 0) AS gq,
            coalesce(o.wastesquantity, 0) AS sq,
            op.tj / nullif(op.productioninonecycle, 0) AS pru,
            -- The share of the record's time range inside the window (instants, DST-aware).
            CASE
                WHEN pt.timerangeto IS NULL OR pt.timerangeto <= pt.timerangefrom THEN
                    CASE WHEN pt.timerangefrom >= w.plannedbusyfrom AND pt.timerangefrom < w.plannedbusyto THEN 1 ELSE 0 END
                ELSE greatest(0, extract(epoch FROM least(pt.timerangeto AT TIME ZONE z.zone, w.window_end)
                                                    - greatest(pt.timerangefrom AT TIME ZONE z.zone, w.window_start)))
                     / extract(epoch FROM (pt.timerangeto AT TIME ZONE z.zone) - (pt.timerangefrom AT TIME ZONE z.zone))
            END AS share
        FROM mes.productiontracking AS pt
        JOIN mes.tracking_product_out AS o ON o.productiontracking_id = pt.id
        LEFT JOIN mes.product AS p ON p.id = o.product_id
        LEFT JOIN mes.technology_operation AS op ON op.id = pt.technology_operation_id
        CROSS JOIN LATERAL (
            SELECT coalesce(nullif(current_setting('erpmes.plant_tz', true), ''), current_setting('TimeZone')) AS zone
        ) AS z
        -- The index of Migrations/mes/V4 (same expressions); the window widened by 3 hours as naive
        -- bounds can lie across a DST change; the exact share is computed on instants above.
        WHERE int8range(pt.workstation_id, pt.workstation_id, '[]') @> w.workstation_id AND pt.state = '02accepted'
            AND tsrange(pt.timerangefrom, greatest(pt.timerangefrom, coalesce(pt.timerangeto, pt.timerangefrom)), '[]')
                && tsrange(least(w.plannedbusyfrom, w.plannedbusyto) - interval '3 hours',
                           greatest(w.plannedbusyfrom, w.plannedbusyto) + interval '3 hours', '[]')
    ) AS r
    WHERE r.share > 0
) AS pr ON true
CROSS JOIN LATERAL (
    SELECT
        x.pot, x.planned_downtime, x.pbt, x.downtime, x.run,
        least(CASE WHEN ev.has_states THEN coalesce(x.run, 0) ELSE greatest(x.pbt - x.downtime, 0) END, x.pbt) AS apt
    FROM (
        SELECT
            trim_scale(round(extract(epoch FROM w.window_end - w.window_start), 3)) AS pot,
            w.planneddowntime + coalesce(ev.planned_stop, 0) AS planned_downtime,
            greatest(round(extract(epoch FROM w.window_end - w.window_start), 3)
                - w.planneddowntime - coalesce(ev.planned_stop, 0), 0) AS pbt,
            coalesce(ev.downtime, 0) AS downtime,
            CASE WHEN ev.has_states THEN coalesce(ev.run, 0) END AS run
    ) AS x
) AS t
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN t.pbt = 0 THEN 1 ELSE t.apt / t.pbt END AS availability,
        coalesce(pr.planned_run, 0) / nullif(t.apt, 0) AS effectiveness,
        CASE WHEN pr.without_rate = 0 THEN pr.good_run / nullif(pr.planned_run, 0)
             WHEN pr.units = 1 THEN pr.gq / nullif(pr.pq, 0) END AS quality_ratio
) AS k;

COMMENT ON VIEW report.oee_shift IS
    'OEE per workstation and shift, ISO 22400-2. availability = APT / PBT (1 when PBT = 0, ThingWorx convention; APT never above PBT); effectiveness (performance) = sum(PRU * PQ) / APT; quality ratio = sum(PRU * GQ) / sum(PRU * PQ) (= GQ / PQ for one product); OEE = their product = sum(PRU * GQ) / PBT (0 when availability or effectiveness is 0; a ratio with a zero base is NULL). Times in seconds; PRU in seconds per unit of the product it makes. PBT = calendar window - calendar planned downtime - logged planned stops. Quantities from accepted tracking records overlapping the window, pro rata to their time inside it; a correction record replaces the 04corrected record it corrects. Quantities are never added across units (produced_qty is NULL when products of several units ran): aggregate over products and shifts through the *_s columns and recompute the ratios. A window whose figures need a look (effectiveness above 1, RUN during planned downtime, records without a PRU) is listed in report.kpi_anomalies. See the file header for every definition.';
COMMENT ON COLUMN report.oee_shift.workstation_id IS 'mes.workstation.id (the ERP work center is the one whose code = workstation).';
COMMENT ON COLUMN report.oee_shift.workstation IS 'Workstation number.';
COMMENT ON COLUMN report.oee_shift.date IS 'Production day (a night shift belongs to the day it starts).';
COMMENT ON COLUMN report.oee_shift.shift_id IS 'mes.shift.id.';
COMMENT ON COLUMN report.oee_shift.shift IS 'Shift name.';
COMMENT ON COLUMN report.oee_shift.planned_busy_from IS 'Window start, naive plant-local.';
COMMENT ON COLUMN report.oee_shift.planned_busy_to IS 'Window end, naive plant-local.';
COMMENT ON COLUMN report.oee_shift.time_source IS 'Where downtime and APT come from: state_history (equipment_state_history in the window) or stoppages.';
COMMENT ON COLUMN report.oee_shift.planned_operation_time_s IS 'POT: window length, seconds (DST-aware).';
COMMENT ON COLUMN report.oee_shift.planned_downtime_s IS 'Calendar planneddowntime + logged planned stops in the window, seconds.';
COMMENT ON COLUMN report.oee_shift.planned_busy_time_s IS 'PBT = POT - planned downtime (not below 0), seconds.';
COMMENT ON COLUMN report.oee_shift.downtime_s IS 'Unplanned downtime in the window, seconds (DOWN, IDLE, SETUP states, or unplanned stoppages).';
COMMENT ON COLUMN report.oee_shift.run_time_s IS 'RUN time of the equipment state history in the window, seconds; NULL when the window has no state history.';
COMMENT ON COLUMN report.oee_shift.actual_production_time_s IS 'APT: RUN time (state history), else PBT - downtime, never below 0 nor above PBT, seconds.';
COMMENT ON COLUMN report.oee_shift.planned_run_time_s IS 'sum(PRU * PQ): ideal time of what was produced, seconds; PRU = tj / productioninonecycle of the record''s operation, per unit of its product.';
COMMENT ON COLUMN report.oee_shift.good_run_time_s IS 'sum(PRU * GQ): ideal time of the good quantity, seconds (the numerator of OEE = good_run_time_s / PBT).';
COMMENT ON COLUMN report.oee_shift.unit IS 'The unit of every product produced in the window; NULL when products of several units (or none) ran.';
COMMENT ON COLUMN report.oee_shift.products IS 'Distinct products produced in the window.';
COMMENT ON COLUMN report.oee_shift.produced_qty IS 'PQ = good + scrap in unit, pro rata for records spanning windows; NULL when several units ran (quantities are never added across units).';
COMMENT ON COLUMN report.oee_shift.good_qty IS 'GQ: tracking_product_out.usedquantity, in unit; NULL when several units ran.';
COMMENT ON COLUMN report.oee_shift.scrap_qty IS 'SQ: tracking_product_out.wastesquantity, in unit; NULL when several units ran.';
COMMENT ON COLUMN report.oee_shift.tracking_records IS 'Accepted production tracking records counted, wholly or in part (corrections included, corrected originals not).';
COMMENT ON COLUMN report.oee_shift.corrections IS 'Of those, correction records (iscorrection).';
COMMENT ON COLUMN report.oee_shift.records_without_rate IS 'Of those, records whose operation gives no PRU (they add no planned run time).';
COMMENT ON COLUMN report.oee_shift.records_spanning IS 'Of those, records counted only in part (they overlap another window too).';
COMMENT ON COLUMN report.oee_shift.availability IS 'APT / PBT, between 0 and 1; 1 when PBT = 0 (ThingWorx convention).';
COMMENT ON COLUMN report.oee_shift.effectiveness IS 'Performance: planned_run_time_s / APT; NULL when APT = 0; above 1 only with a reason in report.kpi_anomalies.';
COMMENT ON COLUMN report.oee_shift.quality_ratio IS 'good_run_time_s / planned_run_time_s (GQ / PQ for one product), between 0 and 1; NULL when PQ = 0.';
COMMENT ON COLUMN report.oee_shift.oee IS 'availability * effectiveness * quality_ratio = good_run_time_s / PBT; 0 when availability or effectiveness is 0; NULL when a factor is NULL otherwise.';

CREATE VIEW report.kpi_anomalies AS
SELECT a.workstation_id, a.workstation, a.date, a.shift_id, a.shift, a.kpi, a.value, a.reason
FROM (
    SELECT o.*, x.kpi, x.value, x.reason
    FROM report.oee_shift AS o
    CROSS JOIN LATERAL (
        SELECT 'effectiveness' AS kpi, o.effectiveness AS value,
               format('ideal time earned (%s s = PRU x PQ) exceeds the actual production time (%s s): the '
                      || 'planned run time per unit (technology_operation.tj / productioninonecycle) of %s is '
                      || 'shorter than the real one, or production was logged during downtime (%s s logged)',
                      o.planned_run_time_s, o.actual_production_time_s,
                      coalesce((SELECT string_agg(DISTINCT format('operation %s (%s s per unit)', op.id,
                                                                  trim_scale(round(op.tj / nullif(op.productioninonecycle, 0), 3))),
                                                  ', ')
                                FROM mes.productiontracking AS pt
                                JOIN mes.technology_operation AS op ON op.id = pt.technology_operation_id
                                WHERE int8range(pt.workstation_id, pt.workstation_id, '[]') @> o.workstation_id
                                  AND pt.state = '02accepted'
                                  AND tsrange(pt.timerangefrom, greatest(pt.timerangefrom, coalesce(pt.timerangeto, pt.timerangefrom)), '[]')
                                      && tsrange(o.planned_busy_from, o.planned_busy_to, '[)')),
                               'its operations'),
                      o.downtime_s)
               || coalesce(format('; %s tracking records overlap another record of the workstation in time '
                                  || '(two orders at once: more ideal time than the shift holds)',
                                  nullif((SELECT count(DISTINCT a.id)
                                          FROM mes.productiontracking AS a
                                          JOIN mes.productiontracking AS b ON b.workstation_id = a.workstation_id
                                              AND b.id <> a.id AND b.state = '02accepted'
                                              AND b.timerangefrom < a.timerangeto AND a.timerangefrom < b.timerangeto
                                          WHERE a.workstation_id = o.workstation_id AND a.state = '02accepted'
                                            AND a.timerangefrom < o.planned_busy_to AND a.timerangeto > o.planned_busy_from
                                            AND a.timerangefrom > o.planned_busy_from - interval '1 day'), 0)), '')
                   AS reason
        WHERE o.effectiveness > 1
        UNION ALL
        SELECT 'availability', round(o.run_time_s / nullif(o.planned_busy_time_s, 0), 4),
               format('RUN time (%s s) exceeds the planned busy time (%s s): the machine ran during planned downtime '
                      || '(calendar breaks or planned stops); APT is counted up to the planned busy time',
                      o.run_time_s, o.planned_busy_time_s)
        WHERE o.run_time_s > o.planned_busy_time_s
        UNION ALL
        SELECT 'effectiveness', o.effectiveness,
               format('%s of %s tracking records have no planned run time per unit (no operation, or a cycle of 0): '
                      || 'their output earns no ideal time', o.records_without_rate, o.tracking_records)
        WHERE o.records_without_rate > 0
    ) AS x
) AS a;

COMMENT ON VIEW report.kpi_anomalies IS
    'Data quality of report.oee_shift: one row per workstation window and finding that makes a KPI need a look, with the reason in words. effectiveness above 1 (ideal rates shorter than the real ones, or production logged during downtime), RUN time above the planned busy time (production during planned downtime; availability is capped at 1), tracking records without a planned run time per unit. An empty view means every OEE figure is within its definition.';
COMMENT ON COLUMN report.kpi_anomalies.workstation_id IS 'mes.workstation.id.';
COMMENT ON COLUMN report.kpi_anomalies.workstation IS 'Workstation number.';
COMMENT ON COLUMN report.kpi_anomalies.date IS 'Production day of the window.';
COMMENT ON COLUMN report.kpi_anomalies.shift_id IS 'mes.shift.id.';
COMMENT ON COLUMN report.kpi_anomalies.shift IS 'Shift name.';
COMMENT ON COLUMN report.kpi_anomalies.kpi IS 'The KPI concerned: effectiveness or availability.';
COMMENT ON COLUMN report.kpi_anomalies.value IS 'Its value as computed without the cap (availability: RUN / PBT).';
COMMENT ON COLUMN report.kpi_anomalies.reason IS 'What is wrong and where to look.';

SELECT report.apply_grants();
