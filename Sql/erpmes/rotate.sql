-- erpmes.rotate: queue hygiene, one step per call (PgQ's two-step switch). Switches capture to the
-- next queue table when the current one holds max_rows or is older than max_age; in a later call
-- records switch_xid (an xid taken after the switch); and once no transaction older than that runs
-- and every consumer has confirmed past it, TRUNCATEs the drained table. No row is ever DELETEd.
-- Also marks consumers that confirmed nothing for longer than `retention` as needing resync, so a
-- dead link cannot hold the queue forever (a link that calls rotate, busy or idle, is alive).
-- Called by `erpmes run` every few seconds with its consumer name.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.rotate(
    caller text,
    max_rows bigint DEFAULT 1000000,
    max_age interval DEFAULT '5 minutes',
    retention interval DEFAULT '7 days'
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    st erpmes.queue_state;
    current_part integer;
    filled bigint;
BEGIN
    SELECT * INTO st FROM erpmes.queue_state FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 'busy';  -- another replicator is rotating
    END IF;
    -- The caller's link is alive: refresh its heartbeat, then mark links that have not been heard
    -- of for longer than the retention (down, not merely idle).
    UPDATE erpmes.consumer SET last_tick_at = now() WHERE consumer = caller;
    UPDATE erpmes.consumer SET needs_resync = true
    WHERE NOT needs_resync AND coalesce(last_tick_at, registered_at) < now() - retention;
    IF st.draining_table IS NOT NULL THEN
        IF st.switch_xid IS NULL THEN
            -- This transaction's xid comes after the switch: every writer that may still have read
            -- the old table number holds an older one.
            UPDATE erpmes.queue_state SET switch_xid = pg_current_xact_id();
            RETURN 'switching';
        END IF;
        IF pg_snapshot_xmin(pg_current_snapshot()) <= st.switch_xid THEN
            RETURN 'waiting for writers';
        END IF;
        IF EXISTS (SELECT FROM erpmes.consumer AS c WHERE NOT c.needs_resync
                   AND (c.confirmed_snapshot IS NULL OR pg_snapshot_xmin(c.confirmed_snapshot) <= st.switch_xid)) THEN
            RETURN 'waiting for consumers';
        END IF;
        PERFORM set_config('lock_timeout', '1s', true);
        BEGIN
            EXECUTE format('TRUNCATE erpmes.queue_%s', st.draining_table);
        EXCEPTION WHEN lock_not_available THEN
            RETURN 'waiting for lock';
        END;
        UPDATE erpmes.queue_state SET draining_table = NULL, switch_xid = NULL;
        RETURN 'truncated';
    END IF;
    SELECT last_value INTO current_part FROM erpmes.queue_current;
    EXECUTE format('SELECT count(*) FROM (SELECT FROM erpmes.queue_%s LIMIT $1) AS q', current_part)
        INTO filled USING max_rows;
    IF filled = 0 OR (filled < max_rows AND st.switched_at > now() - max_age) THEN
        RETURN 'idle';
    END IF;
    UPDATE erpmes.queue_state
    SET draining_table = current_part, switch_xid = NULL, switched_at = now(), rotations = rotations + 1;
    -- Last, because setval is not undone by a rollback: capture moves only once the switch is recorded.
    PERFORM setval('erpmes.queue_current', (current_part + 1) % 3, true);
    RETURN 'switched';
END $$;
REVOKE ALL ON FUNCTION erpmes.rotate(text, bigint, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.rotate(text, bigint, interval, interval) TO erpmes_run;
COMMENT ON FUNCTION erpmes.rotate(text, bigint, interval, interval) IS
    'One step of queue rotation: switch, record the switch xid, or truncate the drained table; marks dead consumers for resync.';
RESET ROLE;
