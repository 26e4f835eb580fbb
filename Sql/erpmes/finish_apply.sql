-- erpmes.finish_apply: advances a link's apply position in the transaction that applied the chunk
-- (after erpmes.begin_apply locked the row). `complete`: the window of tick `tick` is applied whole,
-- and the position becomes that tick. Otherwise the window stays open, applied up to and including
-- (after_entity, after_key) in the order of window_entities, so a restart resumes after that key
-- and no chunk is ever applied twice. Also clears the direction's stored error (it made progress)
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
    after_entity text,
    after_key jsonb,
    window_keys bigint
) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    UPDATE erpmes.apply_position AS a
    -- Arguments are named with the function's name: window_entities and window_keys are also columns.
    SET snapshot = CASE WHEN finish_apply.complete THEN finish_apply.tick ELSE a.snapshot END,
        window_snapshot = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.tick END,
        window_entities = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.window_entities END,
        window_after_entity = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.after_entity END,
        window_after_key = CASE WHEN finish_apply.complete THEN NULL ELSE finish_apply.after_key END,
        window_keys = CASE WHEN finish_apply.complete THEN NULL
                           ELSE coalesce(finish_apply.window_keys, a.window_keys) END,
        window_applied = CASE WHEN finish_apply.complete THEN NULL
                              ELSE coalesce(a.window_applied, 0) + finish_apply.keys END,
        tick_id = a.tick_id + 1, applied_at = now(), applied_keys = a.applied_keys + finish_apply.keys
    WHERE a.consumer = consumer_name;
    DELETE FROM erpmes.link_error AS e WHERE e.consumer = consumer_name;
    DELETE FROM erpmes.apply_stat AS s
    WHERE s.consumer = consumer_name AND s.minute < date_trunc('minute', now()) - interval '1 hour';
END;
REVOKE ALL ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], text, jsonb, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], text, jsonb, bigint) TO erpmes_run;
COMMENT ON FUNCTION erpmes.finish_apply(text, pg_snapshot, bigint, boolean, text[], text, jsonb, bigint) IS
    'Advances a link''s apply position: to the tick when its window is applied whole, else the window''s last applied key; clears the stored error.';
RESET ROLE;
