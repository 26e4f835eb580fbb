-- erpmes.init_position: creates a link's apply position on its target the first time the link
-- runs, starting at the source snapshot taken when the consumer was registered; later calls return
-- the stored row unchanged. Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.init_position(
    consumer_name text,
    system_identifier bigint,
    timeline integer,
    start pg_snapshot
) RETURNS erpmes.apply_position
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    position erpmes.apply_position;
BEGIN
    INSERT INTO erpmes.apply_position (consumer, source_system_identifier, source_timeline, snapshot)
    VALUES (consumer_name, system_identifier, timeline, start)
    ON CONFLICT (consumer) DO NOTHING;
    SELECT * INTO position FROM erpmes.apply_position WHERE consumer = consumer_name;
    RETURN position;
END $$;
REVOKE ALL ON FUNCTION erpmes.init_position(text, bigint, integer, pg_snapshot) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.init_position(text, bigint, integer, pg_snapshot) TO erpmes_run;
COMMENT ON FUNCTION erpmes.init_position(text, bigint, integer, pg_snapshot) IS
    'Creates a link''s apply position on first run; returns the stored position.';
RESET ROLE;
