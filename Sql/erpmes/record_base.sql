-- erpmes.record_base: stores, per applied key, the values both sides now agree on (vals: the
-- source's version, the base of the next three-way merge) and the hash of the row as this
-- database now holds it (hash: its capture is the apply's echo and is not sent back; NULL when
-- nothing was written). Called by erpmes.apply_entity inside the apply transaction.
-- Never waits for the other direction: a base row that its open batch holds (erpmes.batch) is
-- left to it, which sets it anew, and rows are locked with FOR UPDATE SKIP LOCKED, which takes no
-- slot in the lock table however many keys a batch has.
-- erpmes:requires payload_hash.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.record_base(entity_name text, keys jsonb[], vals jsonb[], hashes uuid[], decided boolean[])
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    WITH k AS (
        SELECT k.key, k.vals, CASE WHEN coalesce(k.decided, false) THEN NULL ELSE k.hash END AS hash,
               coalesce(k.decided, false) AS decided
        FROM unnest(keys, vals, hashes, decided) AS k(key, vals, hash, decided)
    ), present AS (
        SELECT b.key FROM erpmes.base AS b WHERE b.entity = entity_name AND b.key IN (SELECT k.key FROM k)
    ), locked AS (
        -- Of the present rows, those no other transaction holds; "present" also counts the held ones,
        -- so that no insert is tried for them.
        SELECT b.key FROM erpmes.base AS b
        WHERE b.entity = entity_name AND b.key IN (SELECT k.key FROM k)
        ORDER BY b.key
        FOR UPDATE OF b SKIP LOCKED
    ), updated AS (
        UPDATE erpmes.base AS b
        SET vals = k.vals, hash = k.hash, decided = k.decided, synced_at = now()
        FROM locked AS l JOIN k ON k.key = l.key
        WHERE b.entity = entity_name AND b.key = l.key
    )
    INSERT INTO erpmes.base AS b (entity, key, vals, hash, decided, synced_at)
    SELECT entity_name, k.key, k.vals, k.hash, k.decided, now()
    FROM k
    WHERE k.key NOT IN (SELECT p.key FROM present AS p)
    ORDER BY k.key
    ON CONFLICT (entity, key) DO NOTHING;
END;
REVOKE ALL ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) IS
    'Records per applied key the agreed values (three-way base) and the hash of the applied row (echo).';
RESET ROLE;
