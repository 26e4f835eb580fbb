-- erpmes.register_consumer: registers a link reading this database's queue (idempotent) and
-- returns the current snapshot, the start of a new link. Called by `erpmes run` on first start.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.register_consumer(consumer_name text) RETURNS pg_snapshot
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
BEGIN
    INSERT INTO erpmes.consumer (consumer, confirmed_snapshot, confirmed_at)
    VALUES (consumer_name, pg_current_snapshot(), now())
    ON CONFLICT (consumer) DO NOTHING;
    RETURN pg_current_snapshot();
END $$;
REVOKE ALL ON FUNCTION erpmes.register_consumer(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.register_consumer(text) TO erpmes_run;
REVOKE ALL ON FUNCTION erpmes.register_consumer(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.register_consumer(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.register_consumer(text) IS 'Registers a link as a consumer of this database''s queue.';
RESET ROLE;
