-- erpmes.entity_group: declares entities whose target rows reference each other. Checks their
-- tables against pg_constraint and sets each entity's apply_order from the foreign keys, parents
-- first (deletes then run children first). Every entity of a link's direction is applied in one
-- target transaction per batch, so a group is always applied atomically; the group fixes the order.
-- Run by `erpmes migrate` on the receiving database, after erpmes.subscribe.
-- erpmes:requires subscribe.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.entity_group(name text, entities text[], tables regclass[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing text;
    cycle text;
BEGIN
    IF cardinality(entities) IS DISTINCT FROM cardinality(tables) OR cardinality(entities) < 2 THEN
        RAISE EXCEPTION 'entity group %: give at least two entities and one target table per entity', name
            USING ERRCODE = '22023';
    END IF;
    SELECT e INTO missing FROM unnest(entities) AS e
    WHERE NOT EXISTS (SELECT FROM erpmes.subscription AS s WHERE s.entity = e) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'entity group %: entity % is not subscribed on this database', name, missing
            USING ERRCODE = '42704';
    END IF;
    -- Every table must be linked to another one of the group by a foreign key.
    SELECT t::text INTO missing FROM unnest(tables) AS t
    WHERE NOT EXISTS (
        SELECT FROM pg_constraint AS c
        WHERE c.contype = 'f' AND ((c.conrelid = t AND c.confrelid = ANY (tables) AND c.confrelid <> t)
                                   OR (c.confrelid = t AND c.conrelid = ANY (tables) AND c.conrelid <> t))
    ) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'entity group %: table % has no foreign key to or from another table of the group', name, missing
            USING ERRCODE = '42830';
    END IF;
    -- Depth of each table in the foreign-key graph: parents 0, their children 1, ...
    WITH RECURSIVE member AS (
        SELECT e AS entity, t AS tab FROM unnest(entities, tables) AS m(e, t)
    ), edge AS (
        SELECT DISTINCT c.conrelid AS child, c.confrelid AS parent FROM pg_constraint AS c
        WHERE c.contype = 'f' AND c.conrelid = ANY (tables) AND c.confrelid = ANY (tables) AND c.conrelid <> c.confrelid
    ), depth (tab, level, path) AS (
        SELECT m.tab, 0, ARRAY[m.tab] FROM member AS m
        UNION ALL
        SELECT e.child, d.level + 1, d.path || e.child FROM depth AS d JOIN edge AS e ON e.parent = d.tab
        WHERE NOT e.child = ANY (d.path) AND d.level < cardinality(tables)
    ), deepest AS (
        SELECT tab, max(level) AS level FROM depth GROUP BY tab
    )
    UPDATE erpmes.subscription AS s SET apply_order = d.level
    FROM member AS m JOIN deepest AS d ON d.tab = m.tab
    WHERE s.entity = m.entity;
    INSERT INTO erpmes.entity_group (name, entities) VALUES (name, entities)
    ON CONFLICT ON CONSTRAINT entity_group_pkey DO UPDATE SET entities = EXCLUDED.entities;
    PERFORM pg_notify('erpmes_control', 'entity_group');
END $$;
REVOKE ALL ON FUNCTION erpmes.entity_group(text, text[], regclass[]) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.entity_group(text, text[], regclass[]) IS
    'Declares entities whose target tables reference each other; checks pg_constraint and orders them parents first.';
RESET ROLE;
