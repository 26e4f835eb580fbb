-- erpmes.finish_apply: advances a link's apply position to the batch's tick, in the transaction
-- that applied it (after erpmes.begin_apply locked the row), and prunes the apply statistics that
-- erpmes.apply_entity keeps per minute to the last hour. Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.finish_apply(consumer_name text, tick pg_snapshot, keys bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    UPDATE erpmes.apply_position
    SET snapshot = tick, tick_id = tick_id + 1, applied_at = now(), applied_keys = applied_keys + keys
    WHERE consumer = consumer_name;
    DELETE FROM erpmes.apply_stat AS s
    WHERE s.consumer = consumer_name AND s.minute < date_trunc('minute', now()) - interval '1 hour';
END;
REVOKE ALL ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint) TO erpmes_run;
COMMENT ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint) IS
    'Advances a link''s apply position to the tick just applied; prunes old apply statistics.';
RESET ROLE;
