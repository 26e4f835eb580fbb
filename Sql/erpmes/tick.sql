-- erpmes.tick: takes tick n for a consumer. Must be the first statement of a REPEATABLE READ
-- transaction, so pg_current_snapshot() is the transaction's own snapshot and the batch read next
-- in the same transaction is exactly the changes visible in it and not in the previous tick.
-- When there are changes it writes the consumer row, so the caller's COMMIT (synchronous_commit
-- on) makes the tick durable before the target commits: after a crash the source never hands out
-- again an xid that this snapshot called finished. Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.tick(
    consumer_name text,
    previous pg_snapshot,
    OUT snapshot pg_snapshot,
    OUT changes boolean,
    OUT needs_resync boolean
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    c erpmes.consumer;
BEGIN
    IF current_setting('transaction_isolation') <> 'repeatable read' THEN
        RAISE EXCEPTION 'erpmes.tick must run in a REPEATABLE READ transaction' USING ERRCODE = '25000';
    END IF;
    snapshot := pg_current_snapshot();
    SELECT * INTO c FROM erpmes.consumer WHERE consumer = consumer_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer % is not registered on this database', consumer_name USING ERRCODE = '42704';
    END IF;
    needs_resync := c.needs_resync;
    changes := EXISTS (
        SELECT FROM erpmes.queue AS q
        WHERE q.xid >= pg_snapshot_xmin(previous) AND q.xid < pg_snapshot_xmax(snapshot)
          AND pg_visible_in_snapshot(q.xid, snapshot) AND NOT pg_visible_in_snapshot(q.xid, previous)
    );
    IF changes THEN
        -- The previous tick is what the target has committed: rotation waits for it.
        UPDATE erpmes.consumer
        SET last_tick_snapshot = snapshot, last_tick_at = now(), confirmed_snapshot = previous, confirmed_at = now()
        WHERE consumer = consumer_name;
    ELSIF c.confirmed_snapshot IS NULL
        -- The target applied past the confirmed snapshot: something visible in `previous` is not in
        -- it. (Comparing xmin alone misses it while any transaction of the cluster holds xmin back.)
        OR pg_snapshot_xmax(c.confirmed_snapshot) < pg_snapshot_xmax(previous)
        OR EXISTS (SELECT FROM pg_snapshot_xip(c.confirmed_snapshot) AS x WHERE pg_visible_in_snapshot(x, previous))
        OR EXISTS (SELECT FROM erpmes.queue_state AS s WHERE s.switch_xid IS NOT NULL
                   AND pg_snapshot_xmin(c.confirmed_snapshot) <= s.switch_xid) THEN
        -- Nothing between the previous tick and this one: everything this snapshot sees is consumed.
        -- Written only when that moves the confirmed position (after a batch, or while a rotation
        -- waits for this consumer), so an idle link does not commit on every poll.
        UPDATE erpmes.consumer
        SET last_tick_snapshot = snapshot, last_tick_at = now(), confirmed_snapshot = snapshot, confirmed_at = now()
        WHERE consumer = consumer_name;
    END IF;
END $$;
REVOKE ALL ON FUNCTION erpmes.tick(text, pg_snapshot) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.tick(text, pg_snapshot) TO erpmes_run;
COMMENT ON FUNCTION erpmes.tick(text, pg_snapshot) IS
    'Takes a tick for a consumer in a REPEATABLE READ transaction: the snapshot, and whether changes are visible since the previous one.';
RESET ROLE;
