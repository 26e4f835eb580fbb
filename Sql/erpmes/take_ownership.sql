-- erpmes.take_ownership: bumps a link's owner epoch when a replicator takes the link over. Every
-- apply checks the epoch under the position's row lock, so a replicator that lost the link (killed,
-- partitioned) can never commit another apply, even if its backend wakes up minutes later.
-- The UPDATE waits for an apply in flight to finish. Called by `erpmes run` after it gets the
-- link's advisory lock.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.take_ownership(consumer_name text) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    UPDATE erpmes.apply_position SET owner_epoch = owner_epoch + 1
    WHERE consumer = consumer_name
    RETURNING owner_epoch;
END;
REVOKE ALL ON FUNCTION erpmes.take_ownership(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.take_ownership(text) TO erpmes_run;
REVOKE ALL ON FUNCTION erpmes.take_ownership(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.take_ownership(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.take_ownership(text) IS 'Bumps a link''s owner epoch on takeover; older owners are fenced off.';
RESET ROLE;
