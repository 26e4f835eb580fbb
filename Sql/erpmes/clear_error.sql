-- erpmes.clear_error: removes the stored error of a link direction once it makes progress again
-- without a batch to commit (its changes turned out to be echoes). Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.clear_error(consumer_name text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    DELETE FROM erpmes.link_error AS e WHERE e.consumer = consumer_name;
END;
REVOKE ALL ON FUNCTION erpmes.clear_error(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.clear_error(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.clear_error(text) IS 'Removes the stored error of a link direction once it makes progress again.';
RESET ROLE;
