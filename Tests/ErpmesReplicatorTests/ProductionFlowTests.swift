import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Flow "production to inventory" (MES -> ERP), entity `production_record` (Sql/mes/production_record.sql
/// publishes accepted production tracking records, Sql/erp/production_record.sql posts them), end to
/// end through the replicator on the reference schemas. Each test writes the ERP products, work
/// center, manufacturing orders and work orders and the MES products, workstation, orders and
/// batches by hand before the replicator starts (so no other flow carries them), then records
/// production on the MES as its application does. Serialized: the reference templates are built
/// once per run, and concurrent first calls of TestCluster.createReferenceDatabase race.
@Suite(.serialized) struct ProductionFlowTests {
    /// ERP master data and orders: lot-tracked PRD-FG-A (Units), PRD-FG-B (kg), PRD-STEEL (kg),
    /// PRD-BOLT (Units), untracked PRD-PAINT (kg); three manufacturing orders in progress at WH/Stock,
    /// each with one work order at work center PRD-WS-1.
    static let erpSeed = """
        INSERT INTO erp.product_template (name, type, categ_id, uom_id, uom_po_id, tracking, default_code)
        SELECT jsonb_build_object('en_US', v.name), 'product', 1, u.id, u.id, v.tracking, v.code
        FROM (VALUES ('PRD-FG-A', 'Widget A', 'Units', 'lot'), ('PRD-FG-B', 'Compound B', 'kg', 'lot'),
                     ('PRD-STEEL', 'Steel', 'kg', 'lot'), ('PRD-PAINT', 'Paint', 'kg', 'none'),
                     ('PRD-BOLT', 'Bolt', 'Units', 'lot')) AS v (code, name, uom, tracking)
        JOIN erp.uom_uom AS u ON u.name->>'en_US' = v.uom
        WHERE NOT EXISTS (SELECT FROM erp.product_template AS t WHERE t.default_code = v.code);
        INSERT INTO erp.product_product (product_tmpl_id, default_code)
        SELECT t.id, t.default_code FROM erp.product_template AS t
        WHERE t.default_code LIKE 'PRD-%' AND NOT EXISTS (SELECT FROM erp.product_product AS p WHERE p.default_code = t.default_code);
        INSERT INTO erp.mrp_workcenter (name, code)
        SELECT 'Press 1', 'PRD-WS-1' WHERE NOT EXISTS (SELECT FROM erp.mrp_workcenter WHERE code = 'PRD-WS-1');
        INSERT INTO erp.mrp_production (name, product_id, product_qty, product_uom_id, location_src_id, location_dest_id,
                                        state, company_id, date_start)
        SELECT v.name, p.id, 500, t.uom_id, s.id, s.id, 'progress', 1, '2024-05-06 04:00'
        FROM (VALUES ('WH/MO/09001', 'PRD-FG-A'), ('WH/MO/09002', 'PRD-FG-B'), ('WH/MO/09003', 'PRD-FG-A')) AS v (name, code)
        JOIN erp.product_product AS p ON p.default_code = v.code
        JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
        JOIN erp.stock_location AS s ON s.complete_name = 'WH/Stock'
        ON CONFLICT ON CONSTRAINT mrp_production_name_uniq DO NOTHING;
        INSERT INTO erp.mrp_workorder (name, production_id, workcenter_id, product_uom_id, state)
        SELECT 'Pressing', m.id, w.id, m.product_uom_id, 'progress'
        FROM erp.mrp_production AS m JOIN erp.mrp_workcenter AS w ON w.code = 'PRD-WS-1'
        WHERE m.name LIKE 'WH/MO/09%' AND NOT EXISTS (SELECT FROM erp.mrp_workorder AS x WHERE x.production_id = m.id);
        """

    /// MES master data, orders and batches (PRD-PAINT counted in g, the others in the ERP's units;
    /// PRD-GHOST is unknown to the ERP), and SQL helpers that record production the way the MES
    /// application does: prd_track drafts a record, prd_accept accepts it (and marks the record it
    /// corrects 04corrected), prd_week_day and prd_week_corrections generate a plant's week.
    static let mesSeed = """
        INSERT INTO mes.product (number, name, unit, batchevidence) VALUES
            ('PRD-FG-A', 'Widget A', 'pc', true), ('PRD-FG-B', 'Compound B', 'kg', true),
            ('PRD-STEEL', 'Steel', 'kg', true), ('PRD-PAINT', 'Paint', 'g', false), ('PRD-BOLT', 'Bolt', 'pc', true),
            ('PRD-GHOST', 'Not in the ERP', 'pc', false)
        ON CONFLICT (number) DO NOTHING;
        INSERT INTO mes.workstation (number, name) VALUES ('PRD-WS-1', 'Press 1') ON CONFLICT (number) DO NOTHING;
        INSERT INTO mes.orders_order (number, externalnumber, product_id, plannedquantity, state)
        SELECT v.number, v.mo, p.id, 500, '03inProgress'
        FROM (VALUES ('PRD-ORD-1', 'WH/MO/09001', 'PRD-FG-A'), ('PRD-ORD-2', 'WH/MO/09002', 'PRD-FG-B'),
                     ('PRD-ORD-3', 'WH/MO/09003', 'PRD-FG-A')) AS v (number, mo, code)
        JOIN mes.product AS p ON p.number = v.code
        ON CONFLICT DO NOTHING;
        INSERT INTO mes.batch (number, product_id)
        SELECT v.lot, p.id
        FROM (VALUES ('PRD-A-001', 'PRD-FG-A'), ('PRD-L1', 'PRD-STEEL'), ('PRD-L2', 'PRD-STEEL'), ('PRD-L3', 'PRD-STEEL'),
                     ('PRD-B1', 'PRD-BOLT'), ('PRD-B2', 'PRD-BOLT'), ('PRD-B3', 'PRD-BOLT')) AS v (lot, code)
        JOIN mes.product AS p ON p.number = v.code
        UNION ALL
        SELECT p.number || '-D' || d, p.id FROM mes.product AS p CROSS JOIN generate_series(0, 6) AS d
        WHERE p.number IN ('PRD-FG-A', 'PRD-FG-B')
        ON CONFLICT (product_id, number) DO NOTHING;

        -- A production tracking record of an order at PRD-WS-1, drafted: produced [{product, good, waste,
        -- batch, cause}], consumed [{product, quantity, lots: {batch: quantity}}]; batches made as needed.
        CREATE OR REPLACE FUNCTION public.prd_track(order_number text, time_from timestamp, time_to timestamp,
                                                    produced jsonb, consumed jsonb, iscorrection boolean DEFAULT false)
        RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            record_id bigint;
            item jsonb;
            lot record;
            in_id bigint;
        BEGIN
            INSERT INTO mes.productiontracking (order_id, workstation_id, state, timerangefrom, timerangeto, machinetime,
                                                labortime, iscorrection)
            SELECT o.id, w.id, '01draft', time_from, time_to, extract(epoch FROM time_to - time_from)::integer,
                   extract(epoch FROM time_to - time_from)::integer, iscorrection
            FROM mes.orders_order AS o, mes.workstation AS w WHERE o.number = order_number AND w.number = 'PRD-WS-1'
            RETURNING id INTO record_id;
            FOR item IN SELECT * FROM jsonb_array_elements(produced) LOOP
                INSERT INTO mes.batch (number, product_id)
                SELECT item->>'batch', p.id FROM mes.product AS p WHERE p.number = item->>'product' AND item->>'batch' IS NOT NULL
                ON CONFLICT DO NOTHING;
                INSERT INTO mes.tracking_product_out (productiontracking_id, product_id, usedquantity, wastesquantity,
                                                      causeofwastes, batch_id, givenunit, givenquantity)
                SELECT record_id, p.id, (item->>'good')::numeric, (item->>'waste')::numeric, item->>'cause', b.id, p.unit,
                       (item->>'good')::numeric
                FROM mes.product AS p LEFT JOIN mes.batch AS b ON b.product_id = p.id AND b.number = item->>'batch'
                WHERE p.number = item->>'product';
            END LOOP;
            FOR item IN SELECT * FROM jsonb_array_elements(consumed) LOOP
                INSERT INTO mes.tracking_product_in (productiontracking_id, product_id, usedquantity)
                SELECT record_id, p.id, (item->>'quantity')::numeric FROM mes.product AS p WHERE p.number = item->>'product'
                RETURNING id INTO in_id;
                FOR lot IN SELECT * FROM jsonb_each_text(coalesce(item->'lots', '{}')) LOOP
                    INSERT INTO mes.batch (number, product_id)
                    SELECT lot.key, p.id FROM mes.product AS p WHERE p.number = item->>'product' ON CONFLICT DO NOTHING;
                    INSERT INTO mes.used_batch (tracking_product_in_id, batch_id, quantity)
                    SELECT in_id, b.id, lot.value::numeric
                    FROM mes.batch AS b JOIN mes.product AS p ON p.id = b.product_id
                    WHERE p.number = item->>'product' AND b.number = lot.key;
                END LOOP;
            END LOOP;
            RETURN record_id;
        END $$;

        -- Accepts a record; with corrects, the record it corrects goes to 04corrected and names it.
        CREATE OR REPLACE FUNCTION public.prd_accept(record_id bigint, corrects bigint DEFAULT NULL)
        RETURNS text LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE mes.productiontracking SET state = '02accepted' WHERE id = record_id;
            UPDATE mes.productiontracking SET state = '04corrected', correction_id = record_id WHERE id = corrects;
            RETURN (SELECT number FROM mes.productiontracking WHERE id = record_id);
        END $$;

        -- A random quantity between low and high: 3 decimals in kg, whole otherwise.
        CREATE OR REPLACE FUNCTION public.prd_random(unit text, low numeric, high numeric)
        RETURNS numeric LANGUAGE sql VOLATILE AS $$
            SELECT CASE WHEN unit = 'kg' THEN round(low + (random()::numeric * (high - low)), 3)
                        ELSE floor(low + random()::numeric * (high - low + 1)) END
        $$;

        -- One day of the generated week: three shifts of every PRD order, with consumption by lot.
        CREATE OR REPLACE FUNCTION public.prd_week_day(day integer)
        RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            o record;
            shift integer;
            start timestamp;
            steel numeric;
            steel_1 numeric;
            bolts numeric;
            bolts_1 numeric;
            made integer := 0;
        BEGIN
            FOR shift IN 0..2 LOOP
                start := timestamp '2024-05-06 06:00' + make_interval(days => day, hours => 8 * shift);
                FOR o IN SELECT oo.number, p.number AS product, p.unit
                         FROM mes.orders_order AS oo JOIN mes.product AS p ON p.id = oo.product_id
                         WHERE oo.number LIKE 'PRD-ORD-%' ORDER BY oo.number LOOP
                    steel := public.prd_random('kg', 0, 20);
                    steel_1 := public.prd_random('kg', 0, steel);
                    bolts := public.prd_random('pc', 0, 60);
                    bolts_1 := public.prd_random('pc', 0, bolts);
                    PERFORM public.prd_accept(public.prd_track(o.number, start, start + interval '8 hours',
                        jsonb_build_array(jsonb_build_object('product', o.product, 'batch', o.product || '-D' || day,
                            'good', public.prd_random(o.unit, 0, 40), 'waste', public.prd_random(o.unit, 0, 3),
                            'cause', 'shift ' || shift)),
                        jsonb_build_array(
                            jsonb_build_object('product', 'PRD-STEEL', 'quantity', steel, 'lots',
                                jsonb_build_object('PRD-L' || (day % 3 + 1), steel_1, 'PRD-L' || ((day + 1) % 3 + 1), steel - steel_1)),
                            jsonb_build_object('product', 'PRD-PAINT', 'quantity', public.prd_random('g', 0, 500)),
                            jsonb_build_object('product', 'PRD-BOLT', 'quantity', bolts, 'lots',
                                jsonb_build_object('PRD-B' || (shift + 1), bolts_1, 'PRD-B' || ((shift + 1) % 3 + 1), bolts - bolts_1)))));
                    made := made + 1;
                END LOOP;
            END LOOP;
            RETURN made;
        END $$;

        -- Corrects a record at random: other good and waste quantities, consumed lots recounted, a lot now
        -- and then replaced by another, a component now and then dropped.
        CREATE OR REPLACE FUNCTION public.prd_correct_randomly(original bigint)
        RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            o record;
            c record;
            u record;
            produced jsonb := '[]';
            consumed jsonb := '[]';
            lots jsonb;
            lot text;
            q numeric;
            total numeric;
            correction bigint;
        BEGIN
            SELECT pt.timerangefrom, pt.timerangeto, oo.number INTO o
            FROM mes.productiontracking AS pt JOIN mes.orders_order AS oo ON oo.id = pt.order_id WHERE pt.id = original;
            FOR c IN SELECT p.number AS product, p.unit, b.number AS batch, tpo.usedquantity AS good
                     FROM mes.tracking_product_out AS tpo JOIN mes.product AS p ON p.id = tpo.product_id
                     LEFT JOIN mes.batch AS b ON b.id = tpo.batch_id
                     WHERE tpo.productiontracking_id = original ORDER BY tpo.id LOOP
                produced := produced || jsonb_build_object('product', c.product, 'batch', c.batch, 'cause', 'recounted',
                    'good', greatest(0, c.good + public.prd_random(c.unit, -5, 5)), 'waste', public.prd_random(c.unit, 0, 3));
            END LOOP;
            FOR c IN SELECT tpi.id, p.number AS product, p.unit
                     FROM mes.tracking_product_in AS tpi JOIN mes.product AS p ON p.id = tpi.product_id
                     WHERE tpi.productiontracking_id = original ORDER BY tpi.id LOOP
                CONTINUE WHEN random() < 0.15;
                lots := '{}';
                total := 0;
                FOR u IN SELECT b.number, ub.quantity FROM mes.used_batch AS ub JOIN mes.batch AS b ON b.id = ub.batch_id
                         WHERE ub.tracking_product_in_id = c.id ORDER BY b.number LOOP
                    lot := CASE WHEN random() < 0.2 AND right(u.number, 1) <> 'R' THEN u.number || 'R' ELSE u.number END;
                    q := public.prd_random(c.unit, 0, 2 * u.quantity);
                    lots := lots || jsonb_build_object(lot, coalesce((lots->>lot)::numeric, 0) + q);
                    total := total + q;
                END LOOP;
                IF lots = '{}' THEN
                    total := public.prd_random(c.unit, 0, 500);
                END IF;
                consumed := consumed || jsonb_build_object('product', c.product, 'quantity', total, 'lots', lots);
            END LOOP;
            correction := public.prd_track(o.number, o.timerangefrom, o.timerangeto, produced, consumed, true);
            PERFORM public.prd_accept(correction, original);
            RETURN correction;
        END $$;

        -- Corrects about share of the records that count now (corrections of corrections included).
        CREATE OR REPLACE FUNCTION public.prd_week_corrections(share double precision)
        RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            r record;
            made integer := 0;
        BEGIN
            FOR r IN SELECT pt.id FROM mes.productiontracking AS pt JOIN mes.orders_order AS oo ON oo.id = pt.order_id
                     WHERE pt.state = '02accepted' AND oo.number LIKE 'PRD-ORD-%' ORDER BY pt.id LOOP
                IF random() < share THEN
                    PERFORM public.prd_correct_randomly(r.id);
                    made := made + 1;
                END IF;
            END LOOP;
            RETURN made;
        END $$;
        """

    /// Stock per product and lot as the MES says it should be: for the records that count
    /// (02accepted), production (good + waste) - consumption (by used batch, the rest without lot)
    /// - scrap (waste), in the ERP's units (PRD-PAINT: g -> kg).
    static let mesStock = """
        WITH head AS (
            SELECT pt.id FROM mes.productiontracking AS pt JOIN mes.orders_order AS o ON o.id = pt.order_id
            WHERE pt.state = '02accepted' AND o.number LIKE 'PRD-ORD-%'
        ), movement AS (
            SELECT p.number AS product, p.unit, b.number AS lot, tpo.usedquantity + tpo.wastesquantity AS produced,
                   0 AS consumed, tpo.wastesquantity AS scrapped
            FROM head AS h JOIN mes.tracking_product_out AS tpo ON tpo.productiontracking_id = h.id
            JOIN mes.product AS p ON p.id = tpo.product_id LEFT JOIN mes.batch AS b ON b.id = tpo.batch_id
            UNION ALL
            SELECT p.number, p.unit, b.number, 0, ub.quantity, 0
            FROM head AS h JOIN mes.tracking_product_in AS tpi ON tpi.productiontracking_id = h.id
            JOIN mes.product AS p ON p.id = tpi.product_id
            JOIN mes.used_batch AS ub ON ub.tracking_product_in_id = tpi.id JOIN mes.batch AS b ON b.id = ub.batch_id
            UNION ALL
            SELECT p.number, p.unit, NULL, 0,
                   tpi.usedquantity - coalesce((SELECT sum(ub.quantity) FROM mes.used_batch AS ub
                                                WHERE ub.tracking_product_in_id = tpi.id), 0), 0
            FROM head AS h JOIN mes.tracking_product_in AS tpi ON tpi.productiontracking_id = h.id
            JOIN mes.product AS p ON p.id = tpi.product_id
        )
        SELECT coalesce(string_agg(format('%s/%s=%s', s.product, coalesce(s.lot, '-'), trim_scale(s.stock)), ' '
                                   ORDER BY s.product, s.lot), '')
        FROM (SELECT m.product, m.lot,
                     sum(m.produced - m.consumed - m.scrapped) * CASE WHEN min(m.unit) = 'g' THEN 0.001 ELSE 1 END AS stock
              FROM movement AS m GROUP BY m.product, m.lot) AS s
        WHERE s.stock <> 0;
        """

    /// Stock per product and lot in the ERP: done move lines into internal locations minus those out.
    static let erpStock = """
        SELECT coalesce(string_agg(format('%s/%s=%s', s.code, coalesce(s.lot, '-'), trim_scale(s.stock)), ' '
                                   ORDER BY s.code, s.lot), '')
        FROM (SELECT p.default_code AS code, l.name AS lot,
                     sum(CASE WHEN d.usage = 'internal' THEN ml.quantity ELSE 0 END
                         - CASE WHEN s.usage = 'internal' THEN ml.quantity ELSE 0 END) AS stock
              FROM erp.stock_move_line AS ml JOIN erp.product_product AS p ON p.id = ml.product_id
              LEFT JOIN erp.stock_lot AS l ON l.id = ml.lot_id
              JOIN erp.stock_location AS s ON s.id = ml.location_id JOIN erp.stock_location AS d ON d.id = ml.location_dest_id
              WHERE ml.state = 'done' AND p.default_code LIKE 'PRD-%'
              GROUP BY p.default_code, l.name) AS s
        WHERE s.stock <> 0;
        """

    /// Waste per product and lot of the MES records that count.
    static let mesScrap = """
        SELECT coalesce(string_agg(format('%s/%s=%s', s.product, coalesce(s.lot, '-'), trim_scale(s.waste)), ' '
                                   ORDER BY s.product, s.lot), '')
        FROM (SELECT p.number AS product, b.number AS lot, sum(tpo.wastesquantity) AS waste
              FROM mes.productiontracking AS pt JOIN mes.orders_order AS o ON o.id = pt.order_id
              JOIN mes.tracking_product_out AS tpo ON tpo.productiontracking_id = pt.id
              JOIN mes.product AS p ON p.id = tpo.product_id LEFT JOIN mes.batch AS b ON b.id = tpo.batch_id
              WHERE pt.state = '02accepted' AND o.number LIKE 'PRD-ORD-%'
              GROUP BY p.number, b.number) AS s
        WHERE s.waste <> 0;
        """

    /// Quantity per product and lot in the ERP's scrap locations.
    static let erpScrap = """
        SELECT coalesce(string_agg(format('%s/%s=%s', s.code, coalesce(s.lot, '-'), trim_scale(s.waste)), ' '
                                   ORDER BY s.code, s.lot), '')
        FROM (SELECT p.default_code AS code, l.name AS lot,
                     sum(CASE WHEN d.scrap_location THEN ml.quantity ELSE 0 END
                         - CASE WHEN s.scrap_location THEN ml.quantity ELSE 0 END) AS waste
              FROM erp.stock_move_line AS ml JOIN erp.product_product AS p ON p.id = ml.product_id
              LEFT JOIN erp.stock_lot AS l ON l.id = ml.lot_id
              JOIN erp.stock_location AS s ON s.id = ml.location_id JOIN erp.stock_location AS d ON d.id = ml.location_dest_id
              WHERE ml.state = 'done' AND p.default_code LIKE 'PRD-%'
              GROUP BY p.default_code, l.name) AS s
        WHERE s.waste <> 0;
        """

    /// Reference databases with the seeds written, and a running replicator.
    private static func start() async throws -> (ReplicationFixture, Task<Void, any Error>) {
        let fixture = try await ReplicationFixture.reference()
        _ = try await fixture.erpAdmin.simpleQuery(Self.erpSeed)
        _ = try await fixture.mesAdmin.simpleQuery(Self.mesSeed)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        return (fixture, replicator)
    }

    /// Drafts a production tracking record of `order` on the MES, then accepts it in a second
    /// transaction (with `corrects`, the record it corrects goes to 04corrected in that one).
    /// `produced`: [{product, good, waste, batch, cause}]; `consumed`: [{product, quantity, lots}].
    private static func track(
        _ mes: PQConnection,
        order: String = "PRD-ORD-1",
        from: String = "2024-05-06 06:00",
        to: String = "2024-05-06 14:00",
        produced: String,
        consumed: String = "[]",
        corrects: Int? = nil
    ) async throws -> (id: Int, number: String) {
        let draft = try #require(
            try await mes.query(
                "SELECT prd_track($1, $2::timestamp, $3::timestamp, $4::jsonb, $5::jsonb, $6)",
                [order, from, to, produced, consumed, corrects != nil]
            ).first
        )
        let id = try draft.decode(0, as: Int.self)
        let number = try #require(try await mes.query("SELECT prd_accept($1, $2)", [id, corrects]).first?[0])
        return (id, number)
    }

    /// Rows of `sql` as text (NULL as nil).
    private static func rows(
        _ connection: PQConnection,
        _ sql: String,
        _ parameters: [(any PQEncodable)?] = []
    ) async throws -> [[String?]] {
        let result = try await connection.query(sql, parameters)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    /// The moves a record posted, field by field, in a stable order.
    static let moves = """
        SELECT p.default_code, m.name, m.reference, m.product_uom_qty::text, m.quantity::text, m.product_qty::text,
               u.name->>'en_US', s.complete_name, d.complete_name, m.state, m.picked::text, m.scrapped::text,
               sc.name, pr.name, rm.name, wo.name, m.date::text, m.company_id::text, m.description_picking
        FROM erp.stock_move AS m
        JOIN erp.product_product AS p ON p.id = m.product_id
        JOIN erp.uom_uom AS u ON u.id = m.product_uom
        JOIN erp.stock_location AS s ON s.id = m.location_id
        JOIN erp.stock_location AS d ON d.id = m.location_dest_id
        LEFT JOIN erp.stock_scrap AS sc ON sc.id = m.scrap_id
        LEFT JOIN erp.mrp_production AS pr ON pr.id = m.production_id
        LEFT JOIN erp.mrp_production AS rm ON rm.id = m.raw_material_production_id
        LEFT JOIN erp.mrp_workorder AS wo ON wo.id = m.workorder_id
        WHERE m.origin = $1
        ORDER BY p.default_code, s.complete_name, d.complete_name
        """

    /// The move lines of a record's moves, field by field.
    static let lines = """
        SELECT p.default_code, l.name, ml.quantity::text, ml.quantity_product_uom::text, u.name->>'en_US',
               s.complete_name, d.complete_name, ml.state, ml.picked::text, ml.reference, pr.name, wo.name,
               ml.date::text, ml.company_id::text, (ml.product_id = m.product_id)::text
        FROM erp.stock_move_line AS ml
        JOIN erp.stock_move AS m ON m.id = ml.move_id
        JOIN erp.product_product AS p ON p.id = ml.product_id
        JOIN erp.uom_uom AS u ON u.id = ml.product_uom_id
        JOIN erp.stock_location AS s ON s.id = ml.location_id
        JOIN erp.stock_location AS d ON d.id = ml.location_dest_id
        LEFT JOIN erp.stock_lot AS l ON l.id = ml.lot_id
        LEFT JOIN erp.mrp_production AS pr ON pr.id = ml.production_id
        LEFT JOIN erp.mrp_workorder AS wo ON wo.id = ml.workorder_id
        WHERE m.origin = $1
        ORDER BY p.default_code, s.complete_name, d.complete_name, l.name
        """

    @Test("an accepted record becomes done moves, lines with lots, a scrap and genealogy, field by field")
    func posting() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let record = try await Self.track(
            mes,
            produced: #"[{"product": "PRD-FG-A", "good": 10, "waste": 2, "batch": "PRD-A-001", "cause": "scratches"}]"#,
            consumed: #"""
                [{"product": "PRD-STEEL", "quantity": 5.5, "lots": {"PRD-L1": 3.25, "PRD-L2": 2.25}},
                 {"product": "PRD-PAINT", "quantity": 250}]
                """#
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT count(*) FROM erp.stock_move WHERE origin = '\(record.number)'",
                equals: "4"
            )
        )
        let erp = fixture.erpAdmin
        let scrap = try #require(
            try await erp.query("SELECT name FROM erp.stock_scrap WHERE origin = $1", [record.number]).first?[0]
        )
        let date = "2024-05-06 12:00:00"  // 14:00 in Berlin (CEST)
        let production = "Virtual Locations/Production"
        #expect(
            try await Self.rows(erp, Self.moves, [record.number]) == [
                [
                    "PRD-FG-A", scrap, scrap, "2.00", "2.00", "2.00", "Units", production, "Virtual Locations/Scrap",
                    "done", "true", "true", scrap, "WH/MO/09001", nil, "Pressing", date, "1", "scratches",
                ],
                [
                    "PRD-FG-A", "WH/MO/09001", "WH/MO/09001", "10.00", "10.00", "10.00", "Units", production,
                    "WH/Stock", "done", "true", "false", nil, "WH/MO/09001", nil, "Pressing", date, "1", nil,
                ],
                [
                    "PRD-PAINT", "WH/MO/09001", "WH/MO/09001", "0.250", "0.250", "0.250", "kg", "WH/Stock",
                    production, "done", "true", "false", nil, nil, "WH/MO/09001", "Pressing", date, "1", nil,
                ],
                [
                    "PRD-STEEL", "WH/MO/09001", "WH/MO/09001", "5.500", "5.500", "5.500", "kg", "WH/Stock",
                    production, "done", "true", "false", nil, nil, "WH/MO/09001", "Pressing", date, "1", nil,
                ],
            ]
        )
        #expect(
            try await Self.rows(erp, Self.lines, [record.number]) == [
                [
                    "PRD-FG-A", "PRD-A-001", "2.00", "2.00", "Units", production, "Virtual Locations/Scrap", "done",
                    "true", scrap, "WH/MO/09001", "Pressing", date, "1", "true",
                ],
                [
                    "PRD-FG-A", "PRD-A-001", "10.00", "10.00", "Units", production, "WH/Stock", "done", "true",
                    "WH/MO/09001", "WH/MO/09001", "Pressing", date, "1", "true",
                ],
                [
                    "PRD-PAINT", nil, "0.250", "0.250", "kg", "WH/Stock", production, "done", "true", "WH/MO/09001",
                    nil, "Pressing", date, "1", "true",
                ],
                [
                    "PRD-STEEL", "PRD-L1", "3.250", "3.250", "kg", "WH/Stock", production, "done", "true",
                    "WH/MO/09001", nil, "Pressing", date, "1", "true",
                ],
                [
                    "PRD-STEEL", "PRD-L2", "2.250", "2.250", "kg", "WH/Stock", production, "done", "true",
                    "WH/MO/09001", nil, "Pressing", date, "1", "true",
                ],
            ]
        )
        // Lots found or created by (product, name), in the product's unit, for company 1.
        #expect(
            try await Self.rows(
                erp,
                """
                SELECT p.default_code, l.name, l.company_id::text, u.name->>'en_US'
                FROM erp.stock_lot AS l JOIN erp.product_product AS p ON p.id = l.product_id
                JOIN erp.uom_uom AS u ON u.id = l.product_uom_id
                WHERE p.default_code LIKE 'PRD-%' ORDER BY 1, 2
                """
            ) == [
                ["PRD-FG-A", "PRD-A-001", "1", "Units"], ["PRD-STEEL", "PRD-L1", "1", "kg"],
                ["PRD-STEEL", "PRD-L2", "1", "kg"],
            ]
        )
        #expect(
            try await Self.rows(
                erp,
                """
                SELECT sc.origin, p.default_code, u.name->>'en_US', l.name, sc.scrap_qty::text, s.complete_name,
                       d.complete_name, pr.name, wo.name, sc.state, sc.date_done::text, sc.company_id::text
                FROM erp.stock_scrap AS sc
                JOIN erp.product_product AS p ON p.id = sc.product_id JOIN erp.uom_uom AS u ON u.id = sc.product_uom_id
                JOIN erp.stock_lot AS l ON l.id = sc.lot_id
                JOIN erp.stock_location AS s ON s.id = sc.location_id
                JOIN erp.stock_location AS d ON d.id = sc.scrap_location_id
                JOIN erp.mrp_production AS pr ON pr.id = sc.production_id
                JOIN erp.mrp_workorder AS wo ON wo.id = sc.workorder_id
                WHERE sc.name = $1
                """,
                [scrap]
            ) == [
                [
                    record.number, "PRD-FG-A", "Units", "PRD-A-001", "2.00", production, "Virtual Locations/Scrap",
                    "WH/MO/09001", "Pressing", "done", date, "1",
                ]
            ]
        )
        // Genealogy: the produced lot from every consumed line (Odoo's names read backwards).
        #expect(
            try await Self.rows(
                erp,
                """
                SELECT fp.default_code || '/' || fl.name || ' <- ' || cp.default_code || '/' || coalesce(cl.name, '-')
                FROM erp.stock_move_line_consume_rel AS r
                JOIN erp.stock_move_line AS f ON f.id = r.consume_line_id
                JOIN erp.product_product AS fp ON fp.id = f.product_id JOIN erp.stock_lot AS fl ON fl.id = f.lot_id
                JOIN erp.stock_move_line AS c ON c.id = r.produce_line_id
                JOIN erp.product_product AS cp ON cp.id = c.product_id LEFT JOIN erp.stock_lot AS cl ON cl.id = c.lot_id
                ORDER BY 1
                """
            ) == [
                ["PRD-FG-A/PRD-A-001 <- PRD-PAINT/-"], ["PRD-FG-A/PRD-A-001 <- PRD-STEEL/PRD-L1"],
                ["PRD-FG-A/PRD-A-001 <- PRD-STEEL/PRD-L2"],
            ]
        )
        let stock = try await ReplicationFixture.value(erp, Self.erpStock)
        #expect(stock == "PRD-FG-A/PRD-A-001=10 PRD-PAINT/-=-0.25 PRD-STEEL/PRD-L1=-3.25 PRD-STEEL/PRD-L2=-2.25")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, Self.mesStock) == stock)
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a posted record changed on the MES is not updated in the ERP: append_only logs it in conflict_log")
    func postedRecordChanged() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let record = try await Self.track(
            mes,
            produced: #"[{"product": "PRD-FG-A", "good": 10, "waste": 2, "batch": "PRD-A-001"}]"#
        )
        let erp = fixture.erpAdmin
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erp.stock_move WHERE origin = '\(record.number)'",
                equals: "2"
            )
        )
        let before = try await Self.rows(erp, Self.lines, [record.number])
        try await mes.query(
            "UPDATE mes.tracking_product_out SET usedquantity = 12 WHERE productiontracking_id = $1",
            [record.id]
        )
        #expect(
            try await fixture.eventually(
                erp,
                """
                SELECT string_agg(kind || ' ' || rule || ' ' || outcome || ' ' || array_to_string(columns, ','), '; ')
                FROM erpmes.conflict_log WHERE entity = 'production_record' AND key = '{"id": \(record.id)}'
                """,
                equals: "posted append_only rejected produced"
            )
        )
        #expect(
            try await ReplicationFixture.value(
                erp,
                """
                SELECT (source->'produced'->0->>'good') || ' ' || (base->'produced'->0->>'good')
                FROM erpmes.conflict_log WHERE entity = 'production_record'
                """
            ) == "12 10"
        )
        // Nothing written: the same moves and lines, no dead letter.
        #expect(try await Self.rows(erp, Self.lines, [record.number]) == before)
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erp.stock_move") == "2")
        #expect(try await ReplicationFixture.value(erp, Self.erpStock) == "PRD-FG-A/PRD-A-001=10")
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a correction (good 10 -> 8) posts a reversing move of 2; stock = produced - consumed - scrapped")
    func correction() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let consumed = #"[{"product": "PRD-STEEL", "quantity": 5.5, "lots": {"PRD-L1": 3.25, "PRD-L2": 2.25}}]"#
        let original = try await Self.track(
            mes,
            produced: #"[{"product": "PRD-FG-A", "good": 10, "waste": 2, "batch": "PRD-A-001"}]"#,
            consumed: consumed
        )
        let erp = fixture.erpAdmin
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erp.stock_move WHERE origin = '\(original.number)'",
                equals: "3"
            )
        )
        let posted = try await Self.rows(erp, Self.lines, [original.number])
        let correction = try await Self.track(
            mes,
            produced: #"[{"product": "PRD-FG-A", "good": 8, "waste": 2, "batch": "PRD-A-001"}]"#,
            consumed: consumed,
            corrects: original.id
        )
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erp.stock_move WHERE origin = '\(correction.number)'",
                equals: "1"
            )
        )
        // The difference only, reversed: WH/Stock -> Production, 2 of the lot, on the same MO.
        #expect(
            try await Self.rows(erp, Self.moves, [correction.number]) == [
                [
                    "PRD-FG-A", "WH/MO/09001", "WH/MO/09001", "2.00", "2.00", "2.00", "Units", "WH/Stock",
                    "Virtual Locations/Production", "done", "true", "false", nil, "WH/MO/09001", nil, "Pressing",
                    "2024-05-06 12:00:00", "1", nil,
                ]
            ]
        )
        #expect(
            try await ReplicationFixture.value(
                erp,
                """
                SELECT string_agg(l.name || ' ' || ml.quantity, ',') FROM erp.stock_move_line AS ml
                JOIN erp.stock_move AS m ON m.id = ml.move_id JOIN erp.stock_lot AS l ON l.id = ml.lot_id
                WHERE m.origin = $1
                """,
                [correction.number]
            ) == "PRD-A-001 2.00"
        )
        // The original's done moves are untouched.
        #expect(try await Self.rows(erp, Self.lines, [original.number]) == posted)
        let stock = try await ReplicationFixture.value(erp, Self.erpStock)
        #expect(stock == "PRD-FG-A/PRD-A-001=8 PRD-STEEL/PRD-L1=-3.25 PRD-STEEL/PRD-L2=-2.25")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, Self.mesStock) == stock)
        let scrapped = try await ReplicationFixture.value(erp, Self.erpScrap)
        #expect(scrapped == "PRD-FG-A/PRD-A-001=2")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, Self.mesScrap) == scrapped)
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a record of a product the ERP does not know goes to the dead letter naming entity, key, column and value")
    func unknownProduct() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let record = try await Self.track(mes, produced: #"[{"product": "PRD-GHOST", "good": 5, "waste": 1}]"#)
        let erp = fixture.erpAdmin
        let key = "{\"id\": \(record.id)}"
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erpmes.dead_letter WHERE entity = 'production_record' AND status = 'open'",
                equals: "1"
            )
        )
        let letters = try await Self.rows(
            erp,
            "SELECT entity, key::text, sqlstate, message, blocked_by::text FROM erpmes.dead_letter"
        )
        let letter = try #require(letters.first)
        #expect(letter[0] == "production_record")
        #expect(letter[1] == key)
        #expect(letter[2] == "P0001")
        #expect(
            letter[3]
                == "production_record \(key): no active ERP product has default_code 'PRD-GHOST' (column product_product.default_code; the MES product.number of a tracking_product_out row)"
        )
        #expect(letter[4] == nil)
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erp.stock_move") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("plant-local times become UTC; in the DST overlap the start tells which, else the record is rejected")
    func daylightSaving() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let erp = fixture.erpAdmin
        let produced = "[]"
        let consumed = #"[{"product": "PRD-PAINT", "quantity": 1000}]"#
        // 02:30 happens twice on 2024-10-27 in Berlin; a start at 01:30 CEST (23:30 UTC) says the first.
        let clear = try await Self.track(
            mes,
            from: "2024-10-27 01:30",
            to: "2024-10-27 02:30",
            produced: produced,
            consumed: consumed
        )
        // Both ends in the repeated hour: nothing tells which 02:50 it was.
        let unclear = try await Self.track(
            mes,
            from: "2024-10-27 02:10",
            to: "2024-10-27 02:50",
            produced: produced,
            consumed: consumed
        )
        // 02:30 does not exist on 2024-03-31: read as if the clocks had not moved yet, 03:30 CEST.
        let gap = try await Self.track(
            mes,
            from: "2024-03-31 01:00",
            to: "2024-03-31 02:30",
            produced: produced,
            consumed: consumed
        )
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erp.stock_move WHERE origin IN ('\(clear.number)', '\(gap.number)')",
                equals: "2"
            )
        )
        #expect(
            try await ReplicationFixture.value(
                erp,
                "SELECT string_agg(origin || ' ' || date || ' ' || quantity, ', ' ORDER BY origin) FROM erp.stock_move"
            ) == "\(clear.number) 2024-10-27 00:30:00 1.000, \(gap.number) 2024-03-31 01:30:00 1.000"
        )
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT message FROM erpmes.dead_letter WHERE key = '{\"id\": \(unclear.id)}'",
                equals:
                    "production_record {\"id\": \(unclear.id)}: timerangeto '2024-10-27 02:50:00' is ambiguous in Europe/Berlin (DST overlap) and timerangefrom '2024-10-27 02:10:00' does not tell which (column productiontracking.timerangeto)"
            )
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a correction of a quarantined record waits blocked by it, and applies after retry once it is fixed")
    func correctionWaitsForOriginal() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        let erp = fixture.erpAdmin
        let original = try await Self.track(mes, produced: #"[{"product": "PRD-GHOST", "good": 5, "waste": 1}]"#)
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erpmes.dead_letter WHERE key = '{\"id\": \(original.id)}' AND status = 'open'",
                equals: "1"
            )
        )
        let correction = try await Self.track(
            mes,
            produced: #"[{"product": "PRD-GHOST", "good": 7, "waste": 0}]"#,
            corrects: original.id
        )
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) FROM erpmes.dead_letter WHERE key = '{\"id\": \(correction.id)}' AND status = 'open'",
                equals: "1"
            )
        )
        let blocked = try #require(
            try await Self.rows(
                erp,
                """
                SELECT (blocked_by = jsonb_build_object('entity', 'production_record', 'key', jsonb_build_object('id', $2::bigint)))::text,
                       message
                FROM erpmes.dead_letter WHERE key = jsonb_build_object('id', $1::bigint)
                """,
                [correction.id, original.id]
            ).first
        )
        #expect(blocked[0] == "true")
        let waits = "production_record {\"id\": \(correction.id)} waits for production_record {\"id\": \(original.id)}"
        #expect(blocked[1]?.hasPrefix(waits) == true, "\(blocked)")
        #expect(try await ReplicationFixture.value(erp, "SELECT count(*) FROM erp.stock_move") == "0")
        // Fixed: the ERP learns the product; the original is retried, and the correction follows it.
        _ = try await erp.simpleQuery(
            """
            INSERT INTO erp.product_template (name, categ_id, uom_id, uom_po_id, default_code)
            VALUES ('{"en_US": "Ghost"}', 1, 1, 1, 'PRD-GHOST');
            INSERT INTO erp.product_product (product_tmpl_id, default_code)
            SELECT id, default_code FROM erp.product_template WHERE default_code = 'PRD-GHOST';
            """
        )
        try await erp.query(
            "UPDATE erpmes.dead_letter SET status = 'retry' WHERE key = jsonb_build_object('id', $1::bigint)",
            [original.id]
        )
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT string_agg(status || ' ' || coalesce(closed_by, '-'), ', ' ORDER BY id) FROM erpmes.dead_letter",
                equals: "resolved applied, resolved applied"
            )
        )
        // Both posted: the original's 5 (and 1 scrapped), then the correction's difference.
        #expect(
            try await ReplicationFixture.value(
                erp,
                """
                SELECT string_agg(m.origin || ' ' || s.name || '->' || d.name || ' ' || m.quantity, ', ' ORDER BY m.id)
                FROM erp.stock_move AS m JOIN erp.stock_location AS s ON s.id = m.location_id
                JOIN erp.stock_location AS d ON d.id = m.location_dest_id
                """
            )
                == "\(original.number) Production->Stock 5.00, \(original.number) Production->Scrap 1.00, \(correction.number) Production->Stock 2.00, \(correction.number) Scrap->Production 1.00"
        )
        let stock = try await ReplicationFixture.value(erp, Self.erpStock)
        #expect(stock == "PRD-GHOST/-=7")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, Self.mesStock) == stock)
        #expect(try await ReplicationFixture.value(erp, Self.erpScrap) == "")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("after a generated week with corrections, ERP stock per product and lot equals the MES, to the last decimal")
    func generatedWeek() async throws {
        let (fixture, replicator) = try await Self.start()
        let mes = try await fixture.mes()
        try await mes.query("SELECT setseed(0.17)")
        // Each day in its own transaction, then its corrections (of any record that counts) in another,
        // while the replicator runs: originals and corrections arrive in the same batch or in later ones.
        for day in 0..<Scale.pick(7, soak: 28) {
            try await mes.query("SELECT prd_week_day($1)", [day])
            try await mes.query("SELECT prd_week_corrections(0.15)")
        }
        let counts = try #require(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT count(*)::text, count(*) FILTER (WHERE iscorrection)::text,
                       count(*) FILTER (WHERE iscorrection AND state = '04corrected')::text
                FROM mes.productiontracking
                """
            ).first
        )
        #expect(Int(counts[1] ?? "0") ?? 0 > 10, "corrections: \(counts)")
        #expect(Int(counts[2] ?? "0") ?? 0 > 0, "corrections of corrections: \(counts)")
        let expected = try await ReplicationFixture.value(fixture.mesAdmin, Self.mesStock)
        let converged = try await fixture.eventually(timeout: .seconds(120)) {
            try await ReplicationFixture.value(fixture.erpAdmin, Self.erpStock) == expected
        }
        #expect(converged)
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, Self.erpStock) == expected)
        #expect(
            try await ReplicationFixture.value(fixture.erpAdmin, Self.erpScrap)
                == ReplicationFixture.value(fixture.mesAdmin, Self.mesScrap)
        )
        // Every MES record posted once at most (one origin per record) and nothing quarantined.
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT count(*) FROM erpmes.dead_letter WHERE entity = 'production_record'"
            ) == "0"
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT count(*) FROM erp.stock_move WHERE state <> 'done' OR origin NOT LIKE 'PT-%'"
            ) == "0"
        )
        let origins = try #require(
            try await ReplicationFixture.value(fixture.erpAdmin, "SELECT count(DISTINCT origin) FROM erp.stock_move")
        )
        #expect(Int(origins) ?? 0 <= Int(counts[0] ?? "0") ?? 0)
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
