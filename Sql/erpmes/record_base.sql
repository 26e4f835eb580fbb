-- erpmes.record_base: stores the base (hash of the payload just applied) of keys of an entity that
-- this database also publishes, so the capture of the apply is recognised as an echo. Called by
-- erpmes.apply_entity inside the apply transaction.
-- erpmes:requires payload_hash.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.record_base(entity_name text, keys jsonb[], payloads jsonb[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM erpmes.publication WHERE entity = entity_name) THEN
        RETURN;  -- one-way entity: nothing comes back, nothing to recognise
    END IF;
    INSERT INTO erpmes.base AS b (entity, key, hash, synced_at)
    SELECT entity_name, k.key, erpmes.payload_hash(k.payload), now()
    FROM unnest(keys, payloads) AS k(key, payload)
    ORDER BY k.key
    ON CONFLICT (entity, key) DO UPDATE SET hash = EXCLUDED.hash, synced_at = EXCLUDED.synced_at;
END $$;
REVOKE ALL ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[]) TO erpmes_run;
COMMENT ON FUNCTION erpmes.record_base(text, jsonb[], jsonb[]) IS 'Records the synchronised payload hashes of applied keys (bidirectional entities).';
RESET ROLE;
