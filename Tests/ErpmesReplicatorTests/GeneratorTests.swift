import ErpmesMigrate
import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Testing

/// The plant generator and the live simulation of `erpmes demo` (Sql/demo/*.sql, target `demo`,
/// installed on both databases): deterministic seeds, a consistent plant with orders in every
/// state and shop-floor activity, data the mapping pack takes without dead letters, readable
/// tick and narration lines. Serialized: the reference templates are built once per run, and
/// concurrent first calls of TestCluster.createReferenceDatabase race.
@Suite(.serialized) struct GeneratorTests {
    /// The simulated "now" of every seed here, so dates repeat from run to run.
    static let anchor = "2024-03-04 12:00+00"

    static let quiet = Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A reference ERP and MES pair (schemas and mapping pack) with target demo migrated on both.
    static func plant() async throws -> ReplicationFixture {
        let fixture = try await ReplicationFixture.reference()
        for conninfo in [fixture.erpConninfo, fixture.mesConninfo] {
            let target = MigrationTarget(name: "demo", conninfo: Secret(conninfo + " user=postgres"), schemas: ["demo"])
            let migrator = Migrator(
                options: MigratorOptions(directory: TestCluster.repositoryRoot),
                targets: [target],
                logger: Self.quiet
            )
            try await migrator.up(target)
        }
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            try await admin.query("SELECT set_config('demo.anchor', $1, false)", [Self.anchor])
            try await admin.query("SET demo.plant_tz = 'Europe/Berlin'")
        }
        return fixture
    }

    /// Seeds one side the way `erpmes demo seed` does: the steps, each called with chunk 0, 1, 2,
    /// ... (one transaction per call) until it returns 0. Returns the rows written and the rows
    /// the steps announced.
    @discardableResult
    static func seed(
        _ connection: PQConnection,
        mes: Bool,
        scale: Int = 1,
        seed: Int = 42,
        chunkSize: Int? = nil
    ) async throws -> (rows: Int, announced: Int) {
        let steps = try await connection.query(
            mes ? "SELECT step, units FROM demo.mes_seed_steps($1)" : "SELECT step, units FROM demo.seed_steps($1)",
            [scale]
        )
        let function = mes ? "demo.mes_seed_step" : "demo.seed_step"
        var rows = 0
        var announced = 0
        for step in steps {
            let name = try #require(step[0])
            announced += Int(step[1] ?? "0") ?? 0
            var chunk = 0
            while true {
                let sql =
                    chunkSize == nil
                    ? "SELECT \(function)($1, $2, $3, $4)"
                    : "SELECT \(function)($1, $2, $3, $4, chunk_size => $5)"
                let parameters: [(any PQEncodable)?] =
                    chunkSize == nil ? [name, scale, seed, chunk] : [name, scale, seed, chunk, chunkSize]
                let written = Int(try await connection.query(sql, parameters).first?[0] ?? "0") ?? 0
                if written == 0 { break }
                rows += written
                chunk += 1
            }
        }
        return (rows, announced)
    }

    /// Row counts and a checksum of the ERP plant's content, by business keys (never ids).
    static let erpChecksum = """
        SELECT (SELECT count(*) FROM erp.mrp_production) || '/' || (SELECT count(*) FROM erp.mrp_workorder) || '/'
               || (SELECT count(*) FROM erp.stock_move) || '/' || (SELECT count(*) FROM erp.stock_move_line) || ' '
               || md5(string_agg(t.x, ';' ORDER BY t.x))
        FROM (
            SELECT concat_ws('|', p.default_code, p.barcode, t.name->>'en_US', t.tracking) FROM erp.product_product AS p
            JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
            UNION ALL
            SELECT concat_ws('|', m.name, m.state, m.product_qty, u.name->>'en_US', m.date_start, m.date_finished,
                             m.date_deadline, m.origin, m.priority, l.name)
            FROM erp.mrp_production AS m JOIN erp.uom_uom AS u ON u.id = m.product_uom_id
            LEFT JOIN erp.stock_lot AS l ON l.id = m.lot_producing_id
            UNION ALL
            SELECT concat_ws('|', m.name, w.name, w.state, w.date_start, w.duration_expected, w.duration)
            FROM erp.mrp_workorder AS w JOIN erp.mrp_production AS m ON m.id = w.production_id
            UNION ALL
            SELECT concat_ws('|', v.reference, p.default_code, v.product_uom_qty, v.quantity, v.state, v.date)
            FROM erp.stock_move AS v JOIN erp.product_product AS p ON p.id = v.product_id
            UNION ALL
            SELECT concat_ws('|', l.reference, l.quantity, lot.name)
            FROM erp.stock_move_line AS l LEFT JOIN erp.stock_lot AS lot ON lot.id = l.lot_id
        ) AS t (x)
        """

    /// Row counts and a checksum of the MES shop-floor activity, by business keys.
    static let mesChecksum = """
        WITH t AS (
            SELECT p.id AS tid, concat_ws('|', o.externalnumber, w.number, p.timerangefrom, p.iscorrection) AS k,
                   p.timerangeto, p.state, p.machinetime, p.staff_id, p.shift_id, p.createdate
            FROM mes.productiontracking AS p
            JOIN mes.orders_order AS o ON o.id = p.order_id
            LEFT JOIN mes.workstation AS w ON w.id = p.workstation_id
        )
        SELECT (SELECT count(*) FROM mes.productiontracking) || '/' || (SELECT count(*) FROM mes.tracking_product_in) || '/'
               || (SELECT count(*) FROM mes.equipment_state_history) || '/' || (SELECT count(*) FROM mes.quality_control)
               || ' ' || md5(string_agg(x.x, ';' ORDER BY x.x))
        FROM (
            SELECT concat_ws('|', t.k, t.timerangeto, t.state, t.machinetime, t.staff_id, t.shift_id, t.createdate) FROM t
            UNION ALL
            SELECT concat_ws('|', t.k, x.usedquantity, x.wastesquantity, x.causeofwastes, b.number)
            FROM mes.tracking_product_out AS x JOIN t ON t.tid = x.productiontracking_id
            LEFT JOIN mes.batch AS b ON b.id = x.batch_id
            UNION ALL
            SELECT concat_ws('|', t.k, p.number, i.usedquantity, b.number, u.quantity)
            FROM mes.tracking_product_in AS i JOIN t ON t.tid = i.productiontracking_id
            JOIN mes.product AS p ON p.id = i.product_id
            LEFT JOIN mes.used_batch AS u ON u.tracking_product_in_id = i.id
            LEFT JOIN mes.batch AS b ON b.id = u.batch_id
            UNION ALL
            SELECT concat_ws('|', w.number, h.statecode, h.startdatetime, h.enddatetime)
            FROM mes.equipment_state_history AS h JOIN mes.workstation AS w ON w.id = h.workstation_id
            UNION ALL
            SELECT concat_ws('|', o.externalnumber, q.controltype, q.date, q.qualityrating, a.number, v.value)
            FROM mes.quality_control AS q JOIN mes.orders_order AS o ON o.id = q.order_id
            JOIN mes.quality_control_value AS v ON v.quality_control_id = q.id
            JOIN mes.attribute AS a ON a.id = v.attribute_id
            UNION ALL
            SELECT concat_ws('|', o.externalnumber, o.state, o.donequantity, o.wastesquantity, o.effectivedateto)
            FROM mes.orders_order AS o
        ) AS x (x)
        """

    static func value(_ connection: PQConnection, _ sql: String) async throws -> String? {
        try await connection.query(sql).first?[0]
    }

    static func lines(
        _ connection: PQConnection,
        _ sql: String,
        _ parameters: [(any PQEncodable)?] = []
    ) async throws -> [String] {
        try await connection.query(sql, parameters).compactMap { $0[0] }
    }

    @Test("the same seed gives the same plant whatever the slices; another seed another plant")
    func deterministic() async throws {
        var sums: [(erp: String?, mes: String?)] = []
        for (seed, chunkSize) in [(42, 7), (42, nil), (7, nil)] as [(Int, Int?)] {
            let fixture = try await Self.plant()
            try await Self.seed(fixture.erpAdmin, mes: false, seed: seed, chunkSize: chunkSize)
            // No replicator: the MES has no orders and seeds standalone from the same plan.
            try await Self.seed(fixture.mesAdmin, mes: true, seed: seed, chunkSize: chunkSize.map { $0 - 1 })
            sums.append(
                (
                    try await Self.value(fixture.erpAdmin, Self.erpChecksum),
                    try await Self.value(fixture.mesAdmin, Self.mesChecksum)
                )
            )
            try await fixture.tearDown()
        }
        #expect(sums[0].erp != nil && sums[0].mes != nil)
        #expect(sums[0].erp == sums[1].erp, "ERP: 7 orders a call and 250 a call differ")
        #expect(sums[0].mes == sums[1].mes, "MES: 6 orders a call and 100 a call differ")
        #expect(sums[0].erp != sums[2].erp, "ERP: seeds 42 and 7 give the same plant")
        #expect(sums[0].mes != sums[2].mes, "MES: seeds 42 and 7 give the same activity")
    }

    @Test("scale 1 in seconds: every order state, varied units, activity of every kind, consistent references")
    func consistentPlant() async throws {
        let fixture = try await Self.plant()
        let erp = fixture.erpAdmin
        let mes = fixture.mesAdmin
        let started = ContinuousClock.now
        let erpSeed = try await Self.seed(erp, mes: false)
        let mesSeed = try await Self.seed(mes, mes: true)
        // A liveness bound with ample slack: it takes about a second.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(erpSeed.rows > 500 && mesSeed.rows > 5_000, "\(erpSeed) \(mesSeed)")
        // The announced sizes are good enough for a progress bar.
        for (side, seed) in [("ERP", erpSeed), ("MES", mesSeed)] {
            let ratio = Double(seed.rows) / Double(seed.announced)
            #expect(ratio > 0.6 && ratio < 1.6, "\(side) wrote \(seed.rows) rows, announced \(seed.announced)")
        }
        // A second seed of the same database is refused, a finished step writes nothing more.
        #expect(try await Self.value(erp, "SELECT demo.seed_step('orders', 1, 42, 9)") == "0")
        await #expect(throws: PQError.self) { try await erp.query("SELECT demo.seed_step('orders', 2, 42, 0)") }

        // ERP: the plant and its orders.
        #expect(
            Set(try await Self.lines(erp, "SELECT DISTINCT state FROM erp.mrp_production"))
                == ["draft", "confirmed", "progress", "to_close", "done", "cancel"]
        )
        #expect(
            Set(
                try await Self.lines(
                    erp,
                    "SELECT DISTINCT u.name->>'en_US' FROM erp.mrp_production AS p JOIN erp.uom_uom AS u ON u.id = p.product_uom_id"
                )
            ) == ["Units", "Dozens", "kg", "g", "L"]
        )
        let erpChecks: [(String, String)] = [
            (
                "variants without a default_code or with a shared one",
                """
                SELECT count(*) FROM erp.product_product AS p
                WHERE p.default_code IS NULL
                   OR EXISTS (SELECT FROM erp.product_product AS x WHERE x.default_code = p.default_code AND x.id <> p.id)
                """
            ),
            (
                "work centers without code or without exactly one equipment with a serial",
                """
                SELECT count(*) FROM erp.mrp_workcenter AS w
                WHERE w.code IS NULL OR (SELECT count(*) FROM erp.maintenance_equipment AS e
                                         WHERE e.workcenter_id = w.id AND e.serial_no IS NOT NULL) <> 1
                """
            ),
            (
                "BoMs without operations or lines, or for no single variant",
                """
                SELECT count(*) FROM erp.mrp_bom AS b
                WHERE b.product_id IS NULL OR NOT EXISTS (SELECT FROM erp.mrp_routing_workcenter AS r WHERE r.bom_id = b.id)
                   OR NOT EXISTS (SELECT FROM erp.mrp_bom_line AS l WHERE l.bom_id = b.id)
                """
            ),
            (
                "orders whose BoM makes another product, or without a work order per operation",
                """
                SELECT count(*) FROM erp.mrp_production AS p JOIN erp.mrp_bom AS b ON b.id = p.bom_id
                WHERE b.product_id <> p.product_id
                   OR (SELECT count(*) FROM erp.mrp_workorder AS w WHERE w.production_id = p.id)
                      <> (SELECT count(*) FROM erp.mrp_routing_workcenter AS r WHERE r.bom_id = b.id)
                """
            ),
            (
                "work orders on another work center than their operation's",
                """
                SELECT count(*) FROM erp.mrp_workorder AS w JOIN erp.mrp_routing_workcenter AS r ON r.id = w.operation_id
                WHERE r.workcenter_id <> w.workcenter_id
                """
            ),
            (
                "orders without one finished move and a move per BoM line",
                """
                SELECT count(*) FROM erp.mrp_production AS p
                WHERE (SELECT count(*) FROM erp.stock_move AS m WHERE m.production_id = p.id) <> 1
                   OR (SELECT count(*) FROM erp.stock_move AS m WHERE m.raw_material_production_id = p.id)
                      <> (SELECT count(*) FROM erp.mrp_bom_line AS l WHERE l.bom_id = p.bom_id)
                """
            ),
            (
                "done orders with moves not done, or others with done moves",
                """
                SELECT count(*) FROM erp.stock_move AS m
                JOIN erp.mrp_production AS p ON p.id = coalesce(m.production_id, m.raw_material_production_id)
                WHERE (p.state = 'done') <> (m.state = 'done')
                """
            ),
            (
                "move lines of lot-tracked products without a lot of that product",
                """
                SELECT count(*) FROM erp.stock_move_line AS l
                JOIN erp.product_product AS p ON p.id = l.product_id JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
                LEFT JOIN erp.stock_lot AS lot ON lot.id = l.lot_id
                WHERE (t.tracking = 'lot') <> (lot.id IS NOT NULL) OR lot.product_id <> l.product_id
                """
            ),
            (
                "done orders without genealogy from their product to every component line",
                """
                SELECT count(*) FROM erp.mrp_production AS p
                WHERE p.state = 'done' AND (SELECT count(*) FROM erp.stock_move_line_consume_rel AS r
                    JOIN erp.stock_move_line AS f ON f.id = r.consume_line_id JOIN erp.stock_move AS m ON m.id = f.move_id
                    WHERE m.production_id = p.id)
                    <> (SELECT count(*) FROM erp.stock_move AS m WHERE m.raw_material_production_id = p.id)
                """
            ),
            (
                "manufactured products without a related quality test naming the MES attributes",
                """
                SELECT count(*) FROM erp.mrp_bom AS b
                WHERE NOT EXISTS (SELECT FROM erp.qc_test AS t JOIN erp.qc_test_question AS q ON q.test = t.id
                                  WHERE t.object_id = 'product.template,' || b.product_tmpl_id
                                    AND q.name->>'en_US' = 'Visual inspection')
                """
            ),
        ]
        for (what, sql) in erpChecks {
            #expect(try await Self.value(erp, sql) == "0", "ERP: \(what)")
        }
        #expect(try await Self.value(erp, "SELECT count(*) > 0 FROM erp.stock_scrap WHERE state = 'done'") == "t")

        // MES: standalone (no replicator here), every kind of activity.
        #expect(try await Self.value(mes, "SELECT standalone FROM demo.seed_state WHERE side = 'mes'") == "t")
        let kinds: [(what: String, sql: String, wanted: Set<String>)] = [
            (
                "order states", "SELECT DISTINCT state FROM mes.orders_order",
                ["01pending", "02accepted", "03inProgress", "04completed"]
            ),
            (
                "record states", "SELECT DISTINCT state || ':' || iscorrection FROM mes.productiontracking",
                ["02accepted:false", "02accepted:true", "04corrected:false"]
            ),
            ("ratings", "SELECT DISTINCT qualityrating FROM mes.quality_control", ["NOK", "OK"]),
            (
                "stoppage reasons",
                "SELECT DISTINCT r.type FROM mes.stoppage AS s JOIN mes.stoppage_reason AS r ON r.id = s.reason_id",
                ["01failure", "02other"]
            ),
            (
                "equipment states", "SELECT DISTINCT statecode FROM mes.equipment_state_history",
                ["DOWN", "IDLE", "RUN", "SETUP"]
            ),
        ]
        for kind in kinds {
            let got = Set(try await Self.lines(mes, kind.sql))
            #expect(got.isSuperset(of: kind.wanted), "MES \(kind.what): \(got.sorted())")
        }
        #expect(
            try await Self.value(mes, "SELECT count(*) > 0 FROM mes.maintenance_event WHERE type = '01failure'") == "t"
        )
        #expect(try await Self.value(mes, "SELECT count(*) > 0 FROM mes.used_batch") == "t")
        #expect(try await Self.value(mes, "SELECT count(*) > 0 FROM mes.workingcalendar") == "t")
        let mesChecks: [(String, String)] = [
            (
                "corrected records whose correction is not a correction of the same order",
                """
                SELECT count(*) FROM mes.productiontracking AS p LEFT JOIN mes.productiontracking AS c ON c.id = p.correction_id
                WHERE (p.state = '04corrected') <> (p.correction_id IS NOT NULL)
                   OR (p.correction_id IS NOT NULL AND (NOT c.iscorrection OR c.order_id <> p.order_id))
                """
            ),
            (
                "output recorded on another product than the order's",
                """
                SELECT count(*) FROM mes.tracking_product_out AS x JOIN mes.productiontracking AS p ON p.id = x.productiontracking_id
                JOIN mes.orders_order AS o ON o.id = p.order_id WHERE x.product_id <> o.product_id
                """
            ),
            (
                "used batches of another product than the consumption's",
                """
                SELECT count(*) FROM mes.used_batch AS u JOIN mes.tracking_product_in AS i ON i.id = u.tracking_product_in_id
                JOIN mes.batch AS b ON b.id = u.batch_id WHERE b.product_id <> i.product_id
                """
            ),
            (
                "batch-tracked consumption without batches, or used batches not adding up",
                """
                SELECT count(*) FROM mes.tracking_product_in AS i JOIN mes.product AS p ON p.id = i.product_id
                WHERE p.batchevidence AND i.usedquantity <> coalesce((SELECT sum(u.quantity) FROM mes.used_batch AS u
                                                                      WHERE u.tracking_product_in_id = i.id), 0)
                """
            ),
            (
                "orders whose done and waste quantities are not their accepted output",
                """
                SELECT count(*) FROM mes.orders_order AS o
                LEFT JOIN (SELECT p.order_id, sum(x.usedquantity) AS good, sum(x.wastesquantity) AS waste
                           FROM mes.productiontracking AS p JOIN mes.tracking_product_out AS x ON x.productiontracking_id = p.id
                           WHERE p.state = '02accepted' GROUP BY p.order_id) AS t ON t.order_id = o.id
                WHERE o.donequantity <> coalesce(t.good, 0) OR o.wastesquantity <> coalesce(t.waste, 0)
                """
            ),
            (
                "completed orders without a final quality control",
                """
                SELECT count(*) FROM mes.orders_order AS o WHERE o.state = '04completed'
                  AND o.effectivedateto < (SELECT demo.mes_anchor(s) FROM demo.seed_state AS s WHERE s.side = 'mes') - interval '2 hours'
                  AND NOT EXISTS (SELECT FROM mes.quality_control AS q WHERE q.order_id = o.id AND q.controltype = '01final')
                """
            ),
            (
                "workstations without exactly one open equipment state, or with overlapping ones",
                """
                SELECT count(*) FROM mes.workstation AS w
                WHERE (SELECT count(*) FROM mes.equipment_state_history AS h WHERE h.workstation_id = w.id AND h.enddatetime IS NULL) <> 1
                   OR EXISTS (SELECT FROM (SELECT h.enddatetime, lead(h.startdatetime) OVER (ORDER BY h.startdatetime, h.id) AS next
                                           FROM mes.equipment_state_history AS h WHERE h.workstation_id = w.id) AS x
                              WHERE x.enddatetime > x.next)
                """
            ),
            (
                "failure stoppages without a maintenance event on their workstation",
                """
                SELECT count(*) FROM mes.stoppage AS s JOIN mes.stoppage_reason AS r ON r.id = s.reason_id
                WHERE r.type = '01failure'
                  AND NOT EXISTS (SELECT FROM mes.maintenance_event AS e WHERE e.workstation_id = s.workstation_id AND e.createdate = s.datefrom)
                """
            ),
            (
                "state changes out of simulated time",
                """
                SELECT count(*) FROM mes.orders_orderstatechange AS c
                WHERE c.dateandtime > (SELECT demo.mes_anchor(s) FROM demo.seed_state AS s WHERE s.side = 'mes')
                """
            ),
        ]
        for (what, sql) in mesChecks {
            #expect(try await Self.value(mes, sql) == "0", "MES: \(what)")
        }
        try await fixture.tearDown()
    }

    @Test("the seed replicates without dead letters, and narration tells what arrived")
    func replicatesCleanly() async throws {
        let fixture = try await Self.plant()
        let erp = fixture.erpAdmin
        let mes = fixture.mesAdmin
        let replicator = try await fixture.startReplicator()
        let since = try #require(try await Self.value(erp, "SELECT now()"))
        try await Self.seed(erp, mes: false)
        // Released, started and completed orders reach the MES (drafts do not, closed and cancelled are not created).
        let released = try #require(
            try await Self.value(
                erp,
                "SELECT count(*) FROM erp.mrp_production WHERE state IN ('confirmed', 'progress', 'to_close')"
            )
        )
        #expect(
            try await fixture.eventually(
                mes,
                "SELECT count(*) FROM mes.orders_order",
                equals: released,
                timeout: .seconds(90)
            )
        )
        #expect(
            try await fixture.eventually(
                mes,
                "SELECT count(*) = count(technology_id) FROM mes.orders_order",
                equals: "t",
                timeout: .seconds(30)
            )
        )
        let toClose =
            try await Self.value(erp, "SELECT count(*) FROM erp.mrp_production WHERE state = 'to_close'") ?? "0"
        try await Self.seed(mes, mes: true)
        #expect(try await Self.value(mes, "SELECT standalone FROM demo.seed_state WHERE side = 'mes'") == "f")
        #expect(try await Self.value(mes, "SELECT count(*) > 1000 FROM mes.productiontracking") == "t")

        // The MES's records, controls and failures reach the ERP.
        let waits: [(String, String)] = [
            (
                "SELECT count(*) FROM mes.quality_control WHERE state = '03closed'",
                "SELECT count(*) FROM erp.qc_inspection"
            ),
            (
                "SELECT count(*) FROM mes.maintenance_event WHERE type = '01failure'",
                "SELECT count(*) FROM erp.maintenance_request"
            ),
            (
                """
                SELECT count(*) FROM mes.productiontracking AS p
                WHERE p.state IN ('02accepted', '04corrected')
                  AND (EXISTS (SELECT FROM mes.tracking_product_out AS x WHERE x.productiontracking_id = p.id)
                       OR EXISTS (SELECT FROM mes.tracking_product_in AS x WHERE x.productiontracking_id = p.id))
                """,
                "SELECT count(DISTINCT origin) FROM erp.stock_move WHERE origin LIKE 'PT-%' AND scrap_id IS NULL"
            ),
        ]
        for (mesSQL, erpSQL) in waits {
            let want = try await Self.value(mes, mesSQL)
            #expect(try await fixture.eventually(erp, erpSQL, equals: want, timeout: .seconds(120)), "\(erpSQL)")
        }
        #expect(
            try await fixture.eventually(
                erp,
                "SELECT count(*) > \(toClose) FROM erp.mrp_production WHERE state = 'to_close'",
                equals: "t"
            )
        )
        #expect(try await Self.value(erp, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        let mesDead = try await Self.lines(
            mes,
            "SELECT entity || ' ' || key::text || ': ' || message FROM erpmes.dead_letter ORDER BY id"
        )
        #expect(mesDead.filter { !$0.hasPrefix("work_order ") }.isEmpty, "\(mesDead)")
        // The mapping pack publishes the work orders of done and cancelled orders, which the MES
        // never creates: their tasks are rejected ("order ... is not in the MES").
        withKnownIssue("work orders of closed orders are dead-lettered by the orders pack", isIntermittent: true) {
            #expect(mesDead.isEmpty, "\(mesDead)")
        }

        // Narration: what arrived on each side, in short lines.
        let narrate = "SELECT line FROM demo.narrate($1::timestamptz, 1000)"
        let mesLines = try await Self.lines(mes, narrate, [since])
        let erpLines = try await Self.lines(erp, narrate, [since])
        let order = #"^MO WH/MO/\d{5}( changed)? → MES order ORD-\d{6}, \d+"#
        #expect(mesLines.contains { $0.range(of: order, options: .regularExpression) != nil }, "\(mesLines)")
        let posted = #"^PT-\d{6} → WH/MO/\d{5}: "#
        #expect(
            erpLines.contains { $0.range(of: posted, options: .regularExpression) != nil },
            "\(erpLines.prefix(20))"
        )
        #expect(erpLines.contains { $0.hasPrefix("QC-") && $0.contains("→ ERP inspection") })
        #expect(erpLines.contains { $0.hasPrefix("ME-") && $0.contains("→ ERP maintenance request") })
        #expect((mesLines + erpLines).allSatisfy { $0.count < 76 })
        // Without an argument it tells only what is new since its previous call.
        _ = try await Self.lines(erp, "SELECT line FROM demo.narrate()")
        #expect(try await Self.lines(erp, "SELECT line FROM demo.narrate()").isEmpty)

        // Deliberately bad rows land in the dead letter, named.
        #expect(try await Self.value(erp, "SELECT demo.seed_step('bad_rows', 1, 42, 0)") != "0")
        #expect(
            try await fixture.eventually(
                mes,
                "SELECT count(*) > 0 FROM erpmes.dead_letter WHERE entity = 'product' AND message LIKE '%default_code%'",
                equals: "t"
            )
        )
        #expect(
            try await fixture.eventually(
                mes,
                "SELECT count(*) > 0 FROM erpmes.dead_letter WHERE message LIKE '%Pallets%'",
                equals: "t"
            )
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("ticks do what planners and operators do and say it in one short line each")
    func ticks() async throws {
        let fixture = try await Self.plant()
        let erp = fixture.erpAdmin
        let mes = fixture.mesAdmin
        try await Self.seed(erp, mes: false)
        try await Self.seed(mes, mes: true)
        let records = try await Self.value(mes, "SELECT count(*) FROM mes.productiontracking")
        var erpLines: [String] = []
        var mesLines: [String] = []
        for tick in 1...6 {
            erpLines += try await Self.lines(erp, "SELECT event FROM demo.erp_tick(\(tick), 3) AS e(event)")
            mesLines += try await Self.lines(mes, "SELECT event FROM demo.mes_tick(\(tick), 3) AS e(event)")
        }
        #expect(erpLines.count >= 6 && mesLines.count >= 6, "\(erpLines) \(mesLines)")
        #expect(erpLines.allSatisfy { $0.hasPrefix("ERP ") && $0.count < 76 }, "\(erpLines)")
        #expect(mesLines.allSatisfy { $0.hasPrefix("MES ") && $0.count < 76 }, "\(mesLines)")
        // A released order is confirmed now, with its work orders ready.
        let released = try #require(
            erpLines.lazy.compactMap { line -> String? in
                guard let range = line.range(of: #"(?<=^ERP released )WH/MO/\d{5}"#, options: .regularExpression) else {
                    return nil
                }
                return String(line[range])
            }.first,
            "\(erpLines)"
        )
        #expect(
            try await Self.value(
                erp,
                """
                SELECT p.state || ' ' || string_agg(w.state, ',' ORDER BY w.sequence)
                FROM erp.mrp_production AS p JOIN erp.mrp_workorder AS w ON w.production_id = p.id
                WHERE p.name = '\(released)' GROUP BY p.state
                """
            )?.hasPrefix("confirmed ready") == true
        )
        #expect(mesLines.contains { $0.contains(" good, ") || $0.contains(" through ") }, "\(mesLines)")
        #expect(try await Self.value(mes, "SELECT count(*) > \(records ?? "0") FROM mes.productiontracking") == "t")
        #expect(
            try await Self.value(
                mes,
                "SELECT count(*) FROM mes.workstation AS w WHERE (SELECT count(*) FROM mes.equipment_state_history AS h WHERE h.workstation_id = w.id AND h.enddatetime IS NULL) > 1"
            ) == "0"
        )
        try await fixture.tearDown()
    }
}
