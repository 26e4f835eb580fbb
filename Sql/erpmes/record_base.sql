-- erpmes.record_base: stores, per applied key, the values both sides now agree on (vals: the
-- source's version, the base of the next three-way merge) and the hash of the row as this
-- database now holds it (hash: its capture is the apply's echo and is not sent back; NULL when
-- nothing was written). Called by erpmes.apply_entity inside the apply transaction.
-- erpmes:requires payload_hash.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.record_base(entity_name text, keys jsonb[], vals jsonb[], hashes uuid[], decided boolean[])
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    INSERT INTO erpmes.base AS b (entity, key, vals, hash, decided, synced_at)
    SELECT entity_name, k.key, k.vals, CASE WHEN coalesce(k.decided, false) THEN NULL ELSE k.hash END,
           coalesce(k.decided, false), now()
    FROM unnest(keys, vals, hashes, decided) AS k(key, vals, hash, decided)
    -- A key whose base the other direction's open batch is writing is left to it (see erpmes.batch).
    WHERE pg_try_advisory_xact_lock(1111577413, hashtext(entity_name || ' ' || k.key::text))
    ORDER BY k.key
    ON CONFLICT (entity, key) DO UPDATE
        SET vals = EXCLUDED.vals, hash = EXCLUDED.hash, decided = EXCLUDED.decided, synced_at = EXCLUDED.synced_at;
END;
REVOKE ALL ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[], uuid[], boolean[]) IS
    'Records per applied key the agreed values (three-way base) and the hash of the applied row (echo).';
RESET ROLE;
