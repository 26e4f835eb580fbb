-- erpmes.unpublish: drops an entity's publication and its capture triggers and functions.
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.unpublish(entity_name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pub erpmes.publication;
    watched regclass;
    event text;
BEGIN
    SELECT * INTO pub FROM erpmes.publication WHERE entity = entity_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'entity % is not published here', entity_name USING ERRCODE = '42704';
    END IF;
    FOR watched IN
        SELECT pub.source_table UNION SELECT w.watched_table FROM erpmes.publication_watch AS w
        WHERE w.entity_id = pub.entity_id
    LOOP
        FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', format('erpmes_%s_%s', entity_name, event), watched);
            EXECUTE format('DROP FUNCTION IF EXISTS erpmes.%I()', format('capture_%s_%s_%s', pub.entity_id, watched::oid, event));
        END LOOP;
    END LOOP;
    DELETE FROM erpmes.publication WHERE entity_id = pub.entity_id;
    PERFORM pg_notify('erpmes_control', 'unpublish');
END $$;
REVOKE ALL ON FUNCTION erpmes.unpublish(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION erpmes.unpublish(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erpmes.unpublish(text) TO erpmes_run;
COMMENT ON FUNCTION erpmes.unpublish(text) IS 'Drops a published entity with its capture triggers and functions.';
RESET ROLE;
