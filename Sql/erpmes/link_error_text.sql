-- erpmes.link_error_text: the stored error of a link direction (erpmes.link_error) in the words
-- erpmes status and erpmes.replication_health show: SQLSTATE, where, for how long, the message.
-- NULL while the direction makes progress.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.link_error_text(consumer_name text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    SELECT format('error %s in %s for %ss: %s', coalesce(e.sqlstate, '-'), e.stage,
                  round(extract(epoch FROM now() - e.since)), e.message)
    FROM erpmes.link_error AS e WHERE e.consumer = consumer_name;
END;
REVOKE ALL ON FUNCTION erpmes.link_error_text(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.link_error_text(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.link_error_text(text) IS
    'The error that keeps a link direction from making progress, in words (SQLSTATE, stage, since when); NULL while it progresses.';
RESET ROLE;
