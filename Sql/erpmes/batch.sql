-- erpmes.batch: the changes between two ticks, with their payloads, read in the tick's
-- REPEATABLE READ transaction: distinct keys whose queue xid is visible in `current` and not in
-- `previous`, each with its payload from the entity's publication. The op comes from the snapshot:
-- a row that exists is an upsert ('U'), one that is gone a delete ('D'); a truncate marker is 'T'.
-- A key whose payload equals the hash of the row erpmes last applied here is that apply's echo
-- and is left out; a key that flows has its hash cleared. An echo's base row is not touched: this
-- transaction stays open while the target applies, and locking bases the other direction is
-- applying would tie the two directions into a deadlock no single server can see.
-- A key this side decided a conflict for goes out with "$resolved": true in its payload.
-- Entities in `folded` (paused on the target) yield their keys alone, with op 'P' and no payload,
-- for the target's pending-key table: their payload functions are not called.
-- Called by `erpmes run`, through a cursor.
-- erpmes:requires payload_hash.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.batch(
    previous pg_snapshot,
    current pg_snapshot,
    entity_order text[],
    folded text[] DEFAULT '{}'
)
RETURNS TABLE (entity text, key jsonb, op "char", payload jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    pub record;
BEGIN
    FOR pub IN
        SELECT p.entity_id, p.entity, p.payload_function::regproc AS fn, p.entity = ANY (folded) AS fold
        FROM erpmes.publication AS p
        WHERE p.entity = ANY (entity_order)
        ORDER BY array_position(entity_order, p.entity)
    LOOP
        IF pub.fold THEN
            RETURN QUERY
                SELECT DISTINCT pub.entity, q.key, 'P'::"char", NULL::jsonb FROM erpmes.queue AS q
                WHERE q.entity_id = pub.entity_id
                  AND q.xid >= pg_snapshot_xmin(previous) AND q.xid < pg_snapshot_xmax(current)
                  AND pg_visible_in_snapshot(q.xid, current) AND NOT pg_visible_in_snapshot(q.xid, previous);
            CONTINUE;
        END IF;
        RETURN QUERY EXECUTE format($q$
            WITH keys AS (
                SELECT DISTINCT q.key FROM erpmes.queue AS q
                WHERE q.entity_id = $1
                  AND q.xid >= pg_snapshot_xmin($2) AND q.xid < pg_snapshot_xmax($3)
                  AND pg_visible_in_snapshot(q.xid, $3) AND NOT pg_visible_in_snapshot(q.xid, $2)
            ), payloads AS (
                SELECT p.key, p.payload
                FROM %s(ARRAY(SELECT k.key FROM keys AS k WHERE k.key <> '"$truncate"')) AS p
            ), changes AS (
                SELECT k.key, p.payload, b.key IS NOT NULL AND (b.hash IS NOT NULL OR b.decided) AS touch,
                       coalesce(b.decided, false) AS decided,
                       b.hash IS NOT NULL AND b.hash = erpmes.payload_hash(coalesce(p.payload, 'null'))
                           AND k.key <> '"$truncate"' AS echo
                FROM keys AS k
                LEFT JOIN payloads AS p ON p.key = k.key
                LEFT JOIN erpmes.base AS b ON b.entity = $4 AND b.key = k.key
            ), locked AS (
                -- A base the other direction is writing right now is skipped: that apply sets it anew.
                SELECT b.key FROM erpmes.base AS b JOIN changes AS c ON b.entity = $4 AND b.key = c.key
                WHERE c.touch AND (NOT c.echo OR c.decided)
                FOR UPDATE OF b SKIP LOCKED
            ), disarmed AS (
                UPDATE erpmes.base AS b SET hash = NULL, decided = false FROM locked AS l
                WHERE b.entity = $4 AND b.key = l.key
            )
            SELECT $4, c.key,
                   (CASE WHEN c.key = '"$truncate"' THEN 'T' WHEN c.payload IS NULL THEN 'D' ELSE 'U' END)::"char",
                   CASE WHEN c.decided AND c.payload IS NOT NULL THEN c.payload || '{"$resolved": true}' ELSE c.payload END
            FROM changes AS c
            WHERE NOT c.echo OR c.decided
            ORDER BY c.key = '"$truncate"' DESC, c.key
        $q$, pub.fn) USING pub.entity_id, previous, current, pub.entity;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) IS
    'Changes visible in the current tick and not in the previous one, with payloads; echoes left out, paused entities folded to keys.';
RESET ROLE;
