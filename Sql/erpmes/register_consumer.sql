-- erpmes.register_consumer: registers a link reading this database's queue (idempotent) and
-- returns where the link starts: for a new link the snapshot of the oldest publish on this
-- database (so rows written after the entities were declared and before the first `erpmes run`
-- are sent), else its confirmed snapshot. A registered link holds queue rotation back from then
-- on. Called by `erpmes run` at every start; the target's apply position, once created, decides.
-- erpmes:requires declared_snapshot.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.register_consumer(consumer_name text) RETURNS pg_snapshot
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    start pg_snapshot;
BEGIN
    SELECT c.confirmed_snapshot INTO start FROM erpmes.consumer AS c WHERE c.consumer = consumer_name;
    IF FOUND AND start IS NOT NULL THEN
        RETURN start;
    END IF;
    start := erpmes.declared_snapshot();
    INSERT INTO erpmes.consumer AS c (consumer, confirmed_snapshot, confirmed_at)
    VALUES (consumer_name, start, now())
    ON CONFLICT (consumer) DO UPDATE SET confirmed_snapshot = coalesce(c.confirmed_snapshot, EXCLUDED.confirmed_snapshot);
    RETURN start;
END $$;
REVOKE ALL ON FUNCTION erpmes.register_consumer(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.register_consumer(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.register_consumer(text) IS
    'Registers a link as a consumer of this database''s queue; returns where it starts (the oldest publish for a new link).';
RESET ROLE;
