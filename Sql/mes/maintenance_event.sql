-- Equipment to maintenance (MES -> ERP, ERP replies), MES side: entity maintenance_event, a failure
-- or an issue the MES detects (maintenance_event of type 01failure or 02issue) paired with the ERP's
-- corrective maintenance request (Sql/erp/maintenance_event.sql). Bidirectional, one key on both
-- sides, the MES number ({"number": "ME-000012"}), rule owner with the fields split ISA-95 style:
-- detection (equipment, description, date) is the MES's, the request's progress (done, close
-- date, the ERP request id) the ERP's; a change of the other side's fields is a request, refused
-- and logged (erpmes.conflict_log, kind 'request'), and the owner's value is sent back.
--
-- Neutral payload, the same fields from both sides (so that an applied row echoes exactly and is
-- not sent back):
--   number            the MES number (the key)
--   equipment_serial  workstation.serialnumber (= ERP maintenance_equipment.serial_no); null when the
--                     event names no workstation
--   description       the MES description (ERP: maintenance_request.description; its name is
--                     number || ': ' || description)
--   request_date      createdate::date: the plant-local day the event was raised (createdate is
--                     plant-local already; Odoo's request_date is a date without time zone)
--   done              the event is 04closed (ERP: the request's stage is a done stage)
--   close_date        closedate::date when done, else null (ERP: close_date when done)
--   request           externalnumber (ERP: the maintenance_request id, as text)
-- A workstation without serial number cannot be matched to an ERP equipment: its events carry
-- workstation_without_serial (the workstation number), which the ERP rejects; the field never
-- reaches an applied row, so the echo stays exact. Proposals (03proposal) and revoked events
-- (05revoked: no failure after all) have no payload: the ERP never sees a proposal, and archives
-- the request of an event revoked (or deleted) after it was sent. Fault type and solution have no
-- place in the ERP request and stay in the MES.
--
-- Apply (ERP -> MES): done -> state 04closed with closedate from close_date (the current
-- plant-local time when the request closed today, else that day's midnight); not done while
-- 04closed (the ERP reopened the request) -> 02inProgress and no closedate; request ->
-- externalnumber; updatedate = plant time of the change. Events are never created or deleted from
-- the ERP (the owner rule refuses such requests before the apply function runs).

-- Payload functions run as erpmes_owner (erpmes.batch); the apply as the replicator's login.
GRANT USAGE ON SCHEMA mes TO erpmes_owner;
GRANT SELECT ON mes.maintenance_event, mes.workstation TO erpmes_owner;
-- Table-level UPDATE: the replicator locks the tables an entity writes (LOCK TABLE ... IN ROW
-- EXCLUSIVE MODE), which column privileges do not allow; the apply writes state, closedate,
-- updatedate, externalnumber and description only.
GRANT UPDATE ON mes.maintenance_event TO erpmes_run;

CREATE OR REPLACE FUNCTION mes.maintenance_event_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('number', e.number),
           jsonb_build_object(
               'number', e.number,
               'equipment_serial', w.serialnumber,
               'description', e.description,
               'request_date', e.createdate::date,
               'done', e.state = '04closed',
               'close_date', CASE WHEN e.state = '04closed' THEN e.closedate::date END,
               'request', e.externalnumber)
           || CASE WHEN w.id IS NOT NULL AND w.serialnumber IS NULL
                   THEN jsonb_build_object('workstation_without_serial', w.number) ELSE '{}'::jsonb END
    FROM mes.maintenance_event AS e
    LEFT JOIN mes.workstation AS w ON w.id = e.workstation_id
    WHERE e.number IN (SELECT k->>'number' FROM unnest(keys) AS k)
      AND e.type IN ('01failure', '02issue')
      AND e.state <> '05revoked'
$$;
REVOKE ALL ON FUNCTION mes.maintenance_event_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.maintenance_event_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.maintenance_event_payload(jsonb[]) IS
    'erpmes payload of entity maintenance_event: a failure or issue with its equipment serial, description, day, and the ERP-owned done, close date and request id.';

CREATE OR REPLACE FUNCTION mes.maintenance_event_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS maintenance_event_in (
        key jsonb PRIMARY KEY, id bigint, state text, closedate timestamp, externalnumber text, description text,
        changed boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    TRUNCATE maintenance_event_in;
    -- The event as it is to be: each field the payload carries, the stored value otherwise.
    INSERT INTO maintenance_event_in (key, id, state, closedate, externalnumber, description)
    SELECT b.key, e.id, n.state,
           CASE WHEN n.state <> '04closed' THEN NULL
                WHEN n.close_date IS NULL THEN NULL
                WHEN n.close_date = e.closedate::date THEN e.closedate
                WHEN n.close_date = mes.plant_now()::date THEN date_trunc('second', mes.plant_now())
                ELSE n.close_date::timestamp END,
           CASE WHEN b.payload ? 'request' THEN b.payload->>'request' ELSE e.externalnumber END,
           CASE WHEN b.payload ? 'description' THEN b.payload->>'description' ELSE e.description END
    FROM pg_temp.erpmes_batch AS b
    JOIN mes.maintenance_event AS e ON e.number = b.key->>'number'
    CROSS JOIN LATERAL (
        SELECT CASE WHEN NOT b.payload ? 'done' THEN e.state
                    WHEN (b.payload->>'done')::boolean THEN '04closed'
                    WHEN e.state = '04closed' THEN '02inProgress'
                    ELSE e.state END AS state,
               CASE WHEN b.payload ? 'close_date' THEN (b.payload->>'close_date')::date
                    ELSE e.closedate::date END AS close_date
    ) AS n
    WHERE b.op = 'U';

    WITH written AS (
        UPDATE mes.maintenance_event AS e
        SET state = i.state, closedate = i.closedate, externalnumber = i.externalnumber, description = i.description,
            updatedate = date_trunc('second', mes.plant_now())
        FROM maintenance_event_in AS i
        WHERE e.id = i.id
          AND (e.state, e.closedate, e.externalnumber, e.description)
              IS DISTINCT FROM (i.state, i.closedate, i.externalnumber, i.description)
        RETURNING e.id
    )
    UPDATE maintenance_event_in AS i SET changed = true FROM written AS w WHERE w.id = i.id;

    RETURN QUERY
    SELECT b.key,
           CASE WHEN i.changed THEN 'applied' ELSE 'skipped' END,
           CASE WHEN b.op <> 'U' THEN 'MES events are not deleted from the ERP'
                WHEN i.key IS NULL THEN format('no MES maintenance event %s', b.key->>'number')
                WHEN NOT i.changed THEN 'nothing to change' END
    FROM pg_temp.erpmes_batch AS b
    LEFT JOIN maintenance_event_in AS i ON i.key = b.key;
END $$;
REVOKE ALL ON FUNCTION mes.maintenance_event_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.maintenance_event_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.maintenance_event_apply() IS
    'erpmes apply of entity maintenance_event (ERP -> MES): a request in a done stage closes the MES event (04closed, closedate), a reopened one reopens it; the ERP request id goes to externalnumber.';

SELECT erpmes.publish('maintenance_event', 'mes.maintenance_event', ARRAY['number'], 'mes.maintenance_event_payload(jsonb[])');

SELECT erpmes.subscribe(
    'maintenance_event',
    'mes.maintenance_event_apply()',
    'owner',
    '{"*": "mes", "done": "erp", "close_date": "erp", "request": "erp"}',
    tables => ARRAY['mes.maintenance_event']::regclass[]);
