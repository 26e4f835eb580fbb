-- erpmes.report_error: stores the error that keeps a link direction from making progress, on the
-- database the replicator can still reach (the target first), so that `erpmes status` and
-- erpmes.replication_health show it (CRIT) with its SQLSTATE and since when. A repeat of the same
-- error keeps `since`; erpmes.finish_apply (or erpmes.clear_error) removes it once the direction
-- makes progress. Called by `erpmes run`. Messages never carry parameter values or passwords.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.report_error(consumer_name text, stage text, sqlstate text, message text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    INSERT INTO erpmes.link_error AS e (consumer, stage, sqlstate, message)
    VALUES (consumer_name, stage, sqlstate, left(message, 2000))
    ON CONFLICT (consumer) DO UPDATE
        SET since = CASE WHEN e.sqlstate IS NOT DISTINCT FROM EXCLUDED.sqlstate AND e.stage = EXCLUDED.stage
                         THEN e.since ELSE now() END,
            stage = EXCLUDED.stage, sqlstate = EXCLUDED.sqlstate, message = EXCLUDED.message,
            last_seen = now(), attempts = e.attempts + 1;
END;
REVOKE ALL ON FUNCTION erpmes.report_error(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.report_error(text, text, text, text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.report_error(text, text, text, text) IS
    'Stores the error that stops a link direction (stage, SQLSTATE, message, since when) for status and health.';

RESET ROLE;
