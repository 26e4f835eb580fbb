-- erpmes.unsubscribe: drops an entity this database receives.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.unsubscribe(entity_name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM erpmes.subscription WHERE entity = entity_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'entity % is not subscribed here', entity_name USING ERRCODE = '42704';
    END IF;
    PERFORM pg_notify('erpmes_control', 'unsubscribe');
END $$;
REVOKE ALL ON FUNCTION erpmes.unsubscribe(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION erpmes.unsubscribe(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.unsubscribe(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.unsubscribe(text) IS 'Drops a received entity.';
RESET ROLE;
