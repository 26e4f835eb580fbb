-- erpmes.wake: called by capture triggers; sends NOTIFY erpmes_wake only while a replicator is
-- idle, without losing a wake-up (DESIGN 2.8). An idle replicator holds advisory lock I shared; a
-- writer holds S shared for its transaction while it decides. To go idle the replicator takes I,
-- then S exclusively (waiting out writers that saw no idle replicator), then takes a fresh tick.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.wake() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    deciding boolean;
    nobody_idle boolean;
BEGIN
    -- 0x57414B45 is "WAKE": the wake-up class of advisory locks; 1 is S, 2 is I.
    deciding := pg_try_advisory_xact_lock_shared(1463896901, 1);
    nobody_idle := pg_try_advisory_lock(1463896901, 2);
    IF nobody_idle THEN
        PERFORM pg_advisory_unlock(1463896901, 2);
    END IF;
    -- Skip only when we hold S and every replicator is busy: a busy one waits for our S before it
    -- goes idle, and its fresh tick then sees our commit.
    IF NOT (deciding AND nobody_idle) THEN
        PERFORM pg_notify('erpmes_wake', '');
    END IF;
END $$;
REVOKE ALL ON FUNCTION erpmes.wake() FROM PUBLIC;
REVOKE ALL ON FUNCTION erpmes.wake() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.wake() TO erpmes_run;
COMMENT ON FUNCTION erpmes.wake() IS 'NOTIFY erpmes_wake when a replicator is idle; called by capture triggers.';
RESET ROLE;
