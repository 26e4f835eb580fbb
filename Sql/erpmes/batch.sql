-- erpmes.batch: the changes between two ticks, with their payloads, read in the tick's
-- REPEATABLE READ transaction: distinct keys whose queue xid is visible in `current` and not in
-- `previous`, each with its payload from the entity's publication. The op comes from the snapshot:
-- a row that exists is an upsert ('U'), one that is gone a delete ('D'); a truncate marker is 'T'.
-- A key whose payload equals the hash of the row erpmes last applied here is that apply's echo
-- and is left out; a key that flows has its hash cleared. An echo's base row is not touched: this
-- transaction stays open while the target applies, and waiting for bases the other direction is
-- applying would tie the two directions into a deadlock no single server can see.
-- A key this side decided a conflict for goes out with "$resolved": true in its payload.
-- A bidirectional entity's payload also carries "$base": the values this side last agreed on, the
-- ancestor the receiver compares both versions with; what is sent becomes this side's base.
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
        SELECT p.entity_id, p.entity, p.payload_function::regproc AS fn, p.entity = ANY (folded) AS fold,
               EXISTS (SELECT FROM erpmes.subscription AS s WHERE s.entity = p.entity) AS both
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
                SELECT k.key, p.payload, b.key IS NOT NULL AS has_base, b.vals,
                       coalesce(b.decided, false) AS decided,
                       (b.hash IS NOT NULL AND b.hash = erpmes.payload_hash(coalesce(p.payload, 'null'))
                           AND k.key <> '"$truncate"')
                       -- A key parked by the manual rule stays here until a person resolves it.
                       OR EXISTS (SELECT FROM erpmes.conflict AS x WHERE x.entity = $4 AND x.key = k.key AND x.status = 'open')
                           AS echo
                FROM keys AS k
                LEFT JOIN payloads AS p ON p.key = k.key
                LEFT JOIN erpmes.base AS b ON b.entity = $4 AND b.key = k.key
            ), locked AS (
                -- Base rows are written under a transaction advisory lock per key (class BASE); a
                -- key the other direction's apply holds right now is skipped (that apply sets its
                -- base anew), so the two directions never wait for each other across databases.
                SELECT c.key, c.payload, c.has_base FROM changes AS c
                WHERE (NOT c.echo OR c.decided) AND ($5 OR c.has_base)
                  AND pg_try_advisory_xact_lock(1111577413, hashtext($4 || ' ' || c.key::text))
            ), sent AS (
                -- What goes out becomes this side's base (a bidirectional entity's), its echo hash
                -- is cleared, and a decided conflict is done with.
                UPDATE erpmes.base AS b
                SET hash = NULL, decided = false, vals = CASE WHEN $5 THEN l.payload ELSE b.vals END, synced_at = now()
                FROM locked AS l
                WHERE b.entity = $4 AND b.key = l.key AND l.has_base
            ), first_sent AS (
                INSERT INTO erpmes.base (entity, key, vals)
                SELECT $4, l.key, l.payload FROM locked AS l
                WHERE $5 AND NOT l.has_base AND l.payload IS NOT NULL
                ORDER BY l.key
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
            ORDER BY c.key = '"$truncate"' DESC, c.key
        $q$, pub.fn) USING pub.entity_id, previous, current, pub.entity, pub.both;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[], text[]) IS
    'Changes visible in the current tick and not in the previous one, with payloads; echoes left out, paused entities folded to keys.';
RESET ROLE;
