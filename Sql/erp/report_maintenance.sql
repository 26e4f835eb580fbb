-- Maintenance reliability (issue 9), on the ERP database, from erp.maintenance_request (the MES
-- failures of flow 4 arrive as corrective requests): Odoo's mttr/mtbf are computed fields, never
-- stored, and so are these.
--   report.corrective_request     each corrective request with its equipment, open/closed, time to
--                                 repair and time since the previous failure of the same equipment;
--   report.equipment_reliability  per equipment: open and closed corrective requests, MTTR, MTBF.
-- Definitions (ISO 22400-2: MTTR = mean of TTRi, MTBF = mean of TBFi, hours):
--   failure = a corrective request that is not archived (flow 4 archives the request of an MES
--             event that was revoked or deleted: it was no failure);
--   closed  = the request's stage is a done stage (Repaired, Scrap), else (no stage) close_date set;
--   TTRi    = duration (hours, as Odoo records it) of a closed request, else (no duration) its
--             close_date - request_date in days * 24;
--   TBFi    = request_date - request_date of the previous corrective request of the same equipment,
--             in hours (days * 24): the gaps between failures, so n failures give n - 1 gaps.
-- erpmes:requires report_schema.sql

DROP VIEW IF EXISTS report.equipment_reliability;
DROP VIEW IF EXISTS report.corrective_request;

CREATE VIEW report.corrective_request AS
SELECT
    r.id AS request_id,
    r.name AS request,
    r.equipment_id,
    e.name ->> 'en_US' AS equipment,
    e.serial_no,
    r.request_date,
    r.close_date,
    s.name ->> 'en_US' AS stage,
    coalesce(s.done, r.close_date IS NOT NULL) AS closed,
    CASE WHEN coalesce(s.done, r.close_date IS NOT NULL)
        THEN trim_scale(coalesce(r.duration, (r.close_date - r.request_date) * 24.0)) END AS ttr_hours,
    (r.request_date - lag(r.request_date) OVER w) * 24 AS tbf_hours
FROM erp.maintenance_request AS r
LEFT JOIN erp.maintenance_equipment AS e ON e.id = r.equipment_id
LEFT JOIN erp.maintenance_stage AS s ON s.id = r.stage_id
WHERE r.maintenance_type = 'corrective' AND NOT coalesce(r.archive, false)
WINDOW w AS (PARTITION BY r.equipment_id ORDER BY r.request_date, r.id);

COMMENT ON VIEW report.corrective_request IS
    'Corrective maintenance requests (failures) that are not archived, one row each: open or closed, time to repair (TTRi) and time since the equipment''s previous failure (TBFi), the terms MTTR and MTBF average. Computed at query time from erp.maintenance_request.';
COMMENT ON COLUMN report.corrective_request.request_id IS 'erp.maintenance_request.id.';
COMMENT ON COLUMN report.corrective_request.request IS 'Request name.';
COMMENT ON COLUMN report.corrective_request.equipment_id IS 'erp.maintenance_equipment.id; NULL if the request names no equipment.';
COMMENT ON COLUMN report.corrective_request.equipment IS 'Equipment name (en_US).';
COMMENT ON COLUMN report.corrective_request.serial_no IS 'Equipment serial number (= MES workstation.serialnumber).';
COMMENT ON COLUMN report.corrective_request.request_date IS 'Date the failure was reported.';
COMMENT ON COLUMN report.corrective_request.close_date IS 'Date the request was closed.';
COMMENT ON COLUMN report.corrective_request.stage IS 'Current stage name.';
COMMENT ON COLUMN report.corrective_request.closed IS 'In a done stage (else, without a stage, close_date set).';
COMMENT ON COLUMN report.corrective_request.ttr_hours IS 'Time to repair of a closed request: duration (hours), else (close_date - request_date) * 24; NULL while open.';
COMMENT ON COLUMN report.corrective_request.tbf_hours IS 'Hours since the previous corrective request of the same equipment (date difference * 24); NULL for its first.';

CREATE VIEW report.equipment_reliability AS
SELECT
    e.id AS equipment_id,
    e.name ->> 'en_US' AS equipment,
    e.serial_no,
    wc.code AS workcenter_code,
    count(c.request_id) AS corrective_requests,
    count(c.request_id) FILTER (WHERE NOT c.closed) AS open_requests,
    count(c.request_id) FILTER (WHERE c.closed) AS closed_requests,
    trim_scale(sum(c.ttr_hours)) AS repair_hours,
    round(avg(c.ttr_hours), 2) AS mttr_hours,
    round(avg(c.tbf_hours), 2) AS mtbf_hours,
    max(c.request_date) AS last_failure_date,
    e.expected_mtbf AS expected_mtbf_days
FROM erp.maintenance_equipment AS e
LEFT JOIN erp.mrp_workcenter AS wc ON wc.id = e.workcenter_id
LEFT JOIN report.corrective_request AS c ON c.equipment_id = e.id
GROUP BY e.id, e.name, e.serial_no, wc.code, e.expected_mtbf;

COMMENT ON VIEW report.equipment_reliability IS
    'Per equipment: corrective requests open and closed, MTTR = mean time to repair of closed corrective requests (hours), MTBF = mean gap between consecutive corrective requests (hours; NULL below two failures). Built on report.corrective_request; nothing is stored (Odoo computes mttr/mtbf too).';
COMMENT ON COLUMN report.equipment_reliability.equipment_id IS 'erp.maintenance_equipment.id.';
COMMENT ON COLUMN report.equipment_reliability.equipment IS 'Equipment name (en_US).';
COMMENT ON COLUMN report.equipment_reliability.serial_no IS 'Serial number (= MES workstation.serialnumber).';
COMMENT ON COLUMN report.equipment_reliability.workcenter_code IS 'Work center it belongs to (mrp_maintenance link), its code.';
COMMENT ON COLUMN report.equipment_reliability.corrective_requests IS 'Corrective requests (failures), all time.';
COMMENT ON COLUMN report.equipment_reliability.open_requests IS 'Corrective requests not closed.';
COMMENT ON COLUMN report.equipment_reliability.closed_requests IS 'Corrective requests closed.';
COMMENT ON COLUMN report.equipment_reliability.repair_hours IS 'Sum of the closed requests'' time to repair, hours.';
COMMENT ON COLUMN report.equipment_reliability.mttr_hours IS 'MTTR: mean time to repair of closed corrective requests, hours; NULL when none is closed.';
COMMENT ON COLUMN report.equipment_reliability.mtbf_hours IS 'MTBF: mean time between consecutive failures, hours; NULL with fewer than two.';
COMMENT ON COLUMN report.equipment_reliability.last_failure_date IS 'Latest corrective request date.';
COMMENT ON COLUMN report.equipment_reliability.expected_mtbf_days IS 'The expected MTBF set on the equipment (days), to compare with.';

SELECT report.apply_grants();
