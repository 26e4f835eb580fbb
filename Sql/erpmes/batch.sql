-- erpmes.batch: one chunk of a window of changes with their payloads: the keys numbered
-- first_n..last_n in the session's erpmes_window (see erpmes.open_window), each with its payload
-- from the entity's publication, read in the calling transaction's snapshot. The op comes from that
-- snapshot: a row that exists is an upsert ('U'), one that is gone a delete ('D'); a truncate
-- marker is 'T'. The first chunk of a window is read in the tick's own REPEATABLE READ transaction,
-- so a window that fits one chunk is exactly the state of the tick; a later chunk is read in a
-- newer snapshot, which is never older than the changes it carries.
-- A key whose payload equals the hash of the row erpmes last applied here is that apply's echo
-- and is left out; a key that flows has its hash cleared. An echo's base row is not touched.
-- A key this side decided a conflict for goes out with "$resolved": true in its payload.
-- A bidirectional entity's payload also carries "$base": the values this side last agreed on, the
-- ancestor the receiver compares both versions with; what is sent becomes this side's base.
-- Base rows are written without waiting: rows the other direction's apply has locked right now
-- are skipped (FOR UPDATE SKIP LOCKED: that apply sets the base anew). Row locks take no slot in
-- the lock table, so a chunk of any size needs no more locks than a one-key one; and this
-- transaction, open while the target applies, never waits for the other direction, which would
-- tie the two directions into a deadlock no single server can see.
-- Entities in `folded` (paused on the target) yield their keys alone, with op 'P' and no payload,
-- for the target's pending-key table: their payload functions are not called.
-- Called by `erpmes run`.
-- erpmes:requires payload_hash.sql
-- erpmes:requires open_window.sql
SET LOCAL ROLE erpmes_owner;
DROP FUNCTION IF EXISTS erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]);
CREATE OR REPLACE FUNCTION erpmes.batch(
    entity_order text[],
    folded text[],
    first_n bigint,
    last_n bigint
)
RETURNS TABLE (entity text, key jsonb, op "char", payload jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    pub record;
BEGIN
    FOR pub IN
        SELECT p.entity_id, p.entity, p.payload_function::regproc AS fn, p.entity = ANY (folded) AS fold,
               EXISTS (SELECT FROM erpmes.subscription AS s WHERE s.entity = p.entity) AS both
        FROM erpmes.publication AS p
        WHERE p.entity = ANY (entity_order)
        ORDER BY array_position(entity_order, p.entity)
    LOOP
        IF pub.fold THEN
            RETURN QUERY
                SELECT pub.entity, w.key, 'P'::"char", NULL::jsonb FROM pg_temp.erpmes_window AS w
                WHERE w.n BETWEEN first_n AND last_n AND w.entity = pub.entity
                ORDER BY w.n;
            CONTINUE;
        END IF;
        RETURN QUERY EXECUTE format($q$
            WITH keys AS (
                SELECT w.n, w.key FROM pg_temp.erpmes_window AS w
                WHERE w.n BETWEEN $2 AND $3 AND w.entity = $4
            ), payloads AS (
                SELECT p.key, p.payload
                FROM %s(ARRAY(SELECT k.key FROM keys AS k WHERE k.key <> '"$truncate"')) AS p
            ), changes AS (
                SELECT k.n, k.key, p.payload, b.key IS NOT NULL AS has_base, b.vals,
                       coalesce(b.decided, false) AS decided,
                       (b.hash IS NOT NULL AND b.hash = erpmes.payload_hash(coalesce(p.payload, 'null'))
                           AND k.key <> '"$truncate"')
                       -- A key parked by the manual rule stays here until a person resolves it.
                       OR EXISTS (SELECT FROM erpmes.conflict AS x WHERE x.entity = $4 AND x.key = k.key AND x.status = 'open')
                           AS echo
                FROM keys AS k
                LEFT JOIN payloads AS p ON p.key = k.key
                LEFT JOIN erpmes.base AS b ON b.entity = $4 AND b.key = k.key
            ), flowing AS (
                SELECT c.key, c.payload, c.has_base FROM changes AS c
                WHERE (NOT c.echo OR c.decided) AND ($5 OR c.has_base)
            ), locked AS (
                -- The base rows of flowing keys that no other transaction holds (see above).
                SELECT b.key FROM erpmes.base AS b JOIN flowing AS f ON b.key = f.key AND f.has_base
                WHERE b.entity = $4
                ORDER BY b.key
                FOR UPDATE OF b SKIP LOCKED
            ), sent AS (
                -- What goes out becomes this side's base (a bidirectional entity's), its echo hash
                -- is cleared, and a decided conflict is done with.
                UPDATE erpmes.base AS b
                SET hash = NULL, decided = false, vals = CASE WHEN $5 THEN f.payload ELSE b.vals END, synced_at = now()
                FROM locked AS l JOIN flowing AS f ON f.key = l.key
                WHERE b.entity = $4 AND b.key = l.key
            ), first_sent AS (
                INSERT INTO erpmes.base (entity, key, vals)
                SELECT $4, f.key, f.payload FROM flowing AS f
                WHERE $5 AND NOT f.has_base AND f.payload IS NOT NULL
                ORDER BY f.key
                ON CONFLICT (entity, key) DO NOTHING
            )
            SELECT $4, c.key,
                   (CASE WHEN c.key = '"$truncate"' THEN 'T' WHEN c.payload IS NULL THEN 'D' ELSE 'U' END)::"char",
                   CASE WHEN c.payload IS NULL THEN NULL
                        ELSE c.payload
                             || CASE WHEN c.decided THEN '{"$resolved": true}'::jsonb ELSE '{}' END
                             || CASE WHEN $5 AND c.vals IS NOT NULL THEN jsonb_build_object('$base', c.vals) ELSE '{}' END
                   END
            FROM changes AS c
            WHERE NOT c.echo OR c.decided
            -- The window's order: entities' keys in jsonb order, so a truncate marker (a string)
            -- comes before every key (an object).
            ORDER BY c.n
        $q$, pub.fn) USING pub.entity_id, first_n, last_n, pub.entity, pub.both;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.batch(text[], text[], bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.batch(text[], text[], bigint, bigint) TO erpmes_run;
COMMENT ON FUNCTION erpmes.batch(text[], text[], bigint, bigint) IS
    'One chunk of the open window (keys numbered first_n..last_n in pg_temp.erpmes_window) with payloads; echoes left out, paused entities folded to keys.';
RESET ROLE;
