-- Master data, MES side: entity `technology` from the ERP (mrp_bom with its operations and lines,
-- key {"id": mrp_bom.id}), applied to mes.technology, mes.technology_operation and
-- mes.technology_input_product. One way, source_wins: the ERP's BoM replaces what the MES holds.
--
-- Neutral payload -> MES (see Sql/erp/master_technology.sql for the payload):
--   technology            externalnumber <- bom_id; number 'TECH-' || bom_id (mes.format_number);
--                         name <- code, else the product template's name; product_id <- the MES
--                         product whose number is the payload's product; state '02accepted';
--                         master set on insert when the product has no master technology yet (the
--                         first by BoM sequence), the MES's choice after that
--   technology_operation  one per operation, in payload order: nodenumber '1.', '2.', ...;
--                         externalnumber <- erp_id; name; workstation_id <- the workstation whose
--                         number is the work center code; tj <- round(cycle_time_s) and
--                         tpz <- round(setup_time_s), integer seconds; productioninonecycle and its
--                         unit <- the BoM's quantity and unit (Odoo's cycle makes one BoM quantity).
--                         A BoM without operations gets one operation '1.' without a workstation.
--   technology_input_product  one per component: externalnumber <- erp_id; product_id; quantity
--                         and unit as the BoM line gives them (no conversion; Dozens stay dozen);
--                         at its operation (operation_erp_id), else at the first one
-- Units map with master_uom_to_mes. Operations and input products the BoM no longer has are
-- deleted, unless MES operational tasks or production records use an operation: then the key is
-- rejected. A BoM the ERP deletes or archives outdates the technology (state '04outdated',
-- inactive, not master); a later upsert accepts it again.
-- Rejected to the dead letter, naming the key, the column and the value: a BoM without a single
-- product variant, a product or component without default_code or missing in the MES, an
-- operation whose work center has no code or no workstation, an unknown unit, a quantity or time
-- that does not fit its column. Keys named in "$depends" that are in the dead letter (a product
-- with a NULL code, say) hold the technology until they apply.
-- erpmes:requires master_common.sql
-- erpmes:requires master_unit.sql
-- erpmes:requires master_product.sql
-- erpmes:requires master_workstation.sql

CREATE OR REPLACE FUNCTION mes.master_technology_apply()
RETURNS TABLE (key jsonb, outcome text, reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS master_technology_batch (
        key jsonb PRIMARY KEY,
        bom_id text,
        name text,
        sequence integer,
        product text,
        product_erp_id text,
        product_template text,
        quantity numeric,
        uom text,
        unit text,
        product_id bigint,
        technology_id bigint,
        problem text
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS master_technology_operation_batch (
        key jsonb,
        position integer,
        erp_id text,
        name text,
        workcenter text,
        workcenter_erp_id text,
        cycle_time_s numeric,
        setup_time_s numeric,
        workstation_id bigint,
        operation_id bigint,
        problem text
    ) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS master_technology_input_batch (
        key jsonb,
        position integer,
        erp_id text,
        product text,
        product_erp_id text,
        quantity numeric,
        uom text,
        unit text,
        operation_erp_id text,
        product_id bigint,
        input_id bigint,
        problem text
    ) ON COMMIT DROP;
    TRUNCATE master_technology_batch, master_technology_operation_batch, master_technology_input_batch;

    INSERT INTO master_technology_batch (key, bom_id, name, sequence, product, product_erp_id, product_template,
                                         quantity, uom, unit)
    SELECT b.key, b.payload->>'bom_id', coalesce(nullif(b.payload->>'code', ''), b.payload->>'product_template'),
           (b.payload->>'sequence')::integer, b.payload->>'product', b.payload->>'product_erp_id',
           b.payload->>'product_template', (b.payload->>'quantity')::numeric, b.payload->>'uom',
           erpmes.try_map_value('master_uom_to_mes', b.payload->>'uom')
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'U';
    INSERT INTO master_technology_operation_batch (key, position, erp_id, name, workcenter, workcenter_erp_id,
                                                   cycle_time_s, setup_time_s)
    SELECT b.key, o.position::integer, o.v->>'erp_id', o.v->>'name', o.v->>'workcenter', o.v->>'workcenter_erp_id',
           coalesce((o.v->>'cycle_time_s')::numeric, 0), coalesce((o.v->>'setup_time_s')::numeric, 0)
    FROM pg_temp.erpmes_batch AS b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.payload->'operations', '[]')) WITH ORDINALITY AS o (v, position)
    WHERE b.op = 'U';
    -- A BoM without operations: one operation to hang the components on, without a workstation.
    INSERT INTO master_technology_operation_batch (key, position, name, cycle_time_s, setup_time_s)
    SELECT t.key, 1, t.name, 0, 0 FROM master_technology_batch AS t
    WHERE NOT EXISTS (SELECT FROM master_technology_operation_batch AS o WHERE o.key = t.key);
    INSERT INTO master_technology_input_batch (key, position, erp_id, product, product_erp_id, quantity, uom, unit,
                                               operation_erp_id)
    SELECT b.key, c.position::integer, c.v->>'erp_id', c.v->>'product', c.v->>'product_erp_id',
           (c.v->>'quantity')::numeric, c.v->>'uom', erpmes.try_map_value('master_uom_to_mes', c.v->>'uom'),
           c.v->>'operation_erp_id'
    FROM pg_temp.erpmes_batch AS b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.payload->'components', '[]')) WITH ORDINALITY AS c (v, position)
    WHERE b.op = 'U';

    -- Lookups: MES products and workstations by number, the technology by its ERP id.
    UPDATE master_technology_batch AS t SET
        product_id = (SELECT p.id FROM mes.product AS p WHERE p.number = t.product AND p.active),
        technology_id = (SELECT min(x.id) FROM mes.technology AS x WHERE x.externalnumber = t.bom_id);
    UPDATE master_technology_operation_batch AS o SET
        workstation_id = (SELECT w.id FROM mes.workstation AS w WHERE w.number = o.workcenter AND w.active),
        operation_id = (SELECT min(x.id) FROM mes.technology_operation AS x
                        WHERE x.technology_id = t.technology_id AND x.externalnumber IS NOT DISTINCT FROM o.erp_id)
    FROM master_technology_batch AS t
    WHERE t.key = o.key;
    UPDATE master_technology_input_batch AS c SET
        product_id = (SELECT p.id FROM mes.product AS p WHERE p.number = c.product AND p.active),
        input_id = (SELECT min(x.id) FROM mes.technology_input_product AS x
                    JOIN mes.technology_operation AS xo ON xo.id = x.technology_operation_id
                    WHERE xo.technology_id = t.technology_id AND x.externalnumber = c.erp_id)
    FROM master_technology_batch AS t
    WHERE t.key = c.key;

    -- Validation, set-based: every problem of a key, the BoM's first, then its operations' and lines'.
    UPDATE master_technology_batch AS t SET problem = CASE
        WHEN t.product_erp_id IS NULL THEN
            format('the BoM names no single product variant (column mrp_bom.product_id is NULL and template %s has no or several active variants)',
                   coalesce(quote_literal(t.product_template), 'NULL'))
        WHEN t.product IS NULL THEN
            format('its product product_product.id %s has no default_code (column product_product.default_code, value NULL)',
                   t.product_erp_id)
        WHEN t.product_id IS NULL THEN
            format('product %s is not in the MES (entity product; column mrp_bom.product_id)', quote_literal(t.product))
        WHEN t.unit IS NULL THEN
            format('ERP unit %s has no MES unit code (column mrp_bom.product_uom_id, value map master_uom_to_mes)',
                   coalesce(quote_literal(t.uom), 'NULL'))
        WHEN NOT EXISTS (SELECT FROM mes.unit AS u WHERE u.code = t.unit) THEN
            format('MES unit %s for ERP unit %s is not in mes.unit (column mrp_bom.product_uom_id)',
                   quote_literal(t.unit), quote_literal(t.uom))
        WHEN t.quantity IS NULL OR round(t.quantity, 5) <= 0 OR t.quantity >= 1e9 THEN
            format('quantity %s does not fit productioninonecycle, numeric(14,5) above 0 (column mrp_bom.product_qty)',
                   coalesce(t.quantity::text, 'NULL'))
        WHEN t.bom_id !~ '^[0-9]+$' THEN
            format('bom_id %s is not an ERP id (column mrp_bom.id)', quote_literal(t.bom_id))
        WHEN t.technology_id IS NULL AND EXISTS (SELECT FROM mes.technology AS x
                                                 WHERE x.number = mes.format_number('TECH-', t.bom_id::bigint)) THEN
            format('technology number %s is taken by an MES technology of another origin',
                   mes.format_number('TECH-', t.bom_id::bigint))
        WHEN length(t.name) > 1024 THEN
            format('name %s... is longer than 1024 characters (column mrp_bom.code)', quote_literal(left(t.name, 40)))
    END;
    UPDATE master_technology_operation_batch AS o SET problem = CASE
        WHEN o.erp_id IS NULL THEN NULL
        WHEN o.workcenter IS NULL THEN
            format('operation %s (mrp_routing_workcenter.id %s): its work center mrp_workcenter.id %s has no code (column mrp_workcenter.code, value NULL)',
                   quote_literal(o.name), o.erp_id, o.workcenter_erp_id)
        WHEN o.workstation_id IS NULL THEN
            format('operation %s (mrp_routing_workcenter.id %s): work center %s is not in the MES (entity workstation; column mrp_routing_workcenter.workcenter_id)',
                   quote_literal(o.name), o.erp_id, quote_literal(o.workcenter))
        WHEN o.cycle_time_s < 0 OR round(o.cycle_time_s) > 2147483647 THEN
            format('operation %s (mrp_routing_workcenter.id %s): cycle time %s s does not fit tj, integer seconds >= 0 (column mrp_routing_workcenter.time_cycle_manual)',
                   quote_literal(o.name), o.erp_id, o.cycle_time_s)
        WHEN o.setup_time_s < 0 OR round(o.setup_time_s) > 2147483647 THEN
            format('operation %s (mrp_routing_workcenter.id %s): setup time %s s does not fit tpz, integer seconds >= 0 (column mrp_workcenter.time_start)',
                   quote_literal(o.name), o.erp_id, o.setup_time_s)
        WHEN length(o.name) > 1024 THEN
            format('operation mrp_routing_workcenter.id %s: name longer than 1024 characters (column mrp_routing_workcenter.name)',
                   o.erp_id)
    END;
    UPDATE master_technology_input_batch AS c SET problem = CASE
        WHEN c.product IS NULL THEN
            format('component line mrp_bom_line.id %s: product_product.id %s has no default_code (column product_product.default_code, value NULL)',
                   c.erp_id, c.product_erp_id)
        WHEN c.product_id IS NULL THEN
            format('component line mrp_bom_line.id %s: product %s is not in the MES (entity product; column mrp_bom_line.product_id)',
                   c.erp_id, quote_literal(c.product))
        WHEN c.unit IS NULL THEN
            format('component line mrp_bom_line.id %s: ERP unit %s has no MES unit code (column mrp_bom_line.product_uom_id, value map master_uom_to_mes)',
                   c.erp_id, coalesce(quote_literal(c.uom), 'NULL'))
        WHEN NOT EXISTS (SELECT FROM mes.unit AS u WHERE u.code = c.unit) THEN
            format('component line mrp_bom_line.id %s: MES unit %s for ERP unit %s is not in mes.unit (column mrp_bom_line.product_uom_id)',
                   c.erp_id, quote_literal(c.unit), quote_literal(c.uom))
        WHEN c.quantity IS NULL OR c.quantity < 0 OR c.quantity >= 1e9 THEN
            format('component line mrp_bom_line.id %s: quantity %s does not fit numeric(14,5) >= 0 (column mrp_bom_line.product_qty)',
                   c.erp_id, coalesce(c.quantity::text, 'NULL'))
    END;
    -- Operations the BoM lost that MES tasks or production records still use cannot go.
    UPDATE master_technology_batch AS t SET problem = format(
        'operation %s (node %s) is no longer in the BoM, but MES operational tasks or production records use it',
        coalesce(quote_literal(x.name), 'NULL'), x.nodenumber)
    FROM mes.technology_operation AS x
    WHERE x.technology_id = t.technology_id AND t.problem IS NULL
      AND NOT EXISTS (SELECT FROM master_technology_operation_batch AS o WHERE o.key = t.key AND o.operation_id = x.id)
      AND (EXISTS (SELECT FROM mes.operationaltask AS k WHERE k.technology_operation_id = x.id)
           OR EXISTS (SELECT FROM mes.productiontracking AS k WHERE k.technology_operation_id = x.id));
    UPDATE master_technology_batch AS t SET problem = nullif(concat_ws('; ', t.problem,
        (SELECT string_agg(o.problem, '; ' ORDER BY o.position) FROM master_technology_operation_batch AS o
         WHERE o.key = t.key AND o.problem IS NOT NULL),
        (SELECT string_agg(c.problem, '; ' ORDER BY c.position) FROM master_technology_input_batch AS c
         WHERE c.key = t.key AND c.problem IS NOT NULL)), '');
    DELETE FROM master_technology_operation_batch AS o USING master_technology_batch AS t
    WHERE t.key = o.key AND t.problem IS NOT NULL;
    DELETE FROM master_technology_input_batch AS c USING master_technology_batch AS t
    WHERE t.key = c.key AND t.problem IS NOT NULL;

    -- Technologies.
    UPDATE mes.technology AS x SET
        name = t.name,
        product_id = t.product_id,
        master = x.master AND x.product_id = t.product_id,
        state = '02accepted',
        active = true,
        entityversion = x.entityversion + 1
    FROM master_technology_batch AS t
    WHERE x.id = t.technology_id AND t.problem IS NULL;
    WITH created AS (
        INSERT INTO mes.technology (number, name, product_id, state, master, externalnumber)
        SELECT mes.format_number('TECH-', t.bom_id::bigint), t.name, t.product_id, '02accepted',
               NOT EXISTS (SELECT FROM mes.technology AS x WHERE x.product_id = t.product_id AND x.master)
                   AND row_number() OVER (PARTITION BY t.product_id ORDER BY t.sequence NULLS LAST, t.bom_id::bigint) = 1,
               t.bom_id
        FROM master_technology_batch AS t
        WHERE t.technology_id IS NULL AND t.problem IS NULL
        ORDER BY t.bom_id::bigint
        RETURNING id, externalnumber
    )
    UPDATE master_technology_batch AS t SET technology_id = c.id
    FROM created AS c
    WHERE c.externalnumber = t.bom_id AND t.technology_id IS NULL AND t.problem IS NULL;

    -- Operations: the ones gone go (their input products with them), the others are renumbered
    -- out of the way of the unique (technology_id, nodenumber) first, then written.
    DELETE FROM mes.technology_operation AS x USING master_technology_batch AS t
    WHERE x.technology_id = t.technology_id AND t.problem IS NULL
      AND NOT EXISTS (SELECT FROM master_technology_operation_batch AS o WHERE o.key = t.key AND o.operation_id = x.id);
    UPDATE mes.technology_operation AS x SET nodenumber = '#' || x.id
    FROM master_technology_operation_batch AS o
    WHERE x.id = o.operation_id AND x.nodenumber <> o.position || '.';
    UPDATE mes.technology_operation AS x SET
        nodenumber = o.position || '.',
        name = o.name,
        workstation_id = o.workstation_id,
        tpz = round(o.setup_time_s)::integer,
        tj = round(o.cycle_time_s)::integer,
        productioninonecycle = t.quantity,
        productioninonecycleunit = t.unit,
        externalnumber = o.erp_id,
        entityversion = x.entityversion + 1
    FROM master_technology_operation_batch AS o
    JOIN master_technology_batch AS t ON t.key = o.key
    WHERE x.id = o.operation_id;
    WITH created AS (
        INSERT INTO mes.technology_operation (technology_id, nodenumber, name, workstation_id, tpz, tj,
                                              productioninonecycle, productioninonecycleunit, externalnumber)
        SELECT t.technology_id, o.position || '.', o.name, o.workstation_id, round(o.setup_time_s)::integer,
               round(o.cycle_time_s)::integer, t.quantity, t.unit, o.erp_id
        FROM master_technology_operation_batch AS o
        JOIN master_technology_batch AS t ON t.key = o.key
        WHERE o.operation_id IS NULL
        ORDER BY t.technology_id, o.position
        RETURNING id, technology_id, nodenumber
    )
    UPDATE master_technology_operation_batch AS o SET operation_id = c.id
    FROM created AS c, master_technology_batch AS t
    WHERE t.key = o.key AND c.technology_id = t.technology_id AND c.nodenumber = o.position || '.';

    -- Input products: at their operation, else at the first; the ones gone go.
    DELETE FROM mes.technology_input_product AS x
    USING mes.technology_operation AS xo, master_technology_batch AS t
    WHERE xo.id = x.technology_operation_id AND xo.technology_id = t.technology_id AND t.problem IS NULL
      AND NOT EXISTS (SELECT FROM master_technology_input_batch AS c WHERE c.key = t.key AND c.input_id = x.id);
    WITH target AS (
        SELECT c.*, coalesce(
            (SELECT o.operation_id FROM master_technology_operation_batch AS o
             WHERE o.key = c.key AND o.erp_id = c.operation_erp_id),
            (SELECT o.operation_id FROM master_technology_operation_batch AS o
             WHERE o.key = c.key ORDER BY o.position LIMIT 1)) AS operation_id
        FROM master_technology_input_batch AS c
    ), changed AS (
        UPDATE mes.technology_input_product AS x SET
            technology_operation_id = g.operation_id,
            product_id = g.product_id,
            quantity = g.quantity,
            unit = g.unit
        FROM target AS g
        WHERE x.id = g.input_id
        RETURNING x.id
    )
    INSERT INTO mes.technology_input_product (technology_operation_id, product_id, quantity, unit, externalnumber)
    SELECT g.operation_id, g.product_id, g.quantity, g.unit, g.erp_id
    FROM target AS g
    WHERE g.input_id IS NULL
    ORDER BY g.operation_id, g.position;

    -- Gone, archived or a kit in the ERP: outdated, never deleted (orders may use it).
    UPDATE mes.technology AS x SET state = '04outdated', active = false, master = false,
                                   entityversion = x.entityversion + 1
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op = 'D' AND x.externalnumber = b.key->>'id' AND (x.active OR x.state <> '04outdated');

    RETURN QUERY
    SELECT t.key, CASE WHEN t.problem IS NULL THEN 'applied' ELSE 'rejected' END, t.problem
    FROM master_technology_batch AS t
    UNION ALL
    SELECT b.key, CASE b.op WHEN 'D' THEN 'applied' ELSE 'skipped' END, NULL
    FROM pg_temp.erpmes_batch AS b
    WHERE b.op IN ('D', 'T');
END $$;
REVOKE ALL ON FUNCTION mes.master_technology_apply() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mes.master_technology_apply() TO erpmes_run;
COMMENT ON FUNCTION mes.master_technology_apply() IS
    'Apply function of entity technology: ERP BoM -> mes.technology with its operations (tj/tpz in seconds, workstation by code) and input products; rejects what it cannot map; deletes outdate.';

GRANT SELECT, INSERT, UPDATE ON mes.technology TO erpmes_run;
GRANT SELECT, INSERT, UPDATE, DELETE ON mes.technology_operation, mes.technology_input_product TO erpmes_run;

SELECT erpmes.subscribe('technology', 'mes.master_technology_apply()', 'source_wins', '{}'::jsonb, -20, '{}'::jsonb,
    ARRAY['mes.technology', 'mes.technology_operation', 'mes.technology_input_product']::regclass[]);
