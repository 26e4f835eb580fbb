-- erpmes.subscribe: declares an entity this database receives, like
-- CREATE SUBSCRIPTION: the apply function that writes a batch set-based, the conflict rule and
-- field ownership, and where it applies among entities (parents first).
SET LOCAL ROLE erpmes_owner;
CREATE OR REPLACE FUNCTION erpmes.subscribe(
    entity text,
    apply_function regprocedure,
    conflict_rule text DEFAULT 'source_wins',
    ownership jsonb DEFAULT '{}'::jsonb,
    apply_order integer DEFAULT 0
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF entity IS NULL OR entity !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'entity name % must be lower case letters, digits and _', quote_literal(entity)
            USING ERRCODE = '22023';
    END IF;
    IF (SELECT prorettype <> 'record'::regtype OR NOT proretset FROM pg_proc WHERE oid = apply_function) THEN
        RAISE EXCEPTION 'entity %: apply function % must return TABLE (key jsonb, outcome text, reason text)',
            entity, apply_function USING ERRCODE = '42P13';
    END IF;
    INSERT INTO erpmes.subscription (entity, apply_function, conflict_rule, ownership, apply_order)
    VALUES (entity, apply_function, conflict_rule, coalesce(ownership, '{}'::jsonb), apply_order)
    ON CONFLICT ON CONSTRAINT subscription_pkey DO UPDATE
        SET apply_function = EXCLUDED.apply_function, conflict_rule = EXCLUDED.conflict_rule,
            ownership = EXCLUDED.ownership, apply_order = EXCLUDED.apply_order;
    PERFORM pg_notify('erpmes_control', 'subscribe');
END $$;
REVOKE ALL ON FUNCTION erpmes.subscribe(text, regprocedure, text, jsonb, integer) FROM PUBLIC;
COMMENT ON FUNCTION erpmes.subscribe(text, regprocedure, text, jsonb, integer) IS
    'Declares a received entity: apply function, conflict rule, ownership, apply order.';
RESET ROLE;
