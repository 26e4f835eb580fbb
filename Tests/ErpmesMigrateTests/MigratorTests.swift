import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@testable import ErpmesMigrate

@Suite struct MigratorTests {
    @Test("up applies pending files in version order, records each, and a second up does nothing", .freshDatabase)
    func upInOrder() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V2__orders.sql",
            "CREATE TABLE orders (id int PRIMARY KEY, item text REFERENCES item);"
        )
        try fixture.write(
            "Migrations/app/V1__items.sql",
            "CREATE TABLE item (code text PRIMARY KEY);\nINSERT INTO item VALUES ('A');"
        )
        try fixture.write("Migrations/app/V10__lines.sql", "ALTER TABLE orders ADD COLUMN qty numeric(14,5);")
        let migrator = fixture.migrator()
        let applied = try await migrator.up(fixture.target)
        #expect(
            applied == [
                "Migrations/app/V1__items.sql", "Migrations/app/V2__orders.sql", "Migrations/app/V10__lines.sql",
            ]
        )
        #expect(try await migrator.up(fixture.target) == [])

        let connection = try await TestDatabase.connect()
        let history = try await fixture.history(connection)
        #expect(history.map(\.version?.description) == ["1", "2", "10"])
        #expect(history.allSatisfy { $0.status == .applied && $0.kind == .versioned && $0.toolVersion == "0.1.0" })
        #expect(history[0].checksum?.hasPrefix("sha256:") == true)
        #expect(history[0].description == "items")
        #expect(history[0].installedBy == "postgres")
        let status = try await migrator.status(fixture.target)
        #expect(status.exitBits == 0)
        #expect(status.currentVersion == "10")
        #expect(status.entries.map(\.state) == ["applied", "applied", "applied"])
    }

    @Test(
        "a failing statement rolls back its file, is recorded as failed, and names file:line:col and SQLSTATE",
        .freshDatabase
    )
    func failureIsRecorded() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__ok.sql", "CREATE TABLE a (id int);")
        try fixture.write(
            "Migrations/app/V2__bad.sql",
            "CREATE TABLE b (id int);\n\nINSERT INTO b\n  VALUES ('not a number');\n"
        )
        let migrator = fixture.migrator()
        let failure = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(failure.code == .sql)
        #expect(failure.sqlState == .invalidTextRepresentation)
        #expect(failure.file == "Migrations/app/V2__bad.sql")
        #expect(failure.location == SourceLocation(line: 4, column: 11))
        #expect(
            "\(failure)".hasPrefix(
                "Migrations/app/V2__bad.sql:4:11: ERROR 22P02: invalid input syntax for type integer"
            )
        )

        let connection = try await TestDatabase.connect()
        #expect(try await connection.query("SELECT to_regclass('public.b') IS NULL AS gone").first?["gone"] == "t")
        let history = try await fixture.history(connection)
        #expect(history.map(\.status) == [.applied, .failed])
        #expect(history[1].sqlState == "22P02")
        #expect(history[1].message?.hasPrefix("Migrations/app/V2__bad.sql:4:11:") == true)
        let status = try await migrator.status(fixture.target)
        #expect(status.exitBits & MigrationStatus.failedBit != 0)
        #expect(status.entries.last?.state == "failed")

        // Fixed, the next up applies it; the failed row stays in the history.
        try fixture.write("Migrations/app/V2__bad.sql", "CREATE TABLE b (id int);\n\nINSERT INTO b\n  VALUES (42);\n")
        #expect(try await migrator.up(fixture.target) == ["Migrations/app/V2__bad.sql"])
        #expect(try await fixture.history(connection).map(\.status) == [.applied, .failed, .applied])
        #expect(try await migrator.status(fixture.target).exitBits == 0)
    }

    @Test("the history is append-only: UPDATE, DELETE and TRUNCATE are refused", .freshDatabase)
    func historyIsAppendOnly() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        try await fixture.migrator().up(fixture.target)
        let connection = try await TestDatabase.connect()
        for statement in [
            "UPDATE erpmes_migrate.app_history SET status = 'failed'", "DELETE FROM erpmes_migrate.app_history",
            "TRUNCATE erpmes_migrate.app_history",
        ] {
            let error = try await #require(throws: PQError.self) { try await connection.query(statement) }
            #expect(error.message == "erpmes migrate history is append-only")
        }
        #expect(try await fixture.history(connection).count == 1)
    }

    @Test("an edited applied file fails validation naming the file and both checksums; up refuses", .freshDatabase)
    func editedFile() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        let migrator = fixture.migrator()
        try await migrator.up(fixture.target)
        let before = Checksum(of: "CREATE TABLE a (id int);").description
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id bigint);")
        let after = Checksum(of: "CREATE TABLE a (id bigint);").description
        let status = try await migrator.status(fixture.target)
        #expect(status.exitBits & MigrationStatus.invalidBit != 0)
        let problem = try #require(status.problems.first)
        #expect(problem.contains("Migrations/app/V1__a.sql"))
        #expect(problem.contains(before) && problem.contains(after))
        let failure = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(failure.code == .invalid)

        // accept-checksum needs a reason and adds a repair row; then the file validates.
        await #expect(throws: MigrateFailure.self) {
            try await migrator.repair(fixture.target, .acceptChecksum(MigrationVersion("1")!), reason: " ")
        }
        try await migrator.repair(fixture.target, .acceptChecksum(MigrationVersion("1")!), reason: "whitespace only")
        #expect(try await migrator.status(fixture.target).exitBits & MigrationStatus.invalidBit == 0)
        let connection = try await TestDatabase.connect()
        let history = try await fixture.history(connection)
        #expect(history.map(\.kind) == [.versioned, .repair])
        #expect(history[1].reason == "whitespace only")
        #expect(history[1].checksum == after)
    }

    @Test("a CRLF and BOM copy of an applied file validates", .freshDatabase)
    func crlfCopyValidates() async throws {
        let fixture = try await MigrationFixture()
        let text = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"
        try fixture.write("Migrations/app/V1__a.sql", text)
        let migrator = fixture.migrator()
        try await migrator.up(fixture.target)
        try fixture.write("Migrations/app/V1__a.sql", "\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n"))
        let status = try await migrator.status(fixture.target)
        #expect(status.exitBits == 0)
        #expect(status.entries.first?.state == "applied")
    }

    @Test(
        "a missing applied file and an out-of-order file are invalid; --allow-out-of-order runs the latter",
        .freshDatabase
    )
    func missingAndOutOfOrder() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        try fixture.write("Migrations/app/V3__c.sql", "CREATE TABLE c (id int);")
        let migrator = fixture.migrator()
        try await migrator.up(fixture.target)
        try fixture.write("Migrations/app/V2__b.sql", "CREATE TABLE b (id int);")
        let status = try await migrator.status(fixture.target)
        #expect(status.entries.map(\.state) == ["applied", "out-of-order", "applied"])
        #expect(status.problems.contains { $0.contains("--allow-out-of-order 2") })
        await #expect(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(
            try await migrator.up(fixture.target, allowOutOfOrder: [MigrationVersion("2")!]) == [
                "Migrations/app/V2__b.sql"
            ]
        )

        try fixture.remove("Migrations/app/V1__a.sql")
        let missing = try await migrator.status(fixture.target)
        #expect(missing.entries.first?.state == "missing")
        #expect(missing.problems == ["Migrations/app/V1__a.sql: applied as version 1 but the file is missing"])
    }

    @Test("repeatables re-apply in dependency order in one transaction; a failure in B rolls back A", .freshDatabase)
    func repeatableChain() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__t.sql", "CREATE TABLE t (id int, qty int);")
        try fixture.write(
            "Sql/app/b_view.sql",
            "-- erpmes:requires a_view.sql\nCREATE OR REPLACE VIEW b_view AS SELECT id FROM a_view;"
        )
        try fixture.write("Sql/app/a_view.sql", "CREATE OR REPLACE VIEW a_view AS SELECT id FROM t;")
        let migrator = fixture.migrator()
        #expect(
            try await migrator.up(fixture.target) == [
                "Migrations/app/V1__t.sql", "Sql/app/a_view.sql", "Sql/app/b_view.sql",
            ]
        )

        // A changes (adds a column), B changes to something that fails: neither is applied.
        try fixture.write("Sql/app/a_view.sql", "CREATE OR REPLACE VIEW a_view AS SELECT id, qty FROM t;")
        try fixture.write(
            "Sql/app/b_view.sql",
            "-- erpmes:requires a_view.sql\nCREATE OR REPLACE VIEW b_view AS SELECT id, nope FROM a_view;"
        )
        let failure = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(failure.file == "Sql/app/b_view.sql")
        #expect(failure.sqlState == .undefinedColumn)
        let connection = try await TestDatabase.connect()
        let columns = try await connection.query(
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'a_view'"
        )
        #expect(columns.first?["n"] == "1")
        let status = try await migrator.status(fixture.target)
        #expect(status.entries.filter { $0.kind == "repeatable" }.map(\.state) == ["pending", "failed"])

        try fixture.write(
            "Sql/app/b_view.sql",
            "-- erpmes:requires a_view.sql\nCREATE OR REPLACE VIEW b_view AS SELECT id, qty FROM a_view;"
        )
        #expect(try await migrator.up(fixture.target) == ["Sql/app/a_view.sql", "Sql/app/b_view.sql"])
        #expect(try await migrator.status(fixture.target).exitBits == 0)
    }

    @Test("a non-empty schema without history is refused until baselined", .freshDatabase)
    func baselineRequired() async throws {
        let fixture = try await MigrationFixture()
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE legacy (id int)")
        try fixture.write("Migrations/app/V1__legacy.sql", "CREATE TABLE legacy (id int);")
        try fixture.write("Migrations/app/V2__more.sql", "ALTER TABLE legacy ADD COLUMN note text;")
        let migrator = fixture.migrator()
        let refused = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(refused.code == .refused)
        #expect(refused.hint?.contains("erpmes migrate baseline --target app --version V") == true)
        try await migrator.baseline(fixture.target, version: MigrationVersion("1")!, reason: "existing plant database")
        #expect(try await migrator.up(fixture.target) == ["Migrations/app/V2__more.sql"])
        let status = try await migrator.status(fixture.target)
        #expect(status.entries.map(\.state) == ["baseline", "applied"])
        await #expect(throws: MigrateFailure.self) {
            try await migrator.baseline(fixture.target, version: MigrationVersion("2")!, reason: nil)
        }
    }

    @Test("drift names a table altered out of band", .freshDatabase)
    func drift() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__a.sql",
            "CREATE TABLE a (id int PRIMARY KEY);\nCREATE INDEX a_idx ON a (id);"
        )
        let migrator = fixture.migrator()
        try await migrator.up(fixture.target)
        #expect(try await migrator.drift(fixture.target)?.isEmpty == true)
        let connection = try await TestDatabase.connect()
        try await connection.query("ALTER TABLE a ADD COLUMN sneaky text")
        try await connection.query("DROP INDEX a_idx")
        try await connection.query("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        let drift = try #require(try await migrator.drift(fixture.target))
        #expect(drift.changed == ["table public.a"])
        #expect(drift.removed == ["index public.a_idx"])
        #expect(drift.added == ["function public.f()"])
        #expect(try await migrator.status(fixture.target).exitBits == MigrationStatus.driftBit)
    }

    @Test("placeholders are substituted outside dollar quotes; an unknown one is an error", .freshDatabase)
    func placeholders() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__p.sql",
            "CREATE TABLE ${erpmes:table} (zone text DEFAULT '${erpmes:tz}');\n"
                + "CREATE FUNCTION keep() RETURNS text LANGUAGE sql AS $$ SELECT '${erpmes:tz}' $$;"
        )
        let unknown = try await #require(throws: MigrateFailure.self) {
            try await fixture.migrator().up(fixture.target)
        }
        #expect(unknown.message.contains("table"))
        try await fixture.migrator(placeholders: ["table": "plant", "tz": "Europe/Berlin"]).up(fixture.target)
        let connection = try await TestDatabase.connect()
        #expect(
            try await connection.query(
                "SELECT column_default FROM information_schema.columns WHERE table_name = 'plant'"
            ).first?[0] == "'Europe/Berlin'::text"
        )
        #expect(try await connection.query("SELECT keep()").first?[0] == "${erpmes:tz}")
    }

    @Test("a target that requires another's version waits for it", .freshDatabase)
    func targetRequirement() async throws {
        let fixture = try await MigrationFixture()
        let conninfo = Secret(fixture.conninfo)
        let control = MigrationTarget(name: "control", conninfo: conninfo, schemas: ["ctl"])
        let app = MigrationTarget(name: "app", conninfo: conninfo, requires: [("control", MigrationVersion("2")!)])
        try fixture.write("Migrations/control/V1__schema.sql", "CREATE SCHEMA ctl;")
        try fixture.write("Migrations/control/V2__queue.sql", "CREATE TABLE ctl.queue (id int);")
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        let migrator = fixture.migrator(targets: [control, app])
        let failure = try await #require(throws: MigrateFailure.self) { try await migrator.up(app) }
        #expect(failure.code == .requirement)
        #expect(failure.message.contains("needs target control at version 2"))
        try await migrator.up(control)
        #expect(try await migrator.up(app) == ["Migrations/app/V1__a.sql"])
    }

    @Test("server notices are shown, and application_name names the file while it runs", .freshDatabase)
    func noticesAndApplicationName() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__talk.sql",
            "DO $$ BEGIN RAISE NOTICE 'hello from %', current_setting('application_name'); END $$;"
        )
        try await fixture.migrator().up(fixture.target)
        #expect(fixture.output.contains("  NOTICE: hello from erpmes-migrate V1__talk.sql"))
    }
}

@Suite struct ReadinessTests {
    @Test("requireReady names pending files and drift, and passes once all is applied", .freshDatabase)
    func readiness() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        let migrator = fixture.migrator()
        let pending = try await #require(throws: MigrateFailure.self) {
            try await migrator.requireReady([fixture.target])
        }
        #expect(pending.message.contains("target app: Migrations/app/V1__a.sql is pending"))
        try await migrator.up(fixture.target)
        try await migrator.requireReady([fixture.target])
        let connection = try await TestDatabase.connect()
        try await connection.query("ALTER TABLE a ADD COLUMN b int")
        let drifted = try await #require(throws: MigrateFailure.self) {
            try await migrator.requireReady([fixture.target])
        }
        #expect(drifted.message.contains("target app: schema drift in table public.a"))
    }
}
