-- erpmes.publish: declares an entity this database publishes, like CREATE PUBLICATION, and installs
-- its capture triggers: statement-level, with transition tables, one per event, ENABLE ALWAYS.
-- Run by `erpmes migrate` as the owner of the tables (creating triggers needs it).
-- erpmes:requires wake.sql
-- erpmes:requires install_capture.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.publish(
    entity text,
    source_table regclass,
    key_columns text[],
    payload_function regprocedure,
    watch jsonb DEFAULT '[]'::jsonb
) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_id integer;
    key_sql text;
    item jsonb;
    column_name text;
BEGIN
    IF entity IS NULL OR entity !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'entity name % must be lower case letters, digits and _', quote_literal(entity)
            USING ERRCODE = '22023';
    END IF;
    IF cardinality(key_columns) IS NULL OR cardinality(key_columns) = 0 THEN
        RAISE EXCEPTION 'entity %: key_columns must name at least one column', entity USING ERRCODE = '22023';
    END IF;
    FOREACH column_name IN ARRAY key_columns LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = source_table AND attname = column_name
                       AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'entity %: table % has no column %', entity, source_table, quote_ident(column_name)
                USING ERRCODE = '42703';
        END IF;
    END LOOP;
    INSERT INTO erpmes.publication (entity, source_table, key_columns, payload_function)
    VALUES (entity, source_table, key_columns, payload_function)
    RETURNING entity_id INTO new_id;
    -- The key as jsonb, from the row alias r: jsonb_build_object('id', r."id").
    SELECT 'jsonb_build_object(' || string_agg(format('%L, r.%I', c, c), ', ') || ')'
    INTO key_sql FROM unnest(key_columns) AS c;
    PERFORM erpmes.install_capture(new_id, entity, source_table, key_sql, NULL);
    FOR item IN SELECT * FROM jsonb_array_elements(coalesce(watch, '[]'::jsonb)) LOOP
        INSERT INTO erpmes.publication_watch (entity_id, watched_table, key_query)
        VALUES (new_id, (item->>'table')::regclass, item->>'keys');
        PERFORM erpmes.install_capture(new_id, entity, (item->>'table')::regclass, NULL, item->>'keys');
        EXECUTE format('GRANT SELECT ON %s TO erpmes_owner', (item->>'table')::regclass);
    END LOOP;
    -- Capture functions run as erpmes_owner, which reads the watched tables' rows through them.
    EXECUTE format('GRANT SELECT ON %s TO erpmes_owner', source_table);
    PERFORM pg_notify('erpmes_control', 'publish');
    RETURN new_id;
END $$;
REVOKE ALL ON FUNCTION erpmes.publish(text, regclass, text[], regprocedure, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.publish(text, regclass, text[], regprocedure, jsonb) IS
    'Declares a published entity: its table, key columns, payload function and watched tables; installs capture triggers.';
RESET ROLE;
