-- erpmes.table_shape / erpmes.entity_shape / erpmes.shape_drift: the schema fingerprint of an
-- entity (DESIGN 2.7). The shape of a table is its columns with type, typmod and nullability, its
-- primary key and its erpmes capture triggers with their enabled state; an entity's shape adds
-- the md5 of its mapping functions' source. Declaring an entity stores its shape; the replicator
-- compares before each batch, and a drifted entity alone pauses with a message naming the column.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.table_shape(tab regclass) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'columns', (SELECT coalesce(jsonb_object_agg(a.attname,
                               format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END), '{}')
                    FROM pg_attribute AS a WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped),
        'key', (SELECT coalesce(jsonb_agg(a.attname ORDER BY k.n), '[]')
                FROM pg_index AS i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                JOIN pg_attribute AS a ON a.attrelid = tab AND a.attnum = k.attnum
                WHERE i.indrelid = tab AND i.indisprimary),
        'triggers', (SELECT coalesce(jsonb_object_agg(t.tgname, t.tgenabled::text), '{}')
                     FROM pg_trigger AS t WHERE t.tgrelid = tab AND t.tgname LIKE 'erpmes\_%'));
END;

CREATE OR REPLACE FUNCTION erpmes.entity_shape(tables regclass[], functions regprocedure[]) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'tables', (SELECT coalesce(jsonb_object_agg(t::text, erpmes.table_shape(t)), '{}') FROM unnest(tables) AS t),
        'functions', (SELECT coalesce(jsonb_object_agg(f::text, md5(p.prosrc)), '{}')
                      FROM unnest(functions) AS f JOIN pg_proc AS p ON p.oid = f));
END;

-- NULL when `current` still serves what `declared` describes: every declared table and column is
-- there with the same type and nullability, keys and capture triggers are unchanged, the
-- functions' source is the same. Added columns are fine. Otherwise the first difference, in words.
CREATE OR REPLACE FUNCTION erpmes.shape_drift(declared jsonb, current jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(
        (SELECT format('table %s is gone', t.key) FROM jsonb_each(declared->'tables') AS t
         WHERE NOT (current->'tables') ? t.key ORDER BY t.key LIMIT 1),
        (SELECT CASE WHEN NOT (current->'tables'->t.key->'columns') ? c.key
                     THEN format('column %s.%s (%s) was dropped', t.key, c.key, c.value #>> '{}')
                     ELSE format('column %s.%s is %s, was %s', t.key, c.key,
                                 current->'tables'->t.key->'columns'->>c.key, c.value #>> '{}') END
         FROM jsonb_each(declared->'tables') AS t CROSS JOIN LATERAL jsonb_each(t.value->'columns') AS c
         WHERE (current->'tables') ? t.key
           AND (current->'tables'->t.key->'columns'->c.key) IS DISTINCT FROM c.value
         ORDER BY t.key, c.key LIMIT 1),
        (SELECT format('the primary key of %s is now (%s), was (%s)', t.key,
                       current->'tables'->t.key->'key', t.value->'key')
         FROM jsonb_each(declared->'tables') AS t
         WHERE (current->'tables') ? t.key AND (current->'tables'->t.key->'key') IS DISTINCT FROM t.value->'key'
         ORDER BY t.key LIMIT 1),
        (SELECT format('capture trigger %s on %s is %s', g.key, t.key,
                       CASE WHEN NOT (current->'tables'->t.key->'triggers') ? g.key THEN 'gone'
                            ELSE 'no longer ENABLE ALWAYS (' || (current->'tables'->t.key->'triggers'->>g.key) || ')' END)
         FROM jsonb_each(declared->'tables') AS t CROSS JOIN LATERAL jsonb_each(t.value->'triggers') AS g
         WHERE (current->'tables') ? t.key
           AND (current->'tables'->t.key->'triggers'->g.key) IS DISTINCT FROM g.value
         ORDER BY t.key, g.key LIMIT 1),
        (SELECT format('function %s changed since the entity was declared (declare it again once reviewed)', f.key)
         FROM jsonb_each(declared->'functions') AS f
         WHERE (current->'functions'->f.key) IS DISTINCT FROM f.value
         ORDER BY f.key LIMIT 1));
END;

-- Drifted entities of this database among `entities`, as publisher ('publication') or receiver
-- ('subscription'), with the reason. Called by `erpmes run` before each batch.
CREATE OR REPLACE FUNCTION erpmes.drift(entities text[], kind text)
RETURNS TABLE (entity text, problem text, fingerprint text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp
BEGIN ATOMIC
    SELECT d.entity, erpmes.shape_drift(d.declared, d.current), md5(d.current::text)
    FROM (
        SELECT p.entity, p.shape AS declared, erpmes.entity_shape(
                   ARRAY[p.source_table] || ARRAY(SELECT w.watched_table FROM erpmes.publication_watch AS w
                                                  WHERE w.entity_id = p.entity_id ORDER BY w.watched_table),
                   ARRAY[p.payload_function]) AS current
        FROM erpmes.publication AS p
        WHERE kind = 'publication' AND p.entity = ANY (entities) AND p.shape IS NOT NULL
        UNION ALL
        SELECT s.entity, s.shape, erpmes.entity_shape(s.tables,
                   ARRAY[s.apply_function] || CASE WHEN s.options ? 'function'
                       THEN ARRAY[to_regprocedure((s.options->>'function') || '(text, jsonb, jsonb, jsonb, jsonb)')]
                       ELSE '{}'::regprocedure[] END)
        FROM erpmes.subscription AS s
        WHERE kind = 'subscription' AND s.entity = ANY (entities) AND s.shape IS NOT NULL
    ) AS d;
END;
REVOKE ALL ON FUNCTION erpmes.drift(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.drift(text[], text) TO erpmes_run;
REVOKE ALL ON FUNCTION erpmes.table_shape(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.table_shape(regclass) TO erpmes_run;
COMMENT ON FUNCTION erpmes.table_shape(regclass) IS 'Columns (type, typmod, nullability), primary key and capture triggers of a table.';
COMMENT ON FUNCTION erpmes.entity_shape(regclass[], regprocedure[]) IS 'Schema fingerprint of an entity: its tables'' shapes and its functions'' source hashes.';
COMMENT ON FUNCTION erpmes.shape_drift(jsonb, jsonb) IS 'NULL when a current shape still serves the declared one, else the first difference in words.';
COMMENT ON FUNCTION erpmes.drift(text[], text) IS 'Entities whose publication or subscription drifted from its declared shape, with the reason.';
RESET ROLE;
