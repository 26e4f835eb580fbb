-- erpmes.finish_apply: advances a link's apply position in the transaction that applied the chunk
-- (after erpmes.begin_apply locked the row). `complete`: the window of tick `tick` is applied whole,
-- and the position becomes that tick. Otherwise the window stays open with its first `done` keys
-- (in erpmes.open_window's order for window_entities and window_groups) applied, so a restart
-- resumes after them and no chunk is ever applied twice. Also clears the direction's stored error (it made progress)
-- and prunes the apply statistics that erpmes.apply_entity keeps per minute to the last hour.
-- Called by `erpmes run`.
SET LOCAL ROLE erpmes_owner;
DROP FUNCTION IF EXISTS erpmes.finish_apply(text, pg_snapshot, bigint);
CREATE OR REPLACE FUNCTION erpmes.finish_apply(
    consumer_name text,
    tick pg_snapshot,
    keys bigint,
    complete boolean,
    window_entities text[],
    window_groups integer[],
    done bigint,
    window_keys bigint
) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    UPDATE erpmes.apply_position AS a
    -- Arguments are named with the function's name: window_entities, window_groups and window_keys are also columns.
    SET snapshot = CASE WHEN finish_apply.complete THEN finish_apply.tick ELSE a.snapshot END,
        window_snapshot = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.tick END,
        window_entities = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.window_entities END,
        window_groups = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.window_groups END,
        window_done = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.done END,
        window_keys = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.window_keys END,
        tick_id = a.tick_id + 1, applied_at = now(), applied_keys = a.applied_keys + finish_apply.keys
    WHERE a.consumer = consumer_name;
    DELETE FROM erpmes.link_error AS e WHERE e.consumer = consumer_name;
    DELETE FROM erpmes.apply_stat AS s
    WHERE s.consumer = consumer_name AND s.minute < date_trunc('minute', now()) - interval '1 hour';
END;
REVOKE ALL ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], integer[], bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], integer[], bigint, bigint) TO erpmes_run;
COMMENT ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], integer[], bigint, bigint) IS
    'Advances a link''s apply position: to the tick when its window is applied whole, else the count of the window''s keys applied; clears the stored error.';
RESET ROLE;
