-- erpmes.open_window: lists the distinct keys of a window of changes (queue rows whose xid is
-- visible in `current` and not in `previous`) in the session's temporary table erpmes_window
-- (n, entity, key), numbered in the order they are applied. Within an entity group (groups[i] is
-- the group of entity_order[i]; entities that reference each other share one) keys go entity by
-- entity in entity_order (parents first), each entity's keys in jsonb order. Groups are
-- interleaved in proportion to their sizes, so a large backlog of one entity never holds back the
-- changes of the others until it has drained. Returns how many keys it listed.
-- The numbering depends only on the window, entity_order and groups (window membership depends
-- on xids alone, not on the snapshot of the transaction that lists it), so a restarted replicator
-- lists the same window again and goes on after the rows it had committed. The table outlives the
-- transaction: erpmes.batch reads chunk after chunk of it by n. Called by `erpmes run` on the source.
SET LOCAL ROLE erpmes_owner;
DROP FUNCTION IF EXISTS erpmes.open_window(pg_snapshot, pg_snapshot, text[], text, jsonb);
CREATE OR REPLACE FUNCTION erpmes.open_window(
    previous pg_snapshot,
    current pg_snapshot,
    entity_order text[],
    groups integer[]
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    listed bigint;
BEGIN
    IF to_regclass('pg_temp.erpmes_window') IS NULL THEN
        -- Owned by erpmes_owner and read only by erpmes.batch, its other function.
        CREATE TEMP TABLE erpmes_window (n bigint NOT NULL, entity text NOT NULL, key jsonb NOT NULL);
    ELSE
        IF to_regclass('pg_temp.erpmes_window_n') IS NOT NULL THEN
            DROP INDEX pg_temp.erpmes_window_n;
        END IF;
        TRUNCATE pg_temp.erpmes_window;
    END IF;
    INSERT INTO pg_temp.erpmes_window (n, entity, key)
    SELECT row_number() OVER (ORDER BY g.share, g.grp, g.rank, g.key), g.entity, g.key
    FROM (
        SELECT d.rank, d.grp, d.entity, d.key,
               -- The key's place in its group, as a fraction: groups interleave by it.
               (row_number() OVER (PARTITION BY d.grp ORDER BY d.rank, d.key) - 1)::float8
                   / count(*) OVER (PARTITION BY d.grp) AS share
        FROM (
            SELECT w.rank, coalesce(groups[w.rank], -w.rank) AS grp, min(w.entity) AS entity, w.key
            FROM (
                SELECT array_position(entity_order, p.entity) AS rank, p.entity, q.key
                FROM erpmes.publication AS p
                JOIN erpmes.queue AS q ON q.entity_id = p.entity_id
                WHERE p.entity = ANY (entity_order)
                  AND q.xid >= pg_snapshot_xmin(previous) AND q.xid < pg_snapshot_xmax(current)
                  AND pg_visible_in_snapshot(q.xid, current) AND NOT pg_visible_in_snapshot(q.xid, previous)
            ) AS w
            GROUP BY w.rank, w.key
        ) AS d
    ) AS g
    ORDER BY 1;
    GET DIAGNOSTICS listed = ROW_COUNT;
    -- Chunks are read by n: an index keeps each read proportional to the chunk, not the window.
    IF listed > 1000 THEN
        CREATE INDEX erpmes_window_n ON pg_temp.erpmes_window (n);
    END IF;
    RETURN listed;
END $$;
REVOKE ALL ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], integer[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.open_window(pg_snapshot, pg_snapshot, text[], integer[]) IS
    'Lists the distinct keys of a window of changes in pg_temp.erpmes_window, numbered in apply order (groups interleaved, parents first within a group).';
RESET ROLE;
