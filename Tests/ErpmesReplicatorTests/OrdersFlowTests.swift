import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@testable import ErpmesReplicator

/// Orders to production (ERP → MES) and order progress (MES → ERP), entities `production_order`
/// (Sql/erp/orders_production_order.sql, Sql/mes/orders_production_order.sql: one bidirectional
/// entity, key {"name": "WH/MO/…"}) and `work_order` (Sql/erp/orders_work_order.sql,
/// Sql/mes/orders_work_order.sql), end to end through the replicator on the reference schemas. The
/// master data the orders need is written by hand on both sides before the replicator starts, so
/// no other flow carries it. Serialized: the reference templates are built once per run.
@Suite(.serialized) struct OrdersFlowTests {
    /// ERP products ORD-FG (Units), ORD-PASTE (kg) and ORD-CEMENT (in bags, a unit the MES has no
    /// code for), work center ORD-WS-1, and BoM 7101 of ORD-FG with operation 7102 on it.
    static let erpSeed = """
        INSERT INTO erp.uom_uom (name, category_id, factor, rounding, uom_type)
        VALUES ('{"en_US": "bag"}', 1, 0.1, 1, 'bigger');
        INSERT INTO erp.product_template (name, type, categ_id, uom_id, uom_po_id, tracking, default_code)
        SELECT jsonb_build_object('en_US', v.name), 'product', 1, u.id, u.id, 'none', v.code
        FROM (VALUES ('ORD-FG', 'Widget', 'Units'), ('ORD-PASTE', 'Paste', 'kg'), ('ORD-CEMENT', 'Cement', 'bag'))
            AS v (code, name, uom)
        JOIN erp.uom_uom AS u ON u.name->>'en_US' = v.uom;
        INSERT INTO erp.product_product (product_tmpl_id, default_code)
        SELECT t.id, t.default_code FROM erp.product_template AS t WHERE t.default_code LIKE 'ORD-%';
        INSERT INTO erp.mrp_workcenter (name, code) VALUES ('Press', 'ORD-WS-1');
        INSERT INTO erp.mrp_bom (id, product_tmpl_id, product_qty, product_uom_id)
        SELECT 7101, t.id, 1, t.uom_id FROM erp.product_template AS t WHERE t.default_code = 'ORD-FG';
        INSERT INTO erp.mrp_routing_workcenter (id, name, workcenter_id, bom_id)
        SELECT 7102, 'Pressing', w.id, 7101 FROM erp.mrp_workcenter AS w WHERE w.code = 'ORD-WS-1';
        """

    /// The same products, workstation and technology in the MES: technology 7101 (the ERP BoM's id)
    /// with operation 7102 on workstation ORD-WS-1.
    static let mesSeed = """
        INSERT INTO mes.product (number, name, unit) VALUES
            ('ORD-FG', 'Widget', 'pc'), ('ORD-PASTE', 'Paste', 'kg'), ('ORD-CEMENT', 'Cement', 'pc')
        ON CONFLICT (number) DO NOTHING;
        INSERT INTO mes.workstation (number, name) VALUES ('ORD-WS-1', 'Press') ON CONFLICT (number) DO NOTHING;
        INSERT INTO mes.technology (number, name, product_id, state, master, externalnumber)
        SELECT 'ORD-TECH-7101', 'Widget', p.id, '02accepted', true, '7101' FROM mes.product AS p WHERE p.number = 'ORD-FG';
        INSERT INTO mes.technology_operation (technology_id, nodenumber, name, workstation_id, externalnumber)
        SELECT t.id, '1.', 'Pressing', w.id, '7102'
        FROM mes.technology AS t, mes.workstation AS w WHERE t.number = 'ORD-TECH-7101' AND w.number = 'ORD-WS-1';
        """

    /// Reference databases with the seeds written, and a running replicator.
    private static func start() async throws -> (ReplicationFixture, Task<Void, any Error>) {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpSeed)
        try await fixture.mesAdmin.simpleQuery(Self.mesSeed)
        try await fixture.treatAsExisting()
        let replicator = try await fixture.startReplicator()
        return (fixture, replicator)
    }

    /// Inserts a manufacturing order of `product` in `uom` (an ERP unit name); dates are naive UTC.
    private static func order(
        _ erp: PQConnection,
        _ name: String,
        product: String,
        quantity: String,
        uom: String,
        state: String = "confirmed",
        priority: String = "0",
        start: String = "2026-05-04 06:00",
        finish: String? = nil,
        deadline: String? = nil
    ) async throws {
        try await erp.query(
            """
            INSERT INTO erp.mrp_production (name, priority, origin, product_id, product_qty, product_uom_id, bom_id,
                                            location_src_id, location_dest_id, state, company_id, date_start,
                                            date_finished, date_deadline)
            SELECT $1::varchar, $2::varchar, 'SO-' || $1::varchar, p.id, $3::numeric, u.id, b.id, 11, 11, $5::varchar,
                   1, $6::timestamp, $7::timestamp, $8::timestamp
            FROM erp.product_product AS p
            JOIN erp.uom_uom AS u ON u.name->>'en_US' = $4::text
            LEFT JOIN erp.mrp_bom AS b ON b.product_tmpl_id = p.product_tmpl_id
            WHERE p.default_code = $9::varchar
            """,
            [name, priority, quantity, uom, state, start, finish, deadline, product]
        )
    }

    /// Every column of the rows `sql` returns, as text.
    private static func rows(
        _ connection: PQConnection,
        _ sql: String,
        _ parameters: [(any PQEncodable)?] = []
    ) async throws -> [[String?]] {
        let result = try await connection.query(sql, parameters)
        return result.map { row in result.columns.names.indices.map { row[$0] } }
    }

    /// The MES order of an ERP order, field by field.
    private static let mesOrder = """
        SELECT o.number ~ '^ORD-[0-9]{6}$' AS numbered, o.externalnumber, p.number AS product, o.plannedquantity::text,
               o.datefrom::text, o.dateto::text, o.deadline::text, o.state, o.priority::text, t.externalnumber AS technology,
               o.effectivedatefrom::text, o.donequantity::text
        FROM mes.orders_order AS o JOIN mes.product AS p ON p.id = o.product_id
        LEFT JOIN mes.technology AS t ON t.id = o.technology_id
        WHERE o.externalnumber = $1
        """

    /// The ERP fields an MES order mirrors, the planned dates it never touches, and the actual ones
    /// the plan-vs-actual view shows beside them.
    private static let erpProgress = """
        SELECT m.state, m.date_start::text, m.date_finished::text, m.qty_producing::text, r.actual_start::text,
               r.actual_finish::text
        FROM erp.mrp_production AS m JOIN report.production_order_plan_actual AS r ON r.production_id = m.id
        WHERE m.name = $1
        """

    /// The neutral payload a side publishes for an order, one field.
    private static func published(
        _ fixture: ReplicationFixture,
        mes: Bool,
        _ name: String,
        _ field: String
    ) async throws -> String? {
        let function = mes ? "mes.orders_order_payload" : "erp.orders_production_payload"
        return try await ReplicationFixture.value(
            mes ? fixture.mesAdmin : fixture.erpAdmin,
            "SELECT payload->>$2 FROM \(function)(ARRAY[jsonb_build_object('name', $1::text)])",
            [name, field]
        )
    }

    private static func count(_ connection: PQConnection, _ sql: String) async throws -> String? {
        try await ReplicationFixture.value(connection, sql)
    }

    @Test(
        "a confirmed order reaches the MES: quantity in the MES unit (Odoo rounding), plant-local dates across both DST changes, priority, 01pending, its task"
    )
    func ordersToProduction() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        // 2 Dozens of a product kept in Units: 24 pc. Spring forward: 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST.
        try await Self.order(
            erp,
            "WH/MO/00101",
            product: "ORD-FG",
            quantity: "2",
            uom: "Dozens",
            priority: "1",
            start: "2026-03-29 00:30",
            finish: "2026-03-29 01:30",
            deadline: "2026-03-30 12:00"
        )
        // 1500 g of a product kept in kg: 1.5 kg. Fall back: 00:30 and 01:30 UTC are both 02:30 local.
        try await Self.order(
            erp,
            "WH/MO/00102",
            product: "ORD-PASTE",
            quantity: "1500",
            uom: "g",
            start: "2026-10-25 00:30",
            finish: "2026-10-25 01:30"
        )
        // A draft is not released: absent from the MES.
        try await Self.order(erp, "WH/MO/00103", product: "ORD-FG", quantity: "5", uom: "Units", state: "draft")
        try await erp.query(
            """
            INSERT INTO erp.mrp_workorder (name, production_id, workcenter_id, operation_id, product_uom_id, state,
                                           date_start, date_finished)
            SELECT 'Pressing', m.id, w.id, 7102, m.product_uom_id, 'ready', '2026-03-29 00:30', '2026-03-29 01:00'
            FROM erp.mrp_production AS m, erp.mrp_workcenter AS w
            WHERE m.name IN ('WH/MO/00101', 'WH/MO/00103') AND w.code = 'ORD-WS-1'
            """
        )
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM mes.operationaltask", equals: "1")
        )
        #expect(
            try await Self.rows(fixture.mesAdmin, Self.mesOrder, ["WH/MO/00101"]) == [
                [
                    "t", "WH/MO/00101", "ORD-FG", "24.00000", "2026-03-29 01:30:00", "2026-03-29 03:30:00",
                    "2026-03-30 14:00:00", "01pending", "10", "7101", nil, "0.00000",
                ]
            ]
        )
        #expect(
            try await Self.rows(fixture.mesAdmin, Self.mesOrder, ["WH/MO/00102"]) == [
                [
                    "t", "WH/MO/00102", "ORD-PASTE", "1.50000", "2026-10-25 02:30:00", "2026-10-25 02:30:00", nil,
                    "01pending", "100", nil, nil, "0.00000",
                ]
            ]
        )
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM mes.orders_order") == "2")
        let workOrder = try #require(
            try await Self.count(
                fixture.erpAdmin,
                "SELECT w.id FROM erp.mrp_workorder AS w JOIN erp.mrp_production AS m ON m.id = w.production_id WHERE m.name = 'WH/MO/00101'"
            )
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT t.number ~ '^OT-[0-9]{6}$', t.name, o.externalnumber, w.number, x.externalnumber, t.state,
                       t.startdate::text, t.finishdate::text, t.externalnumber
                FROM mes.operationaltask AS t
                JOIN mes.orders_order AS o ON o.id = t.order_id
                JOIN mes.workstation AS w ON w.id = t.workstation_id
                JOIN mes.technology_operation AS x ON x.id = t.technology_operation_id
                """
            ) == [
                [
                    "t", "Pressing", "WH/MO/00101", "ORD-WS-1", "7102", "01pending", "2026-03-29 01:30:00",
                    "2026-03-29 03:00:00", workOrder,
                ]
            ]
        )
        // The MES reads its plant-local times back as the instants the ERP meant, the overlap too.
        #expect(try await Self.published(fixture, mes: true, "WH/MO/00102", "date_start") == "2026-10-25T00:30:00Z")
        #expect(try await Self.published(fixture, mes: true, "WH/MO/00102", "date_finished") == "2026-10-25T01:30:00Z")
        #expect(try await Self.published(fixture, mes: true, "WH/MO/00101", "quantity") == "24")
        #expect(try await Self.published(fixture, mes: true, "WH/MO/00101", "state") == "Released")
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        }
        await erp.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "order progress: the MES's start, interruption and completion reach the ERP forward only, with effective dates and the done quantity; the ERP closes"
    )
    func orderProgress() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await Self.order(
            erp,
            "WH/MO/00201",
            product: "ORD-FG",
            quantity: "2",
            uom: "Dozens",
            start: "2026-03-29 00:30",
            finish: "2026-03-29 01:30"
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state FROM mes.orders_order WHERE externalnumber = 'WH/MO/00201'",
                equals: "01pending"
            )
        )
        // Started at 03:45 plant time (CEST): 01:45 UTC is the actual start; the ERP's planned
        // start (00:30 UTC) stays, and the plan-vs-actual view shows the start 1.25 h late.
        try await mes.query(
            """
            UPDATE mes.orders_order SET state = '03inProgress', effectivedatefrom = '2026-03-29 03:45'
            WHERE externalnumber = 'WH/MO/00201'
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state || ' ' || date_start FROM erp.mrp_production WHERE name = 'WH/MO/00201'",
                equals: "progress 2026-03-29 00:30:00"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                """
                SELECT planned_start || ' ' || actual_start || ' ' || start_delay_hours
                FROM report.production_order_plan_actual WHERE production = 'WH/MO/00201'
                """,
                equals: "2026-03-29 00:30:00 2026-03-29 01:45:00 1.25"
            )
        )
        // The ERP still publishes the planned start it owns, and the MES keeps it.
        #expect(try await Self.published(fixture, mes: false, "WH/MO/00201", "date_start") == "2026-03-29T00:30:00Z")
        #expect(
            try await Self.published(fixture, mes: false, "WH/MO/00201", "effective_start") == "2026-03-29T01:45:00Z"
        )
        // Interrupted: the ERP has no such state and stays in progress, but keeps the MES's Held.
        try await mes.query("UPDATE mes.orders_order SET state = '06interrupted' WHERE externalnumber = 'WH/MO/00201'")
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT payload->>'state' FROM erp.orders_production_payload(ARRAY['{\"name\": \"WH/MO/00201\"}'::jsonb])",
                equals: "Held"
            )
        )
        #expect(
            try await Self.count(fixture.erpAdmin, "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00201'")
                == "progress"
        )
        // Completed at 09:10 plant time with 25 pc done, 1 pc waste: to close, 25 pc = 2.09 Dozens (rounded up).
        try await mes.query(
            """
            UPDATE mes.orders_order SET state = '04completed', effectivedateto = '2026-03-29 09:10', donequantity = 25,
                                        wastesquantity = 1
            WHERE externalnumber = 'WH/MO/00201'
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00201'",
                equals: "to_close"
            )
        )
        #expect(
            try await Self.rows(fixture.erpAdmin, Self.erpProgress, ["WH/MO/00201"]) == [
                [
                    "to_close", "2026-03-29 00:30:00", "2026-03-29 01:30:00", "2.09", "2026-03-29 01:45:00",
                    "2026-03-29 07:10:00",
                ]
            ]
        )
        // The ERP closes the completed order: the MES has no closed state and stays 04completed.
        try await erp.query("UPDATE erp.mrp_production SET state = 'done' WHERE name = 'WH/MO/00201'")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT payload->>'state' FROM mes.orders_order_payload(ARRAY['{\"name\": \"WH/MO/00201\"}'::jsonb])",
                equals: "Closed"
            )
        )
        #expect(
            try await Self.rows(fixture.mesAdmin, Self.mesOrder, ["WH/MO/00201"]) == [
                [
                    "t", "WH/MO/00201", "ORD-FG", "24.00000", "2026-03-29 01:30:00", "2026-03-29 03:30:00", nil,
                    "04completed", "100", "7101", "2026-03-29 03:45:00", "25.00000",
                ]
            ]
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT c.sourcestate, c.targetstate, c.worker FROM mes.orders_orderstatechange AS c
                JOIN mes.orders_order AS o ON o.id = c.order_id WHERE o.externalnumber = 'WH/MO/00201' ORDER BY c.id
                """
            ) == [
                ["01pending", "03inProgress", "app_writer"], ["03inProgress", "06interrupted", "app_writer"],
                ["06interrupted", "04completed", "app_writer"],
            ]
        )
        // A move back is refused: the order above is closed; another one, started, goes back to pending.
        try await Self.order(erp, "WH/MO/00202", product: "ORD-PASTE", quantity: "1", uom: "kg")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM mes.orders_order WHERE externalnumber = 'WH/MO/00202'",
                equals: "1"
            )
        )
        try await mes.query("UPDATE mes.orders_order SET state = '03inProgress' WHERE externalnumber = 'WH/MO/00202'")
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00202'",
                equals: "progress"
            )
        )
        try await mes.query("UPDATE mes.orders_order SET state = '01pending' WHERE externalnumber = 'WH/MO/00202'")
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erpmes.dead_letter", equals: "1")
        )
        #expect(
            try await Self.rows(fixture.erpAdmin, "SELECT entity, key::text, message FROM erpmes.dead_letter") == [
                [
                    "production_order", #"{"name": "WH/MO/00202"}"#,
                    #"production_order {"name": "WH/MO/00202"}: state may only move forward: Released (column orders_order.state) would move mrp_production WH/MO/00202 back from progress to confirmed"#,
                ]
            ]
        )
        #expect(
            try await Self.count(fixture.erpAdmin, "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00202'")
                == "progress"
        )
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        }
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await erp.close()
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    /// The ERP's change of the planned quantity and the MES's start of one order, made on both sides
    /// before either reaches the other side.
    private static func bothChange(_ erp: PQConnection, _ mes: PQConnection, _ name: String) async throws {
        try await erp.query("UPDATE erp.mrp_production SET product_qty = 2250 WHERE name = $1", [name])
        try await mes.query(
            """
            UPDATE mes.orders_order SET state = '03inProgress', effectivedatefrom = '2026-05-04 08:15'
            WHERE externalnumber = $1
            """,
            [name]
        )
    }

    /// Both sides after `bothChange` settled: the ERP's quantity (1500 g -> 2250 g = 2.25 kg) and the
    /// MES's start (08:15 CEST = 06:15 UTC, the actual start beside the ERP's planned 06:00) are on
    /// both, and no rule fired.
    private static func checkBothApplied(_ fixture: ReplicationFixture, _ name: String) async throws {
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT state, plannedquantity::text, effectivedatefrom::text FROM mes.orders_order WHERE externalnumber = $1",
                [name]
            ) == [["03inProgress", "2.25000", "2026-05-04 08:15:00"]]
        )
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                """
                SELECT m.state, m.product_qty::text, m.date_start::text, r.actual_start::text
                FROM erp.mrp_production AS m JOIN report.production_order_plan_actual AS r ON r.production_id = m.id
                WHERE m.name = $1
                """,
                [name]
            ) == [["progress", "2250", "2026-05-04 06:00:00", "2026-05-04 06:15:00"]]
        )
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        }
    }

    @Test(
        "the ERP changes the planned quantity while the MES changes the state: both applied in either order, no conflict",
        arguments: [Direction.erpToMES, .mesToERP]
    )
    func concurrentOwners(first: Direction) async throws {
        let fixture = try await ReplicationFixture.reference()
        try await fixture.erpAdmin.simpleQuery(Self.erpSeed)
        try await fixture.mesAdmin.simpleQuery(Self.mesSeed)
        try await fixture.treatAsExisting()
        // Batch by batch, so both changes are made before either direction reads the other's.
        let stepper = try await Stepper.start(fixture)
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await Self.order(erp, "WH/MO/00301", product: "ORD-PASTE", quantity: "1500", uom: "g")
        try await stepper.settle()
        #expect(
            try await Self.count(
                fixture.mesAdmin,
                "SELECT plannedquantity FROM mes.orders_order WHERE externalnumber = 'WH/MO/00301'"
            ) == "1.50000"
        )
        try await Self.bothChange(erp, mes, "WH/MO/00301")
        try await stepper.settle(first: first)
        try await Self.checkBothApplied(fixture, "WH/MO/00301")
        await erp.close()
        await mes.close()
        await stepper.close()
        try await fixture.tearDown()
    }

    /// The same with `erpmes run`, both directions live. When both directions carry the
    /// key at once, neither waits for the other: base rows are locked with FOR UPDATE SKIP LOCKED
    /// (erpmes.batch, erpmes.record_base), so a base the other direction holds is skipped rather
    /// than waited for.
    @Test(
        "live: the ERP changes the planned quantity while the MES changes the state, both directions running"
    )
    func concurrentOwnersLive() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await Self.order(erp, "WH/MO/00302", product: "ORD-PASTE", quantity: "1500", uom: "g")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT plannedquantity FROM mes.orders_order WHERE externalnumber = 'WH/MO/00302'",
                equals: "1.50000"
            )
        )
        let planned = Task {
            try await erp.query("UPDATE erp.mrp_production SET product_qty = 2250 WHERE name = 'WH/MO/00302'")
            return ()
        }
        let started = Task {
            try await mes.query(
                """
                UPDATE mes.orders_order SET state = '03inProgress', effectivedatefrom = '2026-05-04 08:15'
                WHERE externalnumber = 'WH/MO/00302'
                """
            )
            return ()
        }
        try await planned.value
        try await started.value
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state || ' ' || product_qty FROM erp.mrp_production WHERE name = 'WH/MO/00302'",
                equals: "progress 2250"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || plannedquantity FROM mes.orders_order WHERE externalnumber = 'WH/MO/00302'",
                equals: "03inProgress 2.25000"
            )
        )
        try await Self.checkBothApplied(fixture, "WH/MO/00302")
        await erp.close()
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "an ERP cancel is a request: before the MES starts the order it is declined, after the start the MES keeps running and logs the refusal"
    )
    func cancelRequests() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await Self.order(erp, "WH/MO/00401", product: "ORD-FG", quantity: "10", uom: "Units")
        try await Self.order(erp, "WH/MO/00402", product: "ORD-FG", quantity: "20", uom: "Units")
        try await erp.query(
            """
            INSERT INTO erp.mrp_workorder (name, production_id, workcenter_id, operation_id, product_uom_id, state)
            SELECT 'Pressing', m.id, w.id, 7102, m.product_uom_id, 'ready'
            FROM erp.mrp_production AS m, erp.mrp_workcenter AS w WHERE m.name = 'WH/MO/00401' AND w.code = 'ORD-WS-1'
            """
        )
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM mes.operationaltask", equals: "1")
        )
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM mes.orders_order") == "2")
        // Before the start: declined, and its pending task rejected (Odoo cancels the work orders too).
        try await erp.simpleQuery(
            """
            BEGIN;
            UPDATE erp.mrp_production SET state = 'cancel' WHERE name = 'WH/MO/00401';
            UPDATE erp.mrp_workorder AS w SET state = 'cancel' FROM erp.mrp_production AS m
            WHERE m.id = w.production_id AND m.name = 'WH/MO/00401';
            COMMIT;
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                """
                SELECT o.state || ' ' || t.state FROM mes.orders_order AS o JOIN mes.operationaltask AS t ON t.order_id = o.id
                WHERE o.externalnumber = 'WH/MO/00401'
                """,
                equals: "05declined 04rejected"
            )
        )
        // After the start: the MES decides, keeps running, and the ERP mirrors its answer.
        try await mes.query(
            """
            UPDATE mes.orders_order SET state = '03inProgress', effectivedatefrom = '2026-05-04 08:00'
            WHERE externalnumber = 'WH/MO/00402'
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00402'",
                equals: "progress"
            )
        )
        try await erp.query("UPDATE erp.mrp_production SET state = 'cancel' WHERE name = 'WH/MO/00402'")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM erpmes.conflict_log", equals: "1")
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                """
                SELECT entity, key::text, kind, columns::text, rule, source_side, outcome, source->>'state', target->>'state'
                FROM erpmes.conflict_log
                """
            ) == [
                [
                    "production_order", #"{"name": "WH/MO/00402"}"#, "transition", "{state}", "forward_only", "erp",
                    "rejected", "Cancelled", "Running",
                ]
            ]
        )
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00402'",
                equals: "progress"
            )
        )
        #expect(
            try await Self.count(
                fixture.mesAdmin,
                "SELECT state FROM mes.orders_order WHERE externalnumber = 'WH/MO/00402'"
            )
                == "03inProgress"
        )
        #expect(
            try await Self.count(fixture.erpAdmin, "SELECT state FROM erp.mrp_production WHERE name = 'WH/MO/00401'")
                == "cancel"
        )
        #expect(try await Self.count(fixture.erpAdmin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        }
        await erp.close()
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "an unknown unit or state goes to the dead letter naming entity, key, column and value; the order's task waits for it"
    )
    func unknownValues() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        // The product is kept in bags, a unit the MES has no code for.
        try await erp.simpleQuery(
            """
            BEGIN;
            INSERT INTO erp.mrp_production (name, product_id, product_qty, product_uom_id, location_src_id,
                                            location_dest_id, state, company_id)
            SELECT 'WH/MO/00501', p.id, 3, t.uom_id, 11, 11, 'confirmed', 1
            FROM erp.product_product AS p JOIN erp.product_template AS t ON t.id = p.product_tmpl_id
            WHERE p.default_code = 'ORD-CEMENT';
            INSERT INTO erp.mrp_workorder (name, production_id, workcenter_id, product_uom_id, state)
            SELECT 'Mixing', m.id, w.id, m.product_uom_id, 'pending'
            FROM erp.mrp_production AS m, erp.mrp_workcenter AS w WHERE m.name = 'WH/MO/00501' AND w.code = 'ORD-WS-1';
            COMMIT;
            """
        )
        // A state this pack's maps do not know (an ERP with a newer state list).
        try await fixture.erpAdmin.query(
            "ALTER TABLE erp.mrp_production DROP CONSTRAINT mrp_production_state_check"
        )
        try await Self.order(erp, "WH/MO/00502", product: "ORD-FG", quantity: "1", uom: "Units", state: "blocked")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM erpmes.dead_letter", equals: "3")
        )
        let workOrder = try #require(
            try await Self.count(
                fixture.erpAdmin,
                "SELECT w.id FROM erp.mrp_workorder AS w JOIN erp.mrp_production AS m ON m.id = w.production_id WHERE m.name = 'WH/MO/00501'"
            )
        )
        let parent = try #require(
            try await Self.count(
                fixture.mesAdmin,
                #"SELECT id FROM erpmes.dead_letter WHERE key = '{"name": "WH/MO/00501"}'"#
            )
        )
        #expect(
            try await Self.rows(
                fixture.mesAdmin,
                "SELECT entity, key::text, status, sqlstate, message, blocked_by::text FROM erpmes.dead_letter ORDER BY entity, key::text"
            ) == [
                [
                    "production_order", #"{"name": "WH/MO/00501"}"#, "open", "P0001",
                    #"production_order {"name": "WH/MO/00501"}: unit 'bag' is not an MES unit (column product_template.uom_id, value map orders_uom_to_mes)"#,
                    nil,
                ],
                [
                    "production_order", #"{"name": "WH/MO/00502"}"#, "open", "P0001",
                    #"production_order {"name": "WH/MO/00502"}: state 'blocked' has no MES order state (column mrp_production.state, value map orders_isa_to_mes_state)"#,
                    nil,
                ],
                [
                    "work_order", #"{"id": \#(workOrder)}"#, "open", nil,
                    #"work_order {"id": \#(workOrder)} waits for production_order {"name": "WH/MO/00501"}, which is in the dead letter (#\#(parent))"#,
                    #"{"key": {"name": "WH/MO/00501"}, "entity": "production_order"}"#,
                ],
            ]
        )
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM mes.orders_order") == "0")
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM mes.operationaltask") == "0")
        // An order the MES takes, whose work order no technology of the MES plans: the task is refused.
        try await Self.order(erp, "WH/MO/00503", product: "ORD-PASTE", quantity: "2", uom: "kg")
        try await erp.query(
            """
            INSERT INTO erp.mrp_workorder (name, production_id, workcenter_id, product_uom_id, state)
            SELECT 'Kneading', m.id, w.id, m.product_uom_id, 'ready'
            FROM erp.mrp_production AS m, erp.mrp_workcenter AS w WHERE m.name = 'WH/MO/00503' AND w.code = 'ORD-WS-1'
            """
        )
        let kneading = try #require(
            try await Self.count(
                fixture.erpAdmin,
                "SELECT w.id FROM erp.mrp_workorder AS w WHERE w.name = 'Kneading'"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT message FROM erpmes.dead_letter WHERE entity = 'work_order' AND key = '{\"id\": \(kneading)}'",
                equals:
                    #"work_order {"id": \#(kneading)}: no technology plans it: product 'ORD-PASTE' has no technology with an operation on workstation 'ORD-WS-1' (column mrp_workorder.operation_id = NULL)"#
            )
        )
        #expect(
            try await Self.count(
                fixture.mesAdmin,
                "SELECT state FROM mes.orders_order WHERE externalnumber = 'WH/MO/00503'"
            ) == "01pending"
        )
        await erp.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "a round trip ERP → MES → ERP leaves the ERP's row byte-identical; an MES edit of an ERP-owned field is a refused request"
    )
    func roundTrip() async throws {
        let (fixture, replicator) = try await Self.start()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await Self.order(
            erp,
            "WH/MO/00601",
            product: "ORD-FG",
            quantity: "10",
            uom: "Units",
            start: "2026-05-04 06:00:00.123456",
            finish: "2026-05-04 14:00",
            deadline: "2026-05-05 00:00"
        )
        let row = "SELECT m::text FROM erp.mrp_production AS m WHERE name = 'WH/MO/00601'"
        let before = try #require(try await Self.count(fixture.erpAdmin, row))
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT datefrom FROM mes.orders_order WHERE externalnumber = 'WH/MO/00601'",
                equals: "2026-05-04 08:00:00.123456"
            )
        )
        // The MES accepts the order (the ERP has no accepted state) and edits two fields the ERP owns.
        try await mes.query("UPDATE mes.orders_order SET state = '02accepted' WHERE externalnumber = 'WH/MO/00601'")
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT payload->>'state' FROM erp.orders_production_payload(ARRAY['{\"name\": \"WH/MO/00601\"}'::jsonb])",
                equals: "Ready"
            )
        )
        try await mes.query(
            "UPDATE mes.orders_order SET plannedquantity = 12, priority = 1 WHERE externalnumber = 'WH/MO/00601'"
        )
        #expect(
            try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM erpmes.conflict_log", equals: "1")
        )
        #expect(
            try await Self.rows(
                fixture.erpAdmin,
                "SELECT entity, key::text, kind, columns::text, rule, source_side, outcome FROM erpmes.conflict_log"
            ) == [
                [
                    "production_order", #"{"name": "WH/MO/00601"}"#, "request", "{priority,quantity}", "owner", "mes",
                    "rejected",
                ]
            ]
        )
        // The ERP's version comes back to the MES.
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT state || ' ' || plannedquantity || ' ' || priority FROM mes.orders_order WHERE externalnumber = 'WH/MO/00601'",
                equals: "02accepted 10.00000 100"
            )
        )
        #expect(try await Self.count(fixture.erpAdmin, row) == before)
        #expect(try await Self.count(fixture.mesAdmin, "SELECT count(*) FROM erpmes.conflict_log") == "0")
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await Self.count(admin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        }
        await erp.close()
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
