import ErpmesMigrate
import ErpmesTestSupport
import LibPQ
import Logging
import Testing

/// The reference ERP schema in `Migrations/erp/`: it migrates, and keeps Odoo's constraints and seed rows.
@Suite struct ErpReferenceSchemaTests {
    /// Target `erp` over the repository's own `Migrations/erp/`, on the test's database.
    private static func migrator() async throws -> (Migrator, MigrationTarget) {
        let target = MigrationTarget(name: "erp", conninfo: Secret(try await TestDatabase.conninfo()), schemas: ["erp"])
        let migrator = Migrator(
            options: MigratorOptions(directory: TestCluster.repositoryRoot),
            targets: [target],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return (migrator, target)
    }

    /// Migrates the test's database to the latest `erp` version and connects to it.
    private static func migrated() async throws -> PQConnection {
        let (migrator, target) = try await self.migrator()
        try await migrator.up(target)
        return try await TestDatabase.connect()
    }

    /// Runs `sql` and returns the SQLSTATE it fails with.
    private static func sqlState(_ connection: PQConnection, _ sql: String) async throws -> SQLState? {
        let error = try await #require(throws: PQError.self) { try await connection.query(sql) }
        return error.sqlState
    }

    @Test("up applies every erp file on a fresh database, and a second up does nothing", .freshDatabase)
    func upReachesLatest() async throws {
        let (migrator, target) = try await Self.migrator()
        let applied = try await migrator.up(target)
        #expect(applied.first == "Migrations/erp/V1__reference_schema.sql")
        #expect(try await migrator.up(target) == [])
        let status = try await migrator.status(target)
        #expect(status.exitBits == 0)
        #expect(status.entries.allSatisfy { $0.state == "applied" })
        #expect(
            status.currentVersion != nil
                && status.currentVersion == status.entries.last(where: { $0.version != nil })?.version
        )
        #expect(applied.count == status.entries.count)
    }

    @Test("Odoo's uom CHECKs reject a reference unit with factor 2 and a rounding of 0", .freshDatabase)
    func uomChecks() async throws {
        let connection = try await Self.migrated()
        let insert = "INSERT INTO erp.uom_uom (name, category_id, factor, rounding, uom_type) VALUES"
        #expect(
            try await Self.sqlState(connection, "\(insert) ('{\"en_US\": \"x\"}', 1, 2, 0.01, 'reference')")
                == .checkViolation
        )
        #expect(
            try await Self.sqlState(connection, "\(insert) ('{\"en_US\": \"x\"}', 1, 1, 0, 'reference')")
                == .checkViolation
        )
        #expect(
            try await Self.sqlState(connection, "\(insert) ('{\"en_US\": \"x\"}', 1, 0, 0.01, 'bigger')")
                == .checkViolation
        )
    }

    @Test("manufacturing order names are unique per company and product_qty must be positive", .freshDatabase)
    func productionConstraints() async throws {
        let connection = try await Self.migrated()
        try await connection.simpleQuery(
            """
            INSERT INTO erp.res_company (id, name) VALUES (2, 'Second Company');
            INSERT INTO erp.product_template (id, name, categ_id, uom_id, uom_po_id)
                VALUES (1, '{"en_US": "Widget"}', 1, 1, 1);
            INSERT INTO erp.product_product (id, product_tmpl_id, default_code) VALUES (1, 1, 'W-1')
            """
        )
        let insert = """
            INSERT INTO erp.mrp_production
                (name, product_id, product_qty, product_uom_id, location_src_id, location_dest_id, company_id)
            VALUES
            """
        try await connection.query("\(insert) ('WH/MO/00012', 1, 5, 1, 11, 11, 1), ('WH/MO/00012', 1, 5, 1, 11, 11, 2)")
        let duplicate = "\(insert) ('WH/MO/00012', 1, 5, 1, 11, 11, 1)"
        #expect(try await Self.sqlState(connection, duplicate) == .uniqueViolation)
        let zero = "\(insert) ('WH/MO/00013', 1, 0, 1, 11, 11, 1)"
        #expect(try await Self.sqlState(connection, zero) == .checkViolation)
    }

    @Test("Odoo's seed rows are there: Dozens, the done maintenance stages, the scrap location", .freshDatabase)
    func seeds() async throws {
        let connection = try await Self.migrated()
        let row = try #require(
            try await connection.query(
                """
                SELECT round(u.factor * 12, 10) = 1 AS dozen, u.uom_type,
                       (SELECT string_agg(s.name->>'en_US', ',' ORDER BY s.sequence)
                        FROM erp.maintenance_stage AS s WHERE s.done) AS done_stages,
                       (SELECT complete_name FROM erp.stock_location WHERE scrap_location) AS scrap,
                       nextval(pg_get_serial_sequence('erp.uom_uom', 'id')) > 22 AS advanced
                FROM erp.uom_uom AS u WHERE u.name->>'en_US' = 'Dozens'
                """
            )
            .first
        )
        #expect(row["dozen"] == "t")
        #expect(row["uom_type"] == "bigger")
        #expect(row["done_stages"] == "Repaired,Scrap")
        #expect(row["scrap"] == "Virtual Locations/Scrap")
        #expect(row["advanced"] == "t")
    }
}
