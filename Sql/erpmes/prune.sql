-- erpmes.prune: deletes what is older than the retention from the books that only grow: the
-- conflict log, closed dead letters and resolved conflicts (DESIGN 2.7). Called by `erpmes run`
-- on each target about once a minute; returns the rows deleted.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.prune(retention interval) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    deleted bigint := 0;
    n bigint;
BEGIN
    DELETE FROM erpmes.conflict_log WHERE logged_at < now() - retention;
    GET DIAGNOSTICS n = ROW_COUNT;
    deleted := deleted + n;
    DELETE FROM erpmes.dead_letter WHERE status IN ('resolved', 'skipped') AND closed_at < now() - retention;
    GET DIAGNOSTICS n = ROW_COUNT;
    deleted := deleted + n;
    DELETE FROM erpmes.conflict WHERE status = 'resolved' AND resolved_at < now() - retention;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN deleted + n;
END $$;
REVOKE ALL ON FUNCTION erpmes.prune(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.prune(interval) TO erpmes_run;
COMMENT ON FUNCTION erpmes.prune(interval) IS 'Deletes conflict-log rows, closed dead letters and resolved conflicts older than the retention.';
RESET ROLE;
