-- erpmes.declared_snapshot: where a link that has never run starts on this database: the snapshot
-- of the oldest erpmes.publish (every capture comes from a transaction not visible in it), else
-- the current snapshot. Used by erpmes.register_consumer (the start) and erpmes.pending (what a
-- link that never ran will send).
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.declared_snapshot() RETURNS pg_snapshot
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    SELECT coalesce(
        (SELECT p.published_snapshot FROM erpmes.publication AS p
         WHERE p.published_snapshot IS NOT NULL
         ORDER BY pg_snapshot_xmin(p.published_snapshot) LIMIT 1),
        pg_current_snapshot());
END;
REVOKE ALL ON FUNCTION erpmes.declared_snapshot() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.declared_snapshot() TO erpmes_run;
COMMENT ON FUNCTION erpmes.declared_snapshot() IS
    'Where a link that never ran starts here: the snapshot of the oldest publish, else the current one.';
RESET ROLE;
