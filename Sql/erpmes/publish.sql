-- erpmes.publish: declares an entity this database publishes, like CREATE PUBLICATION, and installs
-- its capture triggers: statement-level, with transition tables, one per event, ENABLE ALWAYS.
-- Run by `erpmes migrate` as the owner of the tables (creating triggers needs it). Publishing an
-- entity again redeclares it in place (same entity id, so queued keys stay valid): triggers are
-- reinstalled and its shape (the schema fingerprint the drift check compares with) is stored anew.
-- key_names: the names the key columns take in the jsonb key, when the other side knows the row by
-- another column name ({"name": ...} from orders_order.externalnumber to match mrp_production.name).
-- erpmes:requires wake.sql
-- erpmes:requires shape.sql
-- erpmes:requires install_capture.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.publish(
    entity text,
    source_table regclass,
    key_columns text[],
    payload_function regprocedure,
    watch jsonb DEFAULT '[]'::jsonb,
    key_names text[] DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_id integer;
    key_sql text;
    item jsonb;
    column_name text;
    old erpmes.publication;
    watched regclass;
    event text;
BEGIN
    IF entity IS NULL OR entity !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'entity name % must be lower case letters, digits and _', quote_literal(entity)
            USING ERRCODE = '22023';
    END IF;
    -- The capture triggers are named erpmes_<entity>_<event>: longer names would be cut to the same
    -- 63-byte identifier, and each trigger would replace the one before (inserts never captured).
    IF length(entity) > 47 THEN
        RAISE EXCEPTION 'entity name % is % characters long; at most 47 are allowed', quote_literal(entity), length(entity)
            USING ERRCODE = '22023',
                  DETAIL = 'its capture triggers erpmes_<entity>_<event> must stay within PostgreSQL''s 63-byte identifiers';
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
    IF key_names IS NOT NULL AND cardinality(key_names) IS DISTINCT FROM cardinality(key_columns) THEN
        RAISE EXCEPTION 'entity %: key_names must name each of the % key columns', entity, cardinality(key_columns)
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO old FROM erpmes.publication AS p WHERE p.entity = publish.entity;
    IF FOUND THEN
        -- Redeclared: drop the old triggers and watches, keep the entity id.
        FOR watched IN
            SELECT old.source_table UNION SELECT w.watched_table FROM erpmes.publication_watch AS w
            WHERE w.entity_id = old.entity_id
        LOOP
            FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
                EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', format('erpmes_%s_%s', entity, event), watched);
                EXECUTE format('DROP FUNCTION IF EXISTS erpmes.%I()', format('capture_%s_%s_%s', old.entity_id, watched::oid, event));
            END LOOP;
        END LOOP;
        DELETE FROM erpmes.publication_watch AS w WHERE w.entity_id = old.entity_id;
        UPDATE erpmes.publication AS p
        SET source_table = publish.source_table, key_columns = publish.key_columns,
            payload_function = publish.payload_function, key_names = publish.key_names,
            published_snapshot = coalesce(p.published_snapshot, pg_current_snapshot())
        WHERE p.entity_id = old.entity_id;
        new_id := old.entity_id;
    ELSE
        -- The snapshot a new link starts from (erpmes.register_consumer): every capture of this
        -- table comes from a transaction not visible in it, because the triggers created below
        -- lock writers out until this transaction commits.
        INSERT INTO erpmes.publication (entity, source_table, key_columns, payload_function, key_names, published_snapshot)
        VALUES (entity, source_table, key_columns, payload_function, key_names, pg_current_snapshot())
        RETURNING entity_id INTO new_id;
    END IF;
    -- The key as jsonb, from the row alias r: jsonb_build_object('id', r."id").
    SELECT 'jsonb_build_object(' || string_agg(format('%L, r.%I', n, c), ', ') || ')'
    INTO key_sql FROM unnest(key_columns, coalesce(key_names, key_columns)) AS k(c, n);
    PERFORM erpmes.install_capture(new_id, entity, source_table, key_sql, NULL);
    FOR item IN SELECT * FROM jsonb_array_elements(coalesce(watch, '[]'::jsonb)) LOOP
        INSERT INTO erpmes.publication_watch (entity_id, watched_table, key_query)
        VALUES (new_id, (item->>'table')::regclass, item->>'keys');
        PERFORM erpmes.install_capture(new_id, entity, (item->>'table')::regclass, NULL, item->>'keys');
        EXECUTE format('GRANT SELECT ON %s TO erpmes_owner', (item->>'table')::regclass);
    END LOOP;
    -- Capture functions run as erpmes_owner, which reads the watched tables' rows through them.
    EXECUTE format('GRANT SELECT ON %s TO erpmes_owner', source_table);
    UPDATE erpmes.publication AS p SET shape = erpmes.entity_shape(
        ARRAY[p.source_table] || ARRAY(SELECT w.watched_table FROM erpmes.publication_watch AS w
                                       WHERE w.entity_id = p.entity_id ORDER BY w.watched_table),
        ARRAY[p.payload_function])
    WHERE p.entity_id = new_id;
    PERFORM pg_notify('erpmes_control', 'publish');
    RETURN new_id;
END $$;
REVOKE ALL ON FUNCTION erpmes.publish(text, regclass, text[], regprocedure, jsonb, text[]) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.publish(text, regclass, text[], regprocedure, jsonb, text[]) IS
    'Declares a published entity: its table, key columns, payload function and watched tables; installs capture triggers.';
RESET ROLE;
