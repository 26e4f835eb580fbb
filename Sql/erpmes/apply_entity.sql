-- erpmes.apply_entity: applies the rows of one entity that the replicator loaded with COPY into
-- the session's temporary table erpmes_batch (key jsonb, op "char", payload jsonb), through the
-- entity's registered apply function, then records bases for what applied. Runs with the caller's
-- rights: the apply function writes business tables with the replicator login's grants.
-- Called by `erpmes run` inside the batch's transaction.
-- erpmes:requires record_base.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.apply_entity(entity_name text)
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fn regproc;
BEGIN
    SELECT s.apply_function::regproc INTO fn FROM erpmes.subscription AS s WHERE s.entity = entity_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'entity % is not subscribed on this database', entity_name USING ERRCODE = '42704';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS erpmes_outcome (key jsonb, outcome text, reason text) ON COMMIT DROP;
    TRUNCATE erpmes_outcome;
    EXECUTE format('INSERT INTO erpmes_outcome SELECT * FROM %s()', fn);
    PERFORM erpmes.record_base(
        entity_name,
        ARRAY(SELECT b.key FROM pg_temp.erpmes_batch AS b JOIN erpmes_outcome AS o ON o.key = b.key
              WHERE o.outcome = 'applied' AND b.op <> 'T' ORDER BY b.key),
        ARRAY(SELECT CASE WHEN b.op = 'U' THEN b.payload END FROM pg_temp.erpmes_batch AS b
              JOIN erpmes_outcome AS o ON o.key = b.key WHERE o.outcome = 'applied' AND b.op <> 'T' ORDER BY b.key)
    );
    RETURN QUERY SELECT o.key, o.outcome, o.reason FROM erpmes_outcome AS o;
END $$;
REVOKE ALL ON FUNCTION erpmes.apply_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.apply_entity(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.apply_entity(text) IS
    'Applies the loaded erpmes_batch rows of one entity through its apply function; one outcome per key.';
RESET ROLE;
