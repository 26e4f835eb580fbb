-- erpmes.install_capture: creates the capture functions and triggers of one published or watched
-- table. Called by erpmes.publish. Each function inserts one narrow row per distinct changed key
-- into the current queue table, reading only the statement's transition tables.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.install_capture(
    entity_id integer,
    entity text,
    target regclass,
    key_sql text,
    key_query text
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    event text;
    rows_sql text;
    keys_sql text;
    body text;
    function_name text;
    trigger_name text;
    part integer;
BEGIN
    FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
        IF event = 'truncate' AND key_sql IS NULL THEN
            CONTINUE;  -- a truncated lookup table re-publishes nothing it can name
        END IF;
        rows_sql := CASE event
            WHEN 'insert' THEN 'SELECT * FROM new_rows'
            WHEN 'update' THEN 'SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows'
            WHEN 'delete' THEN 'SELECT * FROM old_rows'
        END;
        IF event = 'truncate' THEN
            keys_sql := 'SELECT ''"$truncate"''::jsonb';
        ELSIF key_sql IS NOT NULL THEN
            keys_sql := format('SELECT %s FROM (%s) AS r', key_sql, rows_sql);
        ELSE
            keys_sql := format('WITH changed AS (%s) %s', rows_sql, key_query);
        END IF;
        body := '';
        FOR part IN 0..2 LOOP
            body := body || format(
                E'    %s part = %s THEN\n'
                || E'        INSERT INTO erpmes.queue_%s (xid, entity_id, key, origin)\n'
                || E'        SELECT pg_current_xact_id(), %s, k.key, current_setting(''erpmes.origin'', true)\n'
                || E'        FROM (SELECT DISTINCT k0.key FROM (%s) AS k0(key) WHERE k0.key IS NOT NULL) AS k;\n',
                CASE WHEN part = 0 THEN 'IF' ELSE 'ELSIF' END, part, part, entity_id, keys_sql);
        END LOOP;
        function_name := format('capture_%s_%s_%s', entity_id, target::oid, event);
        trigger_name := format('erpmes_%s_%s', entity, event);
        EXECUTE format(
            E'CREATE OR REPLACE FUNCTION erpmes.%I() RETURNS trigger\n'
            || E'LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, erpmes, pg_temp AS $capture$\n'
            || E'DECLARE\n    part bigint;\nBEGIN\n'
            -- last_value of the sequence: read without a snapshot (see erpmes.queue_current).
            || E'    SELECT last_value INTO part FROM erpmes.queue_current;\n'
            || E'%s    END IF;\n'
            || E'    IF (SELECT notify FROM erpmes.queue_state) THEN\n        PERFORM erpmes.wake();\n    END IF;\n'
            || E'    RETURN NULL;\nEND $capture$',
            function_name, body);
        EXECUTE format('ALTER FUNCTION erpmes.%I() OWNER TO erpmes_owner', function_name);
        EXECUTE format('REVOKE ALL ON FUNCTION erpmes.%I() FROM PUBLIC', function_name);
        EXECUTE format('COMMENT ON FUNCTION erpmes.%I() IS %L', function_name,
            format('Captures %s on %s for entity %s.', event, target, entity));
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', trigger_name, target);
        IF event = 'truncate' THEN
            EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION erpmes.%I()',
                trigger_name, target, function_name);
        ELSE
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION erpmes.%I()',
                trigger_name, upper(event), target,
                CASE event WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                           WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                           ELSE 'OLD TABLE AS old_rows' END,
                function_name);
        END IF;
        -- ALWAYS: session_replication_role = replica must not switch capture off unseen.
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', target, trigger_name);
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION erpmes.install_capture(integer, text, regclass, text, text) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.install_capture(integer, text, regclass, text, text) IS
    'Creates the capture functions and ENABLE ALWAYS statement triggers of one table for an entity.';
RESET ROLE;
