import ErpmesMigrate
import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Testing

/// The reference MES schema in `Migrations/mes`, applied by the migration tool as target `mes`.
@Suite struct MesReferenceSchemaTests {
    private static func migrator() async throws -> (Migrator, MigrationTarget) {
        let target = MigrationTarget(
            name: "mes",
            conninfo: Secret(try await TestDatabase.conninfo()),
            schemas: ["mes"]
        )
        let migrator = Migrator(
            options: MigratorOptions(directory: TestCluster.repositoryRoot),
            targets: [target],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return (migrator, target)
    }

    /// Migrates the test's database and returns a connection to it with one product.
    private static func migrated() async throws -> PQConnection {
        let (migrator, target) = try await Self.migrator()
        try await migrator.up(target)
        let connection = try await TestDatabase.connect()
        try await connection.query("INSERT INTO mes.product (id, number, name, unit) VALUES (1, 'P-1', 'Widget', 'pc')")
        return connection
    }

    @Test("up applies the MES schema and seeds to the latest version; a second up does nothing", .freshDatabase)
    func upToLatest() async throws {
        let (migrator, target) = try await Self.migrator()
        let applied = try await migrator.up(target)
        #expect(
            Array(applied.prefix(2)) == [
                "Migrations/mes/V1__reference_schema.sql", "Migrations/mes/V2__seed_reference_data.sql",
            ]
        )
        #expect(try await migrator.up(target) == [])
        let status = try await migrator.status(target)
        #expect(status.exitBits == 0)
        #expect(!status.entries.isEmpty && status.entries.allSatisfy { $0.state == "applied" })
    }

    @Test("an unknown order state is rejected by the CHECK constraint (23514)", .freshDatabase)
    func unknownOrderState() async throws {
        let connection = try await Self.migrated()
        let error = try await #require(throws: PQError.self) {
            try await connection.query(
                "INSERT INTO mes.orders_order (product_id, plannedquantity, state) VALUES (1, 10, '08unknown')"
            )
        }
        #expect(error.sqlState == .checkViolation)
    }

    @Test("each change of orders_order.state writes one history row", .freshDatabase)
    func stateChangeHistory() async throws {
        let connection = try await Self.migrated()
        try await connection.query("INSERT INTO mes.orders_order (id, product_id, plannedquantity) VALUES (7, 1, 10)")
        try await connection.query("UPDATE mes.orders_order SET state = '02accepted' WHERE id = 7")
        try await connection.query("UPDATE mes.orders_order SET priority = 10, state = state WHERE id = 7")
        try await connection.query("SET mes.worker = 'alice'")
        try await connection.query("UPDATE mes.orders_order SET state = '03inProgress' WHERE id = 7")
        let rows = try await connection.query(
            "SELECT order_id, sourcestate, targetstate, worker FROM mes.orders_orderstatechange ORDER BY id"
        )
        #expect(
            rows.map { [$0["order_id"], $0["sourcestate"], $0["targetstate"]] } == [
                ["7", "01pending", "02accepted"], ["7", "02accepted", "03inProgress"],
            ]
        )
        #expect(rows.last?["worker"] == "alice")
        #expect(try await connection.query("SELECT number FROM mes.orders_order").first?["number"] == "ORD-000001")
    }

    @Test("seed data: 1 kg = 1000 g and three shifts", .freshDatabase)
    func seeds() async throws {
        let connection = try await Self.migrated()
        let kilogram = try await connection.query(
            """
            SELECT quantityfrom = 1 AND quantityto = 1000 AS ok FROM mes.unit_conversion
            WHERE unitfrom = 'kg' AND unitto = 'g' AND product_id IS NULL
            """
        )
        #expect(kilogram.map { $0["ok"] } == ["t"])
        let shifts = try await connection.query(
            "SELECT name, starttime::text AS start, endtime::text AS finish FROM mes.shift ORDER BY id"
        )
        #expect(
            shifts.map { [$0["name"], $0["start"], $0["finish"]] } == [
                ["Early", "06:00:00", "14:00:00"], ["Late", "14:00:00", "22:00:00"], ["Night", "22:00:00", "06:00:00"],
            ]
        )
    }
}
