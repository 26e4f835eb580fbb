-- erpmes.subscribe: declares an entity this database receives, like CREATE SUBSCRIPTION: the apply
-- function that writes a batch set-based, the conflict rule with its ownership map and options,
-- where it applies among entities (parents first) and the tables its apply function writes (for
-- the drift check; by default the table this database publishes the entity from, if any).
-- Declaring again updates it in place and stores its shape anew (accepting a reviewed change).
--
-- Rules (DESIGN 2.5): source_wins, target_wins, owner (ownership {"column": "erp"|"mes", "*": side
-- for the other columns and for the row's existence}), newest_wins(column), forward_only(column)
-- with options {"graph": {"state": ["next", ...]}}, append_only, manual, custom(function), where
-- the function is f(entity text, key jsonb, base jsonb, source jsonb, target jsonb) RETURNS jsonb
-- (the row to keep; NULL: no row). A rule's argument may also be given in options ("column",
-- "function").
-- erpmes:requires shape.sql
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.subscribe(
    entity text,
    apply_function regprocedure,
    conflict_rule text DEFAULT 'source_wins',
    ownership jsonb DEFAULT '{}'::jsonb,
    apply_order integer DEFAULT NULL,
    options jsonb DEFAULT '{}'::jsonb,
    tables regclass[] DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rule text;
    argument text;
    opts jsonb := coalesce(options, '{}'::jsonb);
    own jsonb := coalesce(ownership, '{}'::jsonb);
    bad text;
    written regclass[] := tables;
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
    IF (SELECT prorettype <> 'record'::regtype OR NOT proretset FROM pg_proc WHERE oid = apply_function) THEN
        RAISE EXCEPTION 'entity %: apply function % must return TABLE (key jsonb, outcome text, reason text)',
            entity, apply_function USING ERRCODE = '42P13';
    END IF;
    -- newest_wins(write_date) is rule newest_wins with option column = write_date.
    rule := lower(trim(coalesce(conflict_rule, 'source_wins')));
    IF rule ~ '^[a-z_]+\s*\(.*\)$' THEN
        argument := trim(substring(trim(conflict_rule) FROM '\((.*)\)$'));
        rule := trim(substring(rule FROM '^([a-z_]+)'));
        opts := opts || jsonb_build_object(CASE WHEN rule = 'custom' THEN 'function' ELSE 'column' END, argument);
    END IF;
    IF rule NOT IN ('source_wins', 'target_wins', 'owner', 'newest_wins', 'forward_only', 'append_only', 'manual', 'custom') THEN
        RAISE EXCEPTION 'entity %: unknown conflict rule %', entity, quote_literal(conflict_rule)
            USING ERRCODE = '22023',
                  HINT = 'one of source_wins, target_wins, owner, newest_wins(column), forward_only(column), append_only, manual, custom(function)';
    END IF;
    IF rule = 'owner' THEN
        SELECT o.key INTO bad FROM jsonb_each_text(own) AS o WHERE o.value NOT IN ('erp', 'mes') LIMIT 1;
        IF bad IS NOT NULL OR NOT own ? '*' THEN
            RAISE EXCEPTION 'entity %: the owner rule needs an ownership map of columns to ''erp'' or ''mes'' with a "*" entry for the rest%',
                entity, CASE WHEN bad IS NOT NULL THEN format(' (column %s)', bad) ELSE '' END
                USING ERRCODE = '22023', HINT = 'for example {"*": "erp", "state": "mes"}';
        END IF;
    END IF;
    IF rule IN ('newest_wins', 'forward_only') AND coalesce(opts->>'column', '') = '' THEN
        RAISE EXCEPTION 'entity %: rule % needs a column, as in %(write_date)', entity, rule, rule USING ERRCODE = '22023';
    END IF;
    IF rule = 'forward_only' AND jsonb_typeof(opts->'graph') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'entity %: forward_only needs options {"graph": {"state": ["next state", ...]}}', entity
            USING ERRCODE = '22023';
    END IF;
    IF rule = 'custom' AND to_regprocedure(coalesce(opts->>'function', '-') || '(text, jsonb, jsonb, jsonb, jsonb)') IS NULL THEN
        RAISE EXCEPTION 'entity %: custom function %(text, jsonb, jsonb, jsonb, jsonb) does not exist', entity, opts->>'function'
            USING ERRCODE = '42883';
    END IF;
    IF written IS NULL THEN
        written := ARRAY(SELECT p.source_table FROM erpmes.publication AS p WHERE p.entity = subscribe.entity);
    END IF;
    INSERT INTO erpmes.subscription AS s (entity, apply_function, conflict_rule, ownership, apply_order, options, tables)
    VALUES (entity, apply_function, rule, own, coalesce(apply_order, 0), opts, written)
    ON CONFLICT ON CONSTRAINT subscription_pkey DO UPDATE
        SET apply_function = EXCLUDED.apply_function, conflict_rule = EXCLUDED.conflict_rule,
            ownership = EXCLUDED.ownership, apply_order = coalesce(subscribe.apply_order, s.apply_order),
            options = EXCLUDED.options, tables = EXCLUDED.tables;
    UPDATE erpmes.subscription AS s SET shape = erpmes.entity_shape(s.tables,
        ARRAY[s.apply_function] || CASE WHEN s.options ? 'function'
            THEN ARRAY[to_regprocedure((s.options->>'function') || '(text, jsonb, jsonb, jsonb, jsonb)')]
            ELSE '{}'::regprocedure[] END)
    WHERE s.entity = subscribe.entity;
    PERFORM pg_notify('erpmes_control', 'subscribe');
END $$;
REVOKE ALL ON FUNCTION erpmes.subscribe(text, regprocedure, text, jsonb, integer, jsonb, regclass[]) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.subscribe(text, regprocedure, text, jsonb, integer, jsonb, regclass[]) IS
    'Declares a received entity: apply function, conflict rule with ownership and options, apply order, written tables.';
RESET ROLE;
