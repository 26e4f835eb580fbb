-- Equipment to maintenance (MES -> ERP), MES side: downtime for the ERP's work-center productivity
-- log (Sql/erp/maintenance_downtime.sql). Two entities, both one-way and append_only there, MES
-- records posted once:
--   maintenance_downtime         a stoppage, keyed {"id": stoppage id}, published once it is over
--                                (duration set); an open stoppage has no payload yet
--   maintenance_equipment_state  an equipment state interval, keyed {"id": equipment_state_history
--                                id}, published once it has ended (enddatetime set)
--
-- Neutral payloads:
--   workstation   workstation.number (= ERP mrp_workcenter.code) or null
--   reason        stoppage_reason.name, or null
--   reason_type   'failure' | 'other' (stoppage_reason.type 01failure | 02other), or null
--   planned       the reason is planned (breaks, planned maintenance), false without a reason
--   start_local, end_local
--                 the interval's bounds, PLANT-LOCAL naive ISO timestamps (the MES keeps plant
--                 time and this side does not know the zone; the ERP converts with its link's
--                 zone). Plant-local bounds lie across DST changes, so a stoppage also carries
--   duration, duration_unit
--                 the stored duration and its unit code ('s'); equipment states store none
--   state         (equipment states only) RUN | IDLE | DOWN | SETUP | PLANNED_STOP
--   order         orders_order.externalnumber (= ERP mrp_production.name), or null
--   description   (stoppages only) free text, or null

GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.stoppage, mes.stoppage_reason, mes.equipment_state_history, mes.workstation, mes.orders_order
    TO erpmes_owner;

CREATE OR REPLACE FUNCTION mes.maintenance_downtime_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', s.id),
           jsonb_build_object(
               'workstation', w.number,
               'reason', r.name,
               'reason_type', CASE r.type WHEN '01failure' THEN 'failure' WHEN '02other' THEN 'other' END,
               'planned', coalesce(r.planned, false),
               'start_local', s.datefrom,
               'end_local', s.dateto,
               'duration', s.duration,
               'duration_unit', 's',
               'order', o.externalnumber,
               'description', s.description)
    FROM mes.stoppage AS s
    LEFT JOIN mes.stoppage_reason AS r ON r.id = s.reason_id
    LEFT JOIN mes.workstation AS w ON w.id = s.workstation_id
    LEFT JOIN mes.orders_order AS o ON o.id = s.order_id
    WHERE s.id IN (SELECT (k->>'id')::bigint FROM unnest(keys) AS k)
      AND s.duration IS NOT NULL
$$;
REVOKE ALL ON FUNCTION mes.maintenance_downtime_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.maintenance_downtime_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.maintenance_downtime_payload(jsonb[]) IS
    'erpmes payload of entity maintenance_downtime: a finished stoppage with workstation, reason, plant-local bounds and duration in seconds.';

CREATE OR REPLACE FUNCTION mes.maintenance_equipment_state_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('id', h.id),
           jsonb_build_object(
               'workstation', w.number,
               'state', h.statecode,
               'reason', r.name,
               'reason_type', CASE r.type WHEN '01failure' THEN 'failure' WHEN '02other' THEN 'other' END,
               'planned', coalesce(r.planned, false),
               'start_local', h.startdatetime,
               'end_local', h.enddatetime,
               'order', o.externalnumber)
    FROM mes.equipment_state_history AS h
    JOIN mes.workstation AS w ON w.id = h.workstation_id
    LEFT JOIN mes.stoppage_reason AS r ON r.id = h.reason_id
    LEFT JOIN mes.orders_order AS o ON o.id = h.order_id
    WHERE h.id IN (SELECT (k->>'id')::bigint FROM unnest(keys) AS k)
      AND h.enddatetime IS NOT NULL
$$;
REVOKE ALL ON FUNCTION mes.maintenance_equipment_state_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.maintenance_equipment_state_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.maintenance_equipment_state_payload(jsonb[]) IS
    'erpmes payload of entity maintenance_equipment_state: an ended equipment state interval with workstation, state code, reason and plant-local bounds.';

SELECT erpmes.publish('maintenance_downtime', 'mes.stoppage', ARRAY['id'], 'mes.maintenance_downtime_payload(jsonb[])');
SELECT erpmes.publish('maintenance_equipment_state', 'mes.equipment_state_history', ARRAY['id'],
                      'mes.maintenance_equipment_state_payload(jsonb[])');
