-- Master data, MES side: entity `workstation` from the ERP (mrp_workcenter, key {"code": ...}),
-- applied to mes.workstation, and published back under the same key and neutral payload so that
-- an MES edit reaches the ERP as a request: the ERP's owner rule rejects it, logs it and sends its
-- own version back. Subscribed with the owner rule, ownership {"*": "erp"}.
--
-- Neutral payload -> mes.workstation:
--   key code   -> number (NOT NULL UNIQUE)
--   name       -> name
--   serial_no  -> serialnumber (the linked equipment's maintenance_equipment.serial_no, or NULL)
--   erp_id     -> externalnumber (mrp_workcenter.id as text)
-- Not in the payload, so the MES's own: productionline_id and state (01stopped / 02launched).
-- The MES publishes its active workstations that carry an ERP id; the others are absent. An ERP
-- delete or archive deactivates the workstation (tasks, stoppages and calendars refer to it); a
-- code changed in the ERP renames the row found by its ERP id.
-- Rejected to the dead letter: a NULL or empty code (with the mrp_workcenter ids under it), a code
-- shared by several work centers, a value too long for its column.
-- An update's payload may carry only the changed fields: absent fields keep their value.
-- erpmes:requires master_common.sql

CREATE OR REPLACE FUNCTION mes.master_workstation_payload(keys jsonb[])
RETURNS TABLE (key jsonb, payload jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('code', w.number),
           jsonb_build_object(
               'code', w.number,
               'name', w.name,
               'serial_no', w.serialnumber,
               'erp_id', w.externalnumber)
    FROM mes.workstation AS w
    WHERE w.number IN (SELECT k->>'code' FROM unnest(keys) AS k)
      AND w.active AND w.externalnumber IS NOT NULL
$$;
REVOKE ALL ON FUNCTION mes.master_workstation_payload(jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_workstation_payload(jsonb[]) TO erpmes_owner, erpmes_run;
COMMENT ON FUNCTION mes.master_workstation_payload(jsonb[]) IS
    'Neutral payload of entity workstation as the MES holds it (active workstations with an ERP id): code, name, serial_no, erp_id.';

CREATE OR REPLACE FUNCTION mes.master_workstation_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS master_workstation_batch (
        key jsonb PRIMARY KEY,
        number text,
        payload jsonb,
        row_id bigint,
        problem text
    ) ON COMMIT DROP;
    TRUNCATE master_workstation_batch;
    INSERT INTO master_workstation_batch (key, number, payload)
    SELECT b.key, b.key->>'code', b.payload FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U';

    -- The row each key writes: the workstation with that number, else (the ERP changed the code)
    -- the one holding the same ERP id whose number no other key of the batch claims.
    UPDATE master_workstation_batch AS r SET row_id = coalesce(
        (SELECT w.id FROM mes.workstation AS w WHERE w.number = r.number),
        (SELECT min(w.id) FROM mes.workstation AS w
         WHERE r.payload ? 'erp_id' AND w.externalnumber = r.payload->>'erp_id'
           AND NOT EXISTS (SELECT FROM master_workstation_batch AS o WHERE o.number = w.number)
         HAVING count(*) = 1));

    UPDATE master_workstation_batch AS r SET problem = CASE
        WHEN r.number IS NULL THEN
            format('code is NULL (column mrp_workcenter.code, value NULL) for mrp_workcenter.id %s (name %s)',
                   coalesce(r.payload->>'erp_id',
                            (SELECT string_agg(i, ', ') FROM jsonb_array_elements_text(r.payload->'erp_ids') AS i), '?'),
                   coalesce(quote_literal(r.payload->>'name'), 'NULL'))
        WHEN r.payload ? 'erp_ids' THEN
            format('code %s is not unique (column mrp_workcenter.code): mrp_workcenter.id %s',
                   quote_literal(r.number), (SELECT string_agg(i, ', ') FROM jsonb_array_elements_text(r.payload->'erp_ids') AS i))
        WHEN btrim(r.number) = '' OR length(r.number) > 255 THEN
            format('code %s is empty or longer than 255 characters (column mrp_workcenter.code)', quote_literal(r.number))
        WHEN length(r.payload->>'name') > 1024 THEN
            format('name is longer than 1024 characters (column mrp_workcenter.name, value %s...)',
                   quote_literal(left(r.payload->>'name', 40)))
        WHEN length(r.payload->>'serial_no') > 255 THEN
            format('serial_no %s is longer than 255 characters (column maintenance_equipment.serial_no)',
                   quote_literal(r.payload->>'serial_no'))
        WHEN r.row_id IS NULL AND NOT r.payload ?& ARRAY['name', 'serial_no', 'erp_id'] THEN
            format('a new workstation needs name, serial_no and erp_id; the payload has %s',
                   (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(r.payload) AS k))
    END;

    UPDATE mes.workstation AS w SET
        number = r.number,
        name = CASE WHEN r.payload ? 'name' THEN r.payload->>'name' ELSE w.name END,
        serialnumber = CASE WHEN r.payload ? 'serial_no' THEN r.payload->>'serial_no' ELSE w.serialnumber END,
        externalnumber = CASE WHEN r.payload ? 'erp_id' THEN r.payload->>'erp_id' ELSE w.externalnumber END,
        active = true,
        entityversion = w.entityversion + 1
    FROM master_workstation_batch AS r
    WHERE r.row_id = w.id AND r.problem IS NULL;
    INSERT INTO mes.workstation (number, name, serialnumber, externalnumber)
    SELECT r.number, r.payload->>'name', r.payload->>'serial_no', r.payload->>'erp_id'
    FROM master_workstation_batch AS r
    WHERE r.row_id IS NULL AND r.problem IS NULL
    ORDER BY r.number;
    -- Gone or archived in the ERP: deactivated, never deleted.
    UPDATE mes.workstation AS w SET active = false, entityversion = w.entityversion + 1
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'D' AND w.number = b.key->>'code' AND w.active;

    RETURN QUERY
    SELECT r.key, CASE WHEN r.problem IS NULL THEN 'applied' ELSE 'rejected' END, r.problem
    FROM master_workstation_batch AS r
    UNION ALL
    SELECT b.key, CASE b.op WHEN 'D' THEN 'applied' ELSE 'skipped' END, NULL
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION mes.master_workstation_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_workstation_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.master_workstation_apply() IS
    'Apply function of entity workstation: upserts mes.workstation by number (or by ERP id after a code change); rejects NULL or shared codes; deletes deactivate.';

GRANT SELECT, INSERT, UPDATE ON mes.workstation TO erpmes_run;
GRANT SELECT ON mes.workstation TO erpmes_owner;

SELECT erpmes.publish('workstation', 'mes.workstation', ARRAY['number'], 'mes.master_workstation_payload(jsonb[])',
    '[]'::jsonb, ARRAY['code']);
SELECT erpmes.subscribe('workstation', 'mes.master_workstation_apply()', 'owner', '{"*": "erp"}'::jsonb, -30,
    '{}'::jsonb, ARRAY['mes.workstation']::regclass[]);
