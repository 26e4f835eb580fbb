-- erpmes.requeue: queues keys of an entity this database publishes as if they had just changed,
-- so the replicator re-reads their current state and sends it (dead-letter retry, resumed
-- entities, conflicts decided here). Clears their echo hash, so the send is not taken for an echo.
-- forget_base (a retry or a resume): the key's earlier send never applied, so this side's base no
-- longer describes the other side; it is dropped, and the receiver compares with its own base.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.requeue(entity_name text, keys jsonb[], forget_base boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    id integer;
    part bigint;
    queued integer;
BEGIN
    SELECT p.entity_id INTO id FROM erpmes.publication AS p WHERE p.entity = entity_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'entity % is not published on this database', entity_name USING ERRCODE = '42704';
    END IF;
    SELECT last_value INTO part FROM erpmes.queue_current;
    EXECUTE format('INSERT INTO erpmes.queue_%s (xid, entity_id, key, origin)
                    SELECT pg_current_xact_id(), $1, k.key, ''requeue''
                    FROM (SELECT DISTINCT k0 AS key FROM unnest($2) AS k0 WHERE k0 IS NOT NULL) AS k', part)
    USING id, keys;
    GET DIAGNOSTICS queued = ROW_COUNT;
    -- Base rows an apply holds right now are left to it (it sets them anew); no wait, no lock slot.
    UPDATE erpmes.base AS b SET hash = NULL, vals = CASE WHEN forget_base THEN NULL ELSE b.vals END
    FROM (SELECT x.key FROM erpmes.base AS x
          WHERE x.entity = entity_name AND x.key = ANY (keys) AND (x.hash IS NOT NULL OR forget_base)
          ORDER BY x.key FOR UPDATE SKIP LOCKED) AS l
    WHERE b.entity = entity_name AND b.key = l.key;
    IF (SELECT notify FROM erpmes.queue_state) THEN
        PERFORM erpmes.wake();
    END IF;
    RETURN queued;
END $$;
REVOKE ALL ON FUNCTION erpmes.requeue(text, jsonb[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.requeue(text, jsonb[], boolean) TO erpmes_run;
COMMENT ON FUNCTION erpmes.requeue(text, jsonb[], boolean) IS
    'Queues keys of a published entity as changed, so their current state is re-read and sent.';
RESET ROLE;
