-- Equipment to maintenance (MES -> ERP), ERP side: MES downtime and equipment states become rows
-- of Odoo's work-center productivity log, erp.mrp_workcenter_productivity (the base of Odoo's own
-- OEE figure). Entities maintenance_downtime (finished stoppages) and maintenance_equipment_state
-- (ended equipment state intervals), payloads in Sql/mes/maintenance_downtime.sql. Both append_only:
-- MES records posted once; a later change there is refused and logged, a delete removes nothing.
--
-- Row written (one per stoppage or interval): workcenter_id = the work center whose code is the
-- workstation number (none, several, or no workstation: rejected); loss_id and loss_type = the
-- productivity loss named by the value maps below; date_start = the plant-local start in UTC with
-- the link's erpmes.plant_tz (a start inside a DST gap is rejected; in an overlap, a stoppage takes
-- the instant whose start + duration shows its end, an interval the earliest); date_end = start +
-- the stored duration for a stoppage (plant-local bounds lie across DST changes), the converted end
-- for an interval; duration = seconds / 60 in minutes, 2 decimals, as Odoo computes it;
-- workorder_id = the order's only work order on that work center, if the order is an ERP
-- manufacturing order; company_id = the work center's company, else the first; description =
-- reason (or state) and the MES description. The pair MES id <-> productivity id is kept in key
-- maps named after the entities, so a replayed insert is a no-op.
--
-- Which loss (value maps, declared here; a DBA changes them here, reviewed like any mapping):
--   stoppages: planned reasons are not mirrored (planned downtime is no loss: ISO 22400 takes it
--     out of the planned busy time, and Odoo has no planned loss type); else the reason's own
--     loss (maintenance_loss_by_reason, reason name -> loss name; unlisted: none), else by reason
--     type (maintenance_loss_by_reason_type: failure -> Equipment Failure, other -> Material
--     Availability; an unlisted type is rejected). All are availability losses.
--   equipment states (maintenance_loss_by_state, state code -> loss name; unlisted: not
--     mirrored): RUN -> Fully Productive Time (productive). Down, setup and idle time is mirrored
--     from the stoppages, which carry the reason: mirroring DOWN intervals too would count the same
--     downtime twice; PLANNED_STOP and intervals with a planned reason are never mirrored.
-- Not mirrored rows are 'skipped' (and recorded as synchronised: they will not come again).

GRANT SELECT, INSERT ON erp.mrp_workcenter_productivity TO erpmes_run;
GRANT USAGE ON SEQUENCE erp.mrp_workcenter_productivity_id_seq TO erpmes_run;

SELECT erpmes.declare_value_map('maintenance_loss_by_reason', 'default', NULL, '{
    "Tool change": "Setup and Adjustments",
    "Material shortage": "Material Availability"
}');
SELECT erpmes.declare_value_map('maintenance_loss_by_reason_type', 'reject', NULL, '{
    "failure": "Equipment Failure",
    "other": "Material Availability"
}');
SELECT erpmes.declare_value_map('maintenance_loss_by_state', 'default', NULL, '{
    "RUN": "Fully Productive Time"
}');

CREATE OR REPLACE FUNCTION erp.maintenance_productivity_apply(entity text)
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    tz text := erpmes.plant_zone(current_setting('erpmes.plant_tz', true));
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS maintenance_productivity_in (
        key jsonb PRIMARY KEY, workstation text, state text, reason_name text, reason_type text, planned boolean,
        start_local timestamp, end_local timestamp, duration numeric, duration_unit text, order_name text,
        description text, recorded integer, workcenters integer, workcenter_id integer, company_id integer,
        loss_name text, loss_id integer, loss_type text, starts timestamp[], ends timestamp[],
        date_start timestamp, date_end timestamp, workorder_id integer, new_id integer, skip text, reason text
    ) ON COMMIT DROP;
    TRUNCATE maintenance_productivity_in;
    INSERT INTO maintenance_productivity_in (key, workstation, state, reason_name, reason_type, planned, start_local,
                                             end_local, duration, duration_unit, order_name, description)
    SELECT b.key, b.payload->>'workstation', b.payload->>'state', b.payload->>'reason', b.payload->>'reason_type',
           coalesce((b.payload->>'planned')::boolean, false), (b.payload->>'start_local')::timestamp,
           (b.payload->>'end_local')::timestamp, (b.payload->>'duration')::numeric, b.payload->>'duration_unit',
           b.payload->>'order', b.payload->>'description'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';

    UPDATE maintenance_productivity_in AS i SET recorded = p.id
    FROM erpmes.key_map AS m
    JOIN erp.mrp_workcenter_productivity AS p ON p.id = (m.local_key->>'id')::integer
    WHERE m.map = entity AND m.foreign_key = i.key;

    -- The loss, or why the row is not mirrored.
    UPDATE maintenance_productivity_in AS i SET
        skip = CASE
            WHEN i.state = 'PLANNED_STOP' OR i.planned THEN 'planned downtime is not a loss: not mirrored'
            WHEN entity = 'maintenance_equipment_state'
                 AND erpmes.try_map_value('maintenance_loss_by_state', i.state) IS NULL
                THEN format('state %s is not mirrored (value map maintenance_loss_by_state)', i.state)
            END,
        loss_name = CASE
            WHEN entity = 'maintenance_equipment_state' THEN erpmes.try_map_value('maintenance_loss_by_state', i.state)
            ELSE coalesce(erpmes.try_map_value('maintenance_loss_by_reason', i.reason_name),
                          erpmes.try_map_value('maintenance_loss_by_reason_type', i.reason_type))
            END
    WHERE i.recorded IS NULL;
    UPDATE maintenance_productivity_in AS i SET loss_id = l.id, loss_type = coalesce(l.loss_type, t.loss_type)
    FROM (
        SELECT DISTINCT ON (x.key) x.key, l.id, l.loss_type, l.loss_id
        FROM maintenance_productivity_in AS x
        JOIN erp.mrp_workcenter_productivity_loss AS l ON l.name->>'en_US' = x.loss_name
        ORDER BY x.key, l.sequence, l.id
    ) AS l
    LEFT JOIN erp.mrp_workcenter_productivity_loss_type AS t ON t.id = l.loss_id
    WHERE l.key = i.key AND i.skip IS NULL AND i.recorded IS NULL;

    -- The work center, by code.
    UPDATE maintenance_productivity_in AS i
    SET workcenters = w.n, workcenter_id = w.id,
        company_id = coalesce(w.company_id, (SELECT min(c.id) FROM erp.res_company AS c))
    FROM (
        SELECT x.key, count(wc.id)::integer AS n, min(wc.id) AS id, min(wc.company_id) AS company_id
        FROM maintenance_productivity_in AS x
        LEFT JOIN erp.mrp_workcenter AS wc ON wc.code = x.workstation AND wc.active IS NOT FALSE
        GROUP BY x.key
    ) AS w
    WHERE w.key = i.key AND i.skip IS NULL AND i.recorded IS NULL;

    -- Plant-local bounds to UTC: every instant each local time names (none in a DST gap).
    UPDATE maintenance_productivity_in AS i
    SET starts = erpmes.local_to_utc_candidates(i.start_local, tz),
        ends = erpmes.local_to_utc_candidates(i.end_local, tz)
    WHERE i.skip IS NULL AND i.recorded IS NULL;
    UPDATE maintenance_productivity_in AS i
    SET date_start = (SELECT c FROM unnest(i.starts) AS c
                      ORDER BY i.duration IS NOT NULL
                               AND erpmes.utc_to_local(c + make_interval(secs => i.duration), tz) = i.end_local DESC,
                               c
                      LIMIT 1)
    WHERE i.skip IS NULL AND i.recorded IS NULL;
    UPDATE maintenance_productivity_in AS i
    SET date_end = CASE WHEN i.duration IS NOT NULL THEN i.date_start + make_interval(secs => i.duration)
                        ELSE (SELECT min(c) FROM unnest(i.ends) AS c WHERE c >= i.date_start) END
    WHERE i.skip IS NULL AND i.recorded IS NULL;

    UPDATE maintenance_productivity_in AS i SET reason = CASE
        WHEN i.workstation IS NULL
            THEN format('workstation is NULL (column %s.workstation_id)',
                        CASE entity WHEN 'maintenance_downtime' THEN 'stoppage' ELSE 'equipment_state_history' END)
        WHEN i.workcenters = 0 THEN format('no ERP work center has code %L (column workstation.number, value %L)',
                                           i.workstation, i.workstation)
        WHEN i.workcenters > 1 THEN format('%s ERP work centers have code %L (column workstation.number, value %L)',
                                           i.workcenters, i.workstation, i.workstation)
        WHEN i.loss_name IS NULL THEN format('no productivity loss for reason type %L (column stoppage_reason.type, value %L; value map maintenance_loss_by_reason_type)',
                                             i.reason_type, i.reason_type)
        WHEN i.loss_id IS NULL THEN format('no ERP productivity loss is named %L (column mrp_workcenter_productivity_loss.name, value %L)',
                                           i.loss_name, i.loss_name)
        WHEN i.start_local IS NULL THEN 'start is NULL'
        WHEN cardinality(i.starts) = 0
            THEN format('start %s does not exist in %s: the clocks skip it (DST gap) (column %s, value %L)',
                        i.start_local, tz,
                        CASE entity WHEN 'maintenance_downtime' THEN 'stoppage.datefrom' ELSE 'equipment_state_history.startdatetime' END,
                        i.start_local)
        WHEN i.duration IS NOT NULL AND i.duration_unit IS DISTINCT FROM 's'
            THEN format('duration unit %L is not seconds (column stoppage.duration, value %L)', i.duration_unit, i.duration)
        WHEN i.duration < 0 THEN format('duration %s is negative (column stoppage.duration, value %L)', i.duration, i.duration)
        WHEN i.date_end IS NULL
            THEN format('end %s is not after start %s in %s (column equipment_state_history.enddatetime, value %L)',
                        i.end_local, i.start_local, tz, i.end_local)
        END
    WHERE i.skip IS NULL AND i.recorded IS NULL;

    UPDATE maintenance_productivity_in AS i SET workorder_id = w.id
    FROM (
        SELECT x.key, min(wo.id) AS id
        FROM maintenance_productivity_in AS x
        JOIN erp.mrp_production AS p ON p.name = x.order_name AND p.company_id = x.company_id
        JOIN erp.mrp_workorder AS wo ON wo.production_id = p.id AND wo.workcenter_id = x.workcenter_id
        GROUP BY x.key
        HAVING count(*) = 1
    ) AS w
    WHERE w.key = i.key AND i.reason IS NULL AND i.skip IS NULL AND i.recorded IS NULL;

    UPDATE maintenance_productivity_in AS i SET new_id = nextval('erp.mrp_workcenter_productivity_id_seq')
    WHERE i.reason IS NULL AND i.skip IS NULL AND i.recorded IS NULL;
    INSERT INTO erp.mrp_workcenter_productivity (id, workcenter_id, company_id, workorder_id, user_id, loss_id,
                                                 loss_type, description, date_start, date_end, duration)
    SELECT i.new_id, i.workcenter_id, i.company_id, i.workorder_id, NULL, i.loss_id, i.loss_type,
           concat_ws(': ', coalesce(i.reason_name, i.state), i.description), i.date_start, i.date_end,
           round(extract(epoch FROM i.date_end - i.date_start) / 60, 2)
    FROM maintenance_productivity_in AS i
    WHERE i.new_id IS NOT NULL
    ORDER BY i.new_id;
    PERFORM erpmes.key_remember(entity, i.key, jsonb_build_object('id', i.new_id))
    FROM maintenance_productivity_in AS i
    WHERE i.new_id IS NOT NULL
    ORDER BY i.key;

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.recorded IS NOT NULL OR i.skip IS NOT NULL THEN 'skipped'
                WHEN i.reason IS NOT NULL THEN 'rejected' ELSE 'applied' END,
           CASE WHEN i.recorded IS NOT NULL THEN format('already posted as productivity %s', i.recorded)
                ELSE coalesce(i.skip, i.reason) END
    FROM maintenance_productivity_in AS i
    UNION ALL
    SELECT b.key, 'skipped', 'downtime records are never deleted in the ERP'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION erp.maintenance_productivity_apply(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.maintenance_productivity_apply(text) TO erpmes_run;
COMMENT ON FUNCTION erp.maintenance_productivity_apply(text) IS
    'Shared apply of entities maintenance_downtime and maintenance_equipment_state: MES downtime or state intervals become mrp_workcenter_productivity rows (work center by code, loss by value maps, UTC bounds, minutes).';

CREATE OR REPLACE FUNCTION erp.maintenance_downtime_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT * FROM erp.maintenance_productivity_apply('maintenance_downtime');
END $$;
REVOKE ALL ON FUNCTION erp.maintenance_downtime_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.maintenance_downtime_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.maintenance_downtime_apply() IS
    'erpmes apply of entity maintenance_downtime: finished MES stoppages become mrp_workcenter_productivity losses.';

CREATE OR REPLACE FUNCTION erp.maintenance_equipment_state_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT * FROM erp.maintenance_productivity_apply('maintenance_equipment_state');
END $$;
REVOKE ALL ON FUNCTION erp.maintenance_equipment_state_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.maintenance_equipment_state_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.maintenance_equipment_state_apply() IS
    'erpmes apply of entity maintenance_equipment_state: ended MES equipment state intervals become mrp_workcenter_productivity rows (RUN: productive time).';

SELECT erpmes.subscribe('maintenance_downtime', 'erp.maintenance_downtime_apply()', 'append_only',
                        tables => ARRAY['erp.mrp_workcenter_productivity']::regclass[]);
SELECT erpmes.subscribe('maintenance_equipment_state', 'erp.maintenance_equipment_state_apply()', 'append_only',
                        tables => ARRAY['erp.mrp_workcenter_productivity']::regclass[]);
