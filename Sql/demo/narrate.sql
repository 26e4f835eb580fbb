-- Narration for `erpmes demo`: what the replicator just brought into THIS database, as short
-- lines (under 76 characters) a person can follow, e.g.
--   MO WH/MO/00042 → MES order ORD-000042, 120 pc                    (MES side)
--   PT-000123 → WH/MO/00042: +40 Units FG01-02, 3 components         (ERP side)
-- demo.narrate() returns what arrived since its previous call in this database (the demo's live
-- view calls it every refresh: SELECT line FROM demo.narrate()); demo.narrate(since) what arrived
-- since then, without remembering. Sources: on the ERP side the rows the mapping pack inserted
-- (create_date, which Odoo's columns default to the insert time) and the orders it updated; on
-- the MES side the orders and events applied here, found through the replication bases
-- (erpmes.base: synced_at, with the echo hash an apply sets). Per kind of event it shows the four
-- latest and a line counting the others; master data is one line per entity with a count. The same file serves both
-- databases; each part runs only where its schema exists. erpmes.base is readable by its owner,
-- erpmes_run and superusers (the demo's connection); without it the base-driven lines are left out.
-- erpmes:requires demo_schema.sql

-- What narrate() without an argument showed last: its time, and the events of the last minute
-- (a transaction that committed late may carry an older timestamp: the window overlaps by five
-- seconds, and events already shown are left out).
DROP TABLE IF EXISTS demo.narrated;
CREATE TABLE demo.narrated (
    kind text NOT NULL,
    line text NOT NULL,
    at timestamptz NOT NULL,
    shown_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS narrated_at ON demo.narrated (at);
COMMENT ON TABLE demo.narrated IS 'Events demo.narrate() showed in the last minute (so the next call does not repeat them).';

CREATE OR REPLACE FUNCTION demo.narrate(since timestamptz DEFAULT NULL, per_kind integer DEFAULT 4)
RETURNS TABLE (line text, at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    remember boolean := since IS NULL;
    bases boolean := to_regclass('erpmes.base') IS NOT NULL AND has_table_privilege('erpmes.base', 'SELECT');
    since_utc timestamp;
BEGIN
    IF remember THEN
        since := coalesce((SELECT max(n.shown_at) FROM demo.narrated AS n) - interval '5 seconds',
                          now() - interval '10 seconds');
    END IF;
    since_utc := since AT TIME ZONE 'UTC';
    CREATE TEMP TABLE IF NOT EXISTS demo_narration (kind text, label text, at timestamptz, line text) ON COMMIT DROP;
    TRUNCATE demo_narration;

    IF to_regclass('erp.mrp_production') IS NOT NULL THEN
        -- production records posted as stock moves (origin = the MES record number)
        INSERT INTO demo_narration
        SELECT 'posted', 'production records posted', max(m.create_date) AT TIME ZONE 'UTC',
               format('%s → %s: %s', m.origin, m.reference, concat_ws(', ',
                   string_agg(format('%s%s %s %s', CASE WHEN l.usage = 'production' THEN '-' ELSE '+' END,
                                     demo.qty(m.quantity), u.name->>'en_US', p.default_code), ', ')
                       FILTER (WHERE m.production_id IS NOT NULL AND NOT coalesce(m.scrapped, false)),
                   CASE count(*) FILTER (WHERE m.raw_material_production_id IS NOT NULL)
                        WHEN 0 THEN NULL WHEN 1 THEN '1 component consumed'
                        ELSE count(*) FILTER (WHERE m.raw_material_production_id IS NOT NULL) || ' components consumed' END))
        FROM erp.stock_move AS m
        JOIN erp.product_product AS p ON p.id = m.product_id
        JOIN erp.uom_uom AS u ON u.id = m.product_uom
        JOIN erp.stock_location AS l ON l.id = m.location_dest_id
        WHERE m.create_date >= since_utc AND m.origin LIKE 'PT-%' AND m.scrap_id IS NULL
        GROUP BY m.origin, m.reference;
        INSERT INTO demo_narration
        SELECT 'scrap', 'scrap records', s.create_date AT TIME ZONE 'UTC',
               format('%s → scrap %s: %s %s %s', s.origin, s.name, demo.qty(s.scrap_qty), u.name->>'en_US', p.default_code)
        FROM erp.stock_scrap AS s
        JOIN erp.product_product AS p ON p.id = s.product_id
        JOIN erp.uom_uom AS u ON u.id = s.product_uom_id
        WHERE s.create_date >= since_utc;
        INSERT INTO demo_narration
        SELECT 'request', 'maintenance requests', r.create_date AT TIME ZONE 'UTC',
               format('%s → ERP maintenance request %s (%s)', split_part(r.name, ':', 1), r.id,
                      coalesce(e.name->>'en_US', 'no equipment'))
        FROM erp.maintenance_request AS r LEFT JOIN erp.maintenance_equipment AS e ON e.id = r.equipment_id
        WHERE r.create_date >= since_utc;
        INSERT INTO demo_narration
        SELECT 'inspection', 'inspections', i.create_date AT TIME ZONE 'UTC',
               format('%s → ERP inspection %s%s: %s', i.name, i.id, coalesce(' of lot ' || l.name, ''), i.state)
        FROM erp.qc_inspection AS i LEFT JOIN erp.stock_lot AS l ON l.id = i.lot_id
        WHERE i.create_date >= since_utc;
        INSERT INTO demo_narration
        SELECT 'count:time', 'work-center time rows from the MES', w.create_date AT TIME ZONE 'UTC', 'time ' || w.id
        FROM erp.mrp_workcenter_productivity AS w
        WHERE w.create_date >= since_utc;
        IF bases THEN
            -- orders the MES moved on (state, quantities)
            INSERT INTO demo_narration
            SELECT 'order', 'order updates', b.synced_at,
                   format('MES → %s: %s, %s of %s %s', p.name, p.state,
                          demo.qty(coalesce((SELECT sum(m.quantity) FROM erp.stock_move AS m
                                             WHERE m.production_id = p.id AND m.state = 'done' AND m.origin LIKE 'PT-%'
                                               AND NOT coalesce(m.scrapped, false)), 0)),
                          demo.qty(p.product_qty), u.name->>'en_US')
            FROM erpmes.base AS b
            JOIN erp.mrp_production AS p ON p.name = b.key->>'name'
            JOIN erp.uom_uom AS u ON u.id = p.product_uom_id
            WHERE b.synced_at >= since AND b.hash IS NOT NULL AND b.key ? 'name';
        END IF;
    END IF;

    IF to_regclass('mes.orders_order') IS NOT NULL AND bases THEN
        INSERT INTO demo_narration
        SELECT 'order', 'orders from the ERP', b.synced_at,
               CASE
                   WHEN o.state IN ('05declined', '07abandoned')
                       THEN format('MO %s cancelled → MES order %s %s', o.externalnumber, o.number,
                                   CASE o.state WHEN '05declined' THEN 'declined' ELSE 'abandoned' END)
                   WHEN o.state = '01pending' AND NOT EXISTS (SELECT FROM mes.orders_orderstatechange AS c WHERE c.order_id = o.id)
                       THEN format('MO %s → MES order %s, %s %s', o.externalnumber, o.number, demo.qty(o.plannedquantity),
                                   pr.unit)
                   ELSE format('MO %s changed → MES order %s, %s %s', o.externalnumber, o.number,
                               demo.qty(o.plannedquantity), pr.unit)
               END
        FROM erpmes.base AS b
        JOIN mes.orders_order AS o ON o.externalnumber = b.key->>'name'
        JOIN mes.product AS pr ON pr.id = o.product_id
        WHERE b.synced_at >= since AND b.hash IS NOT NULL AND b.key ? 'name';
        INSERT INTO demo_narration
        SELECT 'event', 'maintenance events', b.synced_at,
               format('ERP request %s → MES %s %s%s', CASE WHEN e.state = '04closed' THEN 'done' ELSE 'changed' END, e.number,
                      CASE e.state WHEN '04closed' THEN 'closed' WHEN '02inProgress' THEN 'in progress' ELSE e.state END,
                      coalesce(' (' || w.number || ')', ''))
        FROM erpmes.base AS b
        JOIN mes.maintenance_event AS e ON e.number = b.key->>'number'
        LEFT JOIN mes.workstation AS w ON w.id = e.workstation_id
        WHERE b.synced_at >= since AND b.hash IS NOT NULL AND b.key ? 'number';
        -- everything else the ERP sent (master data, work orders): counted per entity
        INSERT INTO demo_narration
        SELECT 'count:' || b.entity, 'ERP → MES: ' || replace(b.entity, '_', ' ') || ' updates', b.synced_at, b.key::text
        FROM erpmes.base AS b
        WHERE b.synced_at >= since AND b.hash IS NOT NULL AND NOT b.key ? 'name'
          AND NOT (b.key ? 'number' AND EXISTS (SELECT FROM mes.maintenance_event AS e WHERE e.number = b.key->>'number'));
    END IF;

    IF remember THEN
        DELETE FROM demo_narration AS d USING demo.narrated AS n
        WHERE n.kind = d.kind AND n.line = d.line AND n.at = d.at;
        DELETE FROM demo.narrated AS n WHERE n.shown_at < now() - interval '1 minute';
        INSERT INTO demo.narrated (kind, line, at, shown_at) SELECT d.kind, d.line, d.at, now() FROM demo_narration AS d;
        -- an empty call still moves the window on
        INSERT INTO demo.narrated (kind, line, at, shown_at) VALUES ('-', '-', now(), now());
    END IF;

    RETURN QUERY
    SELECT demo.fit(x.line), x.at FROM (
        SELECT n.at, n.line FROM (
            SELECT d.*, row_number() OVER (PARTITION BY d.kind ORDER BY d.at DESC, d.line DESC) AS k FROM demo_narration AS d
            WHERE d.kind NOT LIKE 'count:%'
        ) AS n
        WHERE n.k <= per_kind
        UNION ALL
        SELECT max(d.at), format('… and %s more %s', count(*) - per_kind, min(d.label))
        FROM demo_narration AS d WHERE d.kind NOT LIKE 'count:%'
        GROUP BY d.kind HAVING count(*) > per_kind
        UNION ALL
        SELECT max(d.at), CASE WHEN min(d.label) LIKE 'ERP → MES:%' THEN format('ERP → MES: %s %s', count(*), substr(min(d.label), 12))
                               ELSE format('%s %s', count(*), min(d.label)) END
        FROM demo_narration AS d WHERE d.kind LIKE 'count:%'
        GROUP BY d.kind
    ) AS x
    ORDER BY x.at, x.line;
END $$;
COMMENT ON FUNCTION demo.narrate(timestamptz, integer) IS
    'What the replicator brought into this database since `since` (NULL: since the previous call, remembered), as (line under 76 characters, time); per kind the per_kind latest and a count of the rest.';

CREATE OR REPLACE VIEW demo.recent_events AS
    SELECT n.at, n.line FROM demo.narrate(now() - interval '1 minute') AS n;
COMMENT ON VIEW demo.recent_events IS 'demo.narrate over the last minute (stateless).';
