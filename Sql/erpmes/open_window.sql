-- erpmes.open_window: lists the distinct keys of a window of changes (queue rows whose xid is
-- visible in `current` and not in `previous`) in the session's temporary table erpmes_window
-- (n, entity, key), numbered in the order they are applied: entities as in entity_order, keys in
-- jsonb order within each. Keys up to and including (after_entity, after_key) are left out: they
-- were applied by earlier chunks of the same window. Returns how many keys it listed.
-- The table outlives the transaction (a window is applied in several), so erpmes.batch reads
-- chunk after chunk of it by n; a new session lists the window again from the stored position.
-- Window membership depends on xids alone, not on the snapshot of the transaction that lists it.
-- Called by `erpmes run` on the source.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.open_window(
    previous pg_snapshot,
    current pg_snapshot,
    entity_order text[],
    after_entity text DEFAULT NULL,
    after_key jsonb DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    listed bigint;
    after_rank integer := coalesce(array_position(entity_order, after_entity), 0);
BEGIN
    IF to_regclass('pg_temp.erpmes_window') IS NULL THEN
        CREATE TEMP TABLE erpmes_window (n bigint NOT NULL, entity text NOT NULL, key jsonb NOT NULL);
        -- The replicator reads the last key of a chunk, to store it as its sub-position.
        GRANT SELECT ON pg_temp.erpmes_window TO erpmes_run;
    ELSE
        IF to_regclass('pg_temp.erpmes_window_n') IS NOT NULL THEN
            DROP INDEX pg_temp.erpmes_window_n;
        END IF;
        TRUNCATE pg_temp.erpmes_window;
    END IF;
    -- One sort: the grouping sorts by (rank, key), and the numbering reuses that order.
    INSERT INTO pg_temp.erpmes_window (n, entity, key)
    SELECT row_number() OVER (ORDER BY w.rank, w.key), min(w.entity), w.key
    FROM (
        SELECT array_position(entity_order, p.entity) AS rank, p.entity, q.key
        FROM erpmes.publication AS p
        JOIN erpmes.queue AS q ON q.entity_id = p.entity_id
        WHERE p.entity = ANY (entity_order)
          AND q.xid >= pg_snapshot_xmin(previous) AND q.xid < pg_snapshot_xmax(current)
          AND pg_visible_in_snapshot(q.xid, current) AND NOT pg_visible_in_snapshot(q.xid, previous)
    ) AS w
    WHERE after_key IS NULL OR w.rank > after_rank OR (w.rank = after_rank AND w.key > after_key)
    GROUP BY w.rank, w.key
    ORDER BY w.rank, w.key;
    GET DIAGNOSTICS listed = ROW_COUNT;
    -- Chunks are read by n: an index keeps each read proportional to the chunk, not the window.
    IF listed > 1000 THEN
        CREATE INDEX erpmes_window_n ON pg_temp.erpmes_window (n);
    END IF;
    RETURN listed;
END $$;
REVOKE ALL ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], text, jsonb) TO erpmes_run;
COMMENT ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], text, jsonb) IS
    'Lists the distinct keys of a window of changes in pg_temp.erpmes_window, numbered in apply order, after a sub-position.';
RESET ROLE;
