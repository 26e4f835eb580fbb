-- Key maps: which local key this database gave a thing the other side knows by its own key (the
-- MES order created for ERP order {"id": 42}). erpmes.key_lookup and erpmes.key_reverse_lookup
-- read a pair (apply functions can also join erpmes.key_map set-based); erpmes.key_remember and
-- erpmes.key_forget write one, as erpmes_owner, so apply functions running as the replicator's
-- login keep the map without any write privilege on it.
SET LOCAL ROLE erpmes_owner;

CREATE OR REPLACE FUNCTION erpmes.key_lookup(map text, foreign_key jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT k.local_key FROM erpmes.key_map AS k WHERE k.map = key_lookup.map AND k.foreign_key = key_lookup.foreign_key;
END;
REVOKE ALL ON FUNCTION erpmes.key_lookup(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.key_lookup(text, jsonb) TO erpmes_run;
COMMENT ON FUNCTION erpmes.key_lookup(text, jsonb) IS
    'The local key remembered for the other side''s key in a key map; NULL when none is.';

CREATE OR REPLACE FUNCTION erpmes.key_reverse_lookup(map text, local_key jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT k.foreign_key FROM erpmes.key_map AS k WHERE k.map = key_reverse_lookup.map
        AND k.local_key = key_reverse_lookup.local_key;
END;
REVOKE ALL ON FUNCTION erpmes.key_reverse_lookup(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.key_reverse_lookup(text, jsonb) TO erpmes_run;
COMMENT ON FUNCTION erpmes.key_reverse_lookup(text, jsonb) IS
    'The other side''s key remembered for a local key in a key map; NULL when none is.';

CREATE OR REPLACE FUNCTION erpmes.key_remember(map text, foreign_key jsonb, local_key jsonb)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $$
DECLARE
    taken jsonb;
BEGIN
    IF map IS NULL OR map = '' OR foreign_key IS NULL OR local_key IS NULL
        OR jsonb_typeof(foreign_key) = 'null' OR jsonb_typeof(local_key) = 'null' THEN
        RAISE EXCEPTION 'key map "%": cannot remember a NULL key (foreign %, local %)', map,
            coalesce(foreign_key::text, 'NULL'), coalesce(local_key::text, 'NULL') USING ERRCODE = '22004';
    END IF;
    SELECT k.foreign_key INTO taken FROM erpmes.key_map AS k
    WHERE k.map = key_remember.map AND k.local_key = key_remember.local_key AND k.foreign_key <> key_remember.foreign_key;
    IF FOUND THEN
        RAISE EXCEPTION 'key map "%": local key % is already mapped to foreign key %, not %', map, local_key,
            taken, foreign_key USING ERRCODE = '23505', CONSTRAINT = 'key_map_local_key', SCHEMA = 'erpmes',
            TABLE = 'key_map';
    END IF;
    -- A concurrent remember of the same local key still fails on key_map_local_key (23505).
    INSERT INTO erpmes.key_map AS k (map, foreign_key, local_key)
    VALUES (key_remember.map, key_remember.foreign_key, key_remember.local_key)
    ON CONFLICT ON CONSTRAINT key_map_pkey DO UPDATE SET local_key = EXCLUDED.local_key, created_at = now()
        WHERE k.local_key <> EXCLUDED.local_key;
    RETURN local_key;
END $$;
REVOKE ALL ON FUNCTION erpmes.key_remember(text, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.key_remember(text, jsonb, jsonb) TO erpmes_run;
COMMENT ON FUNCTION erpmes.key_remember(text, jsonb, jsonb) IS
    'Remembers foreign_key <-> local_key in a key map and returns local_key; idempotent, re-points a foreign key; 23505 when the local key belongs to another foreign key.';

CREATE OR REPLACE FUNCTION erpmes.key_forget(map text, foreign_key jsonb)
RETURNS jsonb
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    DELETE FROM erpmes.key_map AS k WHERE k.map = key_forget.map AND k.foreign_key = key_forget.foreign_key
    RETURNING k.local_key;
END;
REVOKE ALL ON FUNCTION erpmes.key_forget(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.key_forget(text, jsonb) TO erpmes_run;
COMMENT ON FUNCTION erpmes.key_forget(text, jsonb) IS
    'Forgets the pair of a foreign key in a key map (its row was deleted) and returns the local key it had, or NULL.';

RESET ROLE;
