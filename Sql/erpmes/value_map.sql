-- Value maps (status codes, priorities, types): erpmes.declare_value_map declares a map, its
-- default-or-reject rule and its pairs; erpmes.map_value maps one value, raising a data error
-- (22023, the key is quarantined) for an unlisted value of a map that rejects; erpmes.try_map_value
-- returns NULL instead, so an apply function can validate a whole batch set-based and answer
-- 'rejected' for the keys it cannot map. A map nobody declared is a schema error (42704).
-- The per-row helpers have no SET search_path (it would cost every call and is not needed: they
-- run with the caller's rights and name every object with its schema).
SET LOCAL ROLE erpmes_owner;

CREATE OR REPLACE FUNCTION erpmes.declare_value_map(
    map text,
    on_unknown text,
    default_value text DEFAULT NULL,
    pairs jsonb DEFAULT '{}'::jsonb
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    IF map IS NULL OR map = '' THEN
        RAISE EXCEPTION 'a value map needs a name' USING ERRCODE = '22023';
    END IF;
    IF on_unknown IS NULL OR on_unknown NOT IN ('default', 'reject') THEN
        RAISE EXCEPTION 'value map "%": on_unknown must be ''default'' or ''reject'', not %', map,
            coalesce(quote_literal(on_unknown), 'NULL') USING ERRCODE = '22023';
    END IF;
    IF on_unknown = 'reject' AND default_value IS NOT NULL THEN
        RAISE EXCEPTION 'value map "%": a map that rejects unknown values has no default (got %)', map,
            quote_literal(default_value) USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(coalesce(pairs, '{}'::jsonb)) <> 'object' THEN
        RAISE EXCEPTION 'value map "%": pairs must be a JSON object {"from": "to", ...}', map USING ERRCODE = '22023';
    END IF;
    SELECT p.key INTO bad FROM jsonb_each(coalesce(pairs, '{}'::jsonb)) AS p
    WHERE jsonb_typeof(p.value) NOT IN ('string', 'number', 'boolean') ORDER BY p.key LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'value map "%": the value for % must be a string, number or boolean', map, quote_literal(bad)
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO erpmes.value_map_default AS d (map, on_unknown, default_value)
    VALUES (declare_value_map.map, declare_value_map.on_unknown, declare_value_map.default_value)
    ON CONFLICT ON CONSTRAINT value_map_default_pkey DO UPDATE
        SET on_unknown = EXCLUDED.on_unknown, default_value = EXCLUDED.default_value;
    -- The declaration is the whole map: pairs it no longer lists go.
    DELETE FROM erpmes.value_map AS v
    WHERE v.map = declare_value_map.map AND NOT coalesce(pairs, '{}'::jsonb) ? v.from_value;
    INSERT INTO erpmes.value_map AS v (map, from_value, to_value)
    SELECT declare_value_map.map, p.key, p.value FROM jsonb_each_text(coalesce(pairs, '{}'::jsonb)) AS p
    ORDER BY p.key
    ON CONFLICT ON CONSTRAINT value_map_pkey DO UPDATE SET to_value = EXCLUDED.to_value
        WHERE v.to_value IS DISTINCT FROM EXCLUDED.to_value;
END $$;
REVOKE ALL ON FUNCTION erpmes.declare_value_map(text, text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.declare_value_map(text, text, text, jsonb) IS
    'Declares a value map: on_unknown (default | reject), the default, and all its pairs as {"from": "to"} (replaces the old pairs).';

CREATE OR REPLACE FUNCTION erpmes.map_value(map text, value text, what text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    rule text;
    fallback text;
    mapped text;
    listed boolean;
BEGIN
    SELECT d.on_unknown, d.default_value, v.to_value, v.from_value IS NOT NULL
    INTO rule, fallback, mapped, listed
    FROM erpmes.value_map_default AS d
    LEFT JOIN erpmes.value_map AS v ON v.map = d.map AND v.from_value = map_value.value
    WHERE d.map = map_value.map;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'value map "%" is not declared', map USING ERRCODE = '42704',
            HINT = 'declare it with erpmes.declare_value_map(map, on_unknown, default_value, pairs)';
    END IF;
    IF value IS NULL THEN
        RETURN NULL;
    ELSIF listed THEN
        RETURN mapped;
    ELSIF rule = 'default' THEN
        RETURN fallback;
    END IF;
    IF what IS NULL THEN
        RAISE EXCEPTION 'value map "%": no mapping for %', map, quote_literal(value) USING ERRCODE = '22023',
            HINT = 'add the value to the map, or declare the map with a default';
    END IF;
    -- what names the column (table.column): the error carries it in its own fields too.
    RAISE EXCEPTION 'value map "%": no mapping for % (column %)', map, quote_literal(value), what
        USING ERRCODE = '22023', TABLE = coalesce(substring(what FROM '^(.*)\.[^.]*$'), ''),
            COLUMN = substring(what FROM '([^.]*)$'),
            HINT = 'add the value to the map, or declare the map with a default';
END $$;
REVOKE ALL ON FUNCTION erpmes.map_value(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.map_value(text, text, text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.map_value(text, text, text) IS
    'The value a map gives value (NULL for NULL); unlisted: the map''s default, or SQLSTATE 22023 naming the map, the value and what (e.g. mrp_production.state); undeclared map: 42704.';

CREATE OR REPLACE FUNCTION erpmes.try_map_value(map text, value text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    rule text;
    fallback text;
    mapped text;
    listed boolean;
BEGIN
    SELECT d.on_unknown, d.default_value, v.to_value, v.from_value IS NOT NULL
    INTO rule, fallback, mapped, listed
    FROM erpmes.value_map_default AS d
    LEFT JOIN erpmes.value_map AS v ON v.map = d.map AND v.from_value = try_map_value.value
    WHERE d.map = try_map_value.map;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'value map "%" is not declared', map USING ERRCODE = '42704',
            HINT = 'declare it with erpmes.declare_value_map(map, on_unknown, default_value, pairs)';
    END IF;
    RETURN CASE WHEN value IS NULL THEN NULL WHEN listed THEN mapped WHEN rule = 'default' THEN fallback END;
END $$;
REVOKE ALL ON FUNCTION erpmes.try_map_value(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.try_map_value(text, text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.try_map_value(text, text) IS
    'Like erpmes.map_value, but NULL where map_value would reject: for set-based validation (outcome rejected).';

RESET ROLE;
