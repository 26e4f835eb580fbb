-- erpmes.batch: the changes between two ticks, with their payloads, read in the tick's
-- REPEATABLE READ transaction: distinct keys whose queue xid is visible in `current` and not in
-- `previous`, each with its payload from the entity's publication. The op comes from the snapshot:
-- a row that exists is an upsert ('U'), one that is gone a delete ('D'); a truncate marker is 'T'.
-- A key whose payload still equals its base (what erpmes last synchronised) is an echo and is
-- left out; for a key that does flow, the base is cleared, since it no longer describes both sides.
-- Called by `erpmes run`, through a cursor.
-- erpmes:requires payload_hash.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.batch(previous pg_snapshot, current pg_snapshot, entity_order text[])
RETURNS TABLE (entity text, key jsonb, op "char", payload jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    pub record;
BEGIN
    FOR pub IN
        SELECT p.entity_id, p.entity, p.payload_function::regproc AS fn
        FROM erpmes.publication AS p
        WHERE p.entity = ANY (entity_order)
        ORDER BY array_position(entity_order, p.entity)
    LOOP
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
                SELECT k.key, p.payload, b.key IS NOT NULL AS has_base,
                       b.key IS NOT NULL AND b.hash IS NOT DISTINCT FROM erpmes.payload_hash(p.payload)
                           AND k.key <> '"$truncate"' AS echo
                FROM keys AS k
                LEFT JOIN payloads AS p ON p.key = k.key
                LEFT JOIN erpmes.base AS b ON b.entity = $4 AND b.key = k.key
            ), cleared AS (
                DELETE FROM erpmes.base AS b USING changes AS c
                WHERE b.entity = $4 AND b.key = c.key AND c.has_base AND NOT c.echo
            )
            SELECT $4, c.key,
                   (CASE WHEN c.key = '"$truncate"' THEN 'T' WHEN c.payload IS NULL THEN 'D' ELSE 'U' END)::"char",
                   c.payload
            FROM changes AS c
            WHERE NOT c.echo
            ORDER BY c.key = '"$truncate"' DESC, c.key
        $q$, pub.fn) USING pub.entity_id, previous, current, pub.entity;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.batch(pg_snapshot, pg_snapshot, text[]) IS
    'Changes visible in the current tick and not in the previous one, with payloads; echoes left out.';
RESET ROLE;
