-- Equipment to maintenance (MES -> ERP, ERP replies), ERP side: entity maintenance_event, an MES
-- failure or issue (Sql/mes/maintenance_event.sql, which describes the payload) paired with an ERP
-- corrective maintenance request. Bidirectional, keyed by the MES number ({"number":
-- "ME-000012"}), rule owner: {"*": "mes", "done": "erp", "close_date": "erp", "request": "erp"}.
--
-- The key. The ERP schema is fixed and maintenance_request has no column holding the MES number,
-- so the pair MES number <-> request id lives in the key map 'maintenance_event' (the apply
-- remembers it when it creates a request, before the insert, so the insert's capture already
-- knows the key). The publication's key is derived through that map: erp.maintenance_request is
-- also declared as a watched table of the entity, whose key query maps changed request ids to MES
-- numbers; it takes the place of the capture by key column (the declared key column, name as
-- "number", matches no MES number, so were both captures installed the column one would only
-- queue keys without payload: no-ops on the MES side). Requests the ERP creates itself are not in
-- the map and are not published: only MES events become requests here. Renaming a request keeps
-- the pairing (a key derived from the name's "ME-000012: " prefix would not).
--
-- Apply (MES -> ERP), set-based, only rows whose values change are written:
--   new event: a request with name = number || ': ' || description (number alone without one),
--     description, maintenance_type 'corrective', equipment_id = the equipment whose serial_no is
--     the workstation's serialnumber (unknown serial, or a workstation without one: rejected naming
--     the column and value), category_id its category, request_date, priority '2', kanban_state
--     'normal', stage_id = the first stage by sequence (the first done stage, with close_date,
--     when the MES closed the event before it reached the ERP), maintenance_team_id = the
--     equipment's team, else the first team, company_id = the equipment's company, else the first.
--   change: the MES-owned fields the payload carries (description and name, equipment, request
--     date); done and close_date only as a decided resolution ($resolved): done moves the request
--     to the first done stage, not done to the first open stage.
--   delete (the event was revoked, became a proposal, or was deleted): the request is archived,
--     not deleted (it may carry the maintenance team's work); a later upsert un-archives it.

-- The payload function runs as erpmes_owner (erpmes.batch) and as the replicator's login (merge).
GRANT USAGE ON SCHEMA erp TO erpmes_owner;
GRANT SELECT ON erp.maintenance_request, erp.maintenance_equipment, erp.maintenance_stage TO erpmes_owner;
GRANT SELECT, INSERT ON erp.maintenance_request TO erpmes_run;
GRANT UPDATE (name, description, equipment_id, category_id, request_date, stage_id, close_date, archive, write_date)
    ON erp.maintenance_request TO erpmes_run;
GRANT USAGE ON SEQUENCE erp.maintenance_request_id_seq TO erpmes_run;

CREATE OR REPLACE FUNCTION erp.maintenance_event_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.foreign_key,
           jsonb_build_object(
               'number', m.foreign_key->>'number',
               'equipment_serial', e.serial_no,
               'description', r.description,
               'request_date', r.request_date,
               'done', coalesce(s.done, false),
               'close_date', CASE WHEN s.done THEN r.close_date END,
               'request', r.id::text)
    FROM erpmes.key_map AS m
    JOIN erp.maintenance_request AS r ON r.id = (m.local_key->>'id')::integer
    LEFT JOIN erp.maintenance_equipment AS e ON e.id = r.equipment_id
    LEFT JOIN erp.maintenance_stage AS s ON s.id = r.stage_id
    WHERE m.map = 'maintenance_event' AND m.foreign_key = ANY (keys) AND r.archive IS NOT TRUE
$$;
REVOKE ALL ON FUNCTION erp.maintenance_event_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.maintenance_event_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION erp.maintenance_event_payload(jsonb[]) IS
    'erpmes payload of entity maintenance_event: the corrective request paired with an MES event (key map maintenance_event), in the MES payload''s fields.';

CREATE OR REPLACE FUNCTION erp.maintenance_event_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS maintenance_event_in (
        key jsonb PRIMARY KEY, op "char", payload jsonb, number text, request_id integer, new_id integer,
        equipment_id integer, category_id integer, team_id integer, company_id integer, stage_id integer,
        stage_done boolean, reason text, changed boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    TRUNCATE maintenance_event_in;
    INSERT INTO maintenance_event_in (key, op, payload, number, request_id, stage_id, stage_done)
    SELECT b.key, b.op, b.payload, b.key->>'number', r.id, r.stage_id, coalesce(s.done, false)
    FROM pg_temp.erpmes_batch AS b
    LEFT JOIN erpmes.key_map AS m ON m.map = 'maintenance_event' AND m.foreign_key = b.key
    LEFT JOIN erp.maintenance_request AS r ON r.id = (m.local_key->>'id')::integer
    LEFT JOIN erp.maintenance_stage AS s ON s.id = r.stage_id
    WHERE b.op IN ('U', 'D');

    -- The equipment, by serial number.
    UPDATE maintenance_event_in AS i
    SET equipment_id = e.id, category_id = e.category_id, team_id = e.maintenance_team_id, company_id = e.company_id
    FROM erp.maintenance_equipment AS e
    WHERE i.op = 'U' AND e.serial_no = i.payload->>'equipment_serial';
    UPDATE maintenance_event_in AS i SET reason = CASE
        WHEN i.number IS NULL THEN 'number is NULL (column maintenance_event.number)'
        WHEN i.payload ? 'workstation_without_serial'
            THEN format('workstation %s has no serial number to match an ERP equipment (column workstation.serialnumber, value NULL)',
                        i.payload->>'workstation_without_serial')
        WHEN i.payload->>'equipment_serial' IS NOT NULL AND i.equipment_id IS NULL
            THEN format('no ERP equipment has serial_no %L (column workstation.serialnumber, value %L)',
                        i.payload->>'equipment_serial', i.payload->>'equipment_serial')
        WHEN i.request_id IS NULL AND NOT i.payload ? 'request_date'
            THEN 'request_date is missing (column maintenance_event.createdate)'
        END
    WHERE i.op = 'U';

    -- New requests: team, company and stage; ids taken and remembered before the insert, so its
    -- capture publishes the request (its id goes back to the MES event).
    UPDATE maintenance_event_in AS i
    SET team_id = coalesce(i.team_id, (SELECT min(t.id) FROM erp.maintenance_team AS t WHERE t.active IS NOT FALSE)),
        company_id = coalesce(i.company_id, (SELECT min(c.id) FROM erp.res_company AS c)),
        stage_id = (SELECT s.id FROM erp.maintenance_stage AS s
                    WHERE NOT coalesce((i.payload->>'done')::boolean, false) OR s.done
                    ORDER BY s.sequence, s.id LIMIT 1)
    WHERE i.op = 'U' AND i.reason IS NULL AND i.request_id IS NULL;
    UPDATE maintenance_event_in AS i SET reason = CASE
        WHEN i.team_id IS NULL THEN 'no maintenance team for the request (column maintenance_request.maintenance_team_id)'
        WHEN i.stage_id IS NULL THEN 'no maintenance stage for the request (column maintenance_request.stage_id)'
        END
    WHERE i.op = 'U' AND i.reason IS NULL AND i.request_id IS NULL;
    UPDATE maintenance_event_in AS i SET new_id = nextval('erp.maintenance_request_id_seq')
    WHERE i.op = 'U' AND i.reason IS NULL AND i.request_id IS NULL;
    PERFORM erpmes.key_remember('maintenance_event', i.key, jsonb_build_object('id', i.new_id))
    FROM maintenance_event_in AS i
    WHERE i.new_id IS NOT NULL
    ORDER BY i.key;
    INSERT INTO erp.maintenance_request (id, name, company_id, description, request_date, category_id, equipment_id,
                                         stage_id, priority, close_date, kanban_state, archive, maintenance_type,
                                         maintenance_team_id)
    SELECT i.new_id, i.number || coalesce(': ' || (i.payload->>'description'), ''), i.company_id,
           i.payload->>'description', (i.payload->>'request_date')::date, i.category_id, i.equipment_id, i.stage_id,
           '2', CASE WHEN (i.payload->>'done')::boolean THEN (i.payload->>'close_date')::date END, 'normal', false,
           'corrective', i.team_id
    FROM maintenance_event_in AS i
    WHERE i.new_id IS NOT NULL
    ORDER BY i.new_id;
    UPDATE maintenance_event_in AS i SET changed = true WHERE i.new_id IS NOT NULL;

    -- Changes of paired requests: only the fields the payload carries, only rows that change.
    WITH wanted AS (
        SELECT i.request_id, x.*
        FROM maintenance_event_in AS i
        JOIN erp.maintenance_request AS r ON r.id = i.request_id
        CROSS JOIN LATERAL (
            SELECT CASE WHEN i.payload ? 'description' THEN i.number || coalesce(': ' || (i.payload->>'description'), '')
                        ELSE r.name END AS name,
                   CASE WHEN i.payload ? 'description' THEN i.payload->>'description' ELSE r.description END AS description,
                   CASE WHEN i.payload ? 'equipment_serial' THEN i.equipment_id ELSE r.equipment_id END AS equipment_id,
                   CASE WHEN i.payload ? 'equipment_serial' THEN i.category_id ELSE r.category_id END AS category_id,
                   CASE WHEN i.payload ? 'request_date' THEN (i.payload->>'request_date')::date ELSE r.request_date END AS request_date,
                   CASE WHEN NOT i.payload ? 'done' OR (i.payload->>'done')::boolean = i.stage_done THEN r.stage_id
                        ELSE (SELECT s.id FROM erp.maintenance_stage AS s WHERE s.done = (i.payload->>'done')::boolean
                              ORDER BY s.sequence, s.id LIMIT 1) END AS stage_id,
                   CASE WHEN i.payload ? 'close_date' THEN (i.payload->>'close_date')::date
                        WHEN i.payload ? 'done' AND NOT (i.payload->>'done')::boolean THEN NULL
                        ELSE r.close_date END AS close_date,
                   false AS archive
        ) AS x
        WHERE i.op = 'U' AND i.reason IS NULL
    ), written AS (
        UPDATE erp.maintenance_request AS r
        SET name = w.name, description = w.description, equipment_id = w.equipment_id, category_id = w.category_id,
            request_date = w.request_date, stage_id = coalesce(w.stage_id, r.stage_id), close_date = w.close_date,
            archive = w.archive, write_date = now() AT TIME ZONE 'utc'
        FROM wanted AS w
        WHERE r.id = w.request_id
          AND (r.name, r.description, r.equipment_id, r.category_id, r.request_date, r.stage_id, r.close_date, r.archive)
              IS DISTINCT FROM (w.name, w.description, w.equipment_id, w.category_id, w.request_date,
                                coalesce(w.stage_id, r.stage_id), w.close_date, w.archive)
        RETURNING r.id
    )
    UPDATE maintenance_event_in AS i SET changed = true FROM written AS w WHERE w.id = i.request_id;

    -- Deleted (or no longer a failure or issue) in the MES: the request is archived.
    WITH archived AS (
        UPDATE erp.maintenance_request AS r SET archive = true, write_date = now() AT TIME ZONE 'utc'
        FROM maintenance_event_in AS i
        WHERE i.op = 'D' AND r.id = i.request_id AND r.archive IS NOT TRUE
        RETURNING r.id
    )
    UPDATE maintenance_event_in AS i SET changed = true FROM archived AS a WHERE a.id = i.request_id;

    RETURN QUERY
    SELECT i.key,
           CASE WHEN i.reason IS NOT NULL THEN 'rejected' WHEN i.changed THEN 'applied' ELSE 'skipped' END,
           coalesce(i.reason, CASE WHEN NOT i.changed THEN 'nothing to change' END)
    FROM maintenance_event_in AS i
    UNION ALL
    SELECT b.key, 'skipped', 'a truncated MES table archives nothing'
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'T';
END $$;
REVOKE ALL ON FUNCTION erp.maintenance_event_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erp.maintenance_event_apply() TO erpmes_run;
COMMENT ON FUNCTION erp.maintenance_event_apply() IS
    'erpmes apply of entity maintenance_event (MES -> ERP): an MES failure or issue becomes a corrective maintenance_request of the equipment with that serial number; MES-owned fields follow; a delete archives.';

SELECT erpmes.publish(
    'maintenance_event',
    'erp.maintenance_request',
    ARRAY['name'],
    'erp.maintenance_event_payload(jsonb[])',
    jsonb_build_array(
        jsonb_build_object(
            'table', 'erp.maintenance_request',
            'keys', 'SELECT k.foreign_key FROM erpmes.key_map AS k JOIN changed AS c '
                 || 'ON k.local_key = jsonb_build_object(''id'', c.id) WHERE k.map = ''maintenance_event'''),
        jsonb_build_object(
            'table', 'erp.maintenance_stage',
            'keys', 'SELECT k.foreign_key FROM erpmes.key_map AS k JOIN erp.maintenance_request AS r '
                 || 'ON k.local_key = jsonb_build_object(''id'', r.id) JOIN changed AS c ON r.stage_id = c.id '
                 || 'WHERE k.map = ''maintenance_event''')),
    ARRAY['number']);

SELECT erpmes.subscribe(
    'maintenance_event',
    'erp.maintenance_event_apply()',
    'owner',
    '{"*": "mes", "done": "erp", "close_date": "erp", "request": "erp"}',
    tables => ARRAY['erp.maintenance_request']::regclass[]);
