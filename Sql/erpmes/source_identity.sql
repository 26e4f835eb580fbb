-- erpmes.source_identity: this cluster's system_identifier and timeline. The target stores them
-- with its apply position; after a restore or a failover to a lagging standby xids can repeat, so
-- a mismatch halts the link instead of skipping data. Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.source_identity(OUT system_identifier bigint, OUT timeline integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT s.system_identifier, c.timeline_id FROM pg_control_system() AS s, pg_control_checkpoint() AS c;
END;
REVOKE ALL ON FUNCTION erpmes.source_identity() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.source_identity() TO erpmes_run;
REVOKE ALL ON FUNCTION erpmes.source_identity() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.source_identity() TO erpmes_run;
COMMENT ON FUNCTION erpmes.source_identity() IS 'The cluster''s system_identifier and timeline, checked by every apply.';
RESET ROLE;
