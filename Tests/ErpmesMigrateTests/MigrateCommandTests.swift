import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Testing

@testable import ErpmesMigrate

/// The `erpmes migrate` command line, run as a process: exit codes, JSON, plan, and kill -9.
@Suite struct MigrateCommandTests {
    func migrate(_ fixture: MigrationFixture, _ arguments: [String]) async throws -> ErpmesProcess.Result {
        try await ErpmesProcess.run(
            ["migrate"] + arguments + [
                "--target", "app", "--conninfo", fixture.conninfo, "--dir", fixture.directory.path,
            ]
        )
    }

    @Test("status exit codes combine as a bitmap: 0 clean, 1 pending, 2 invalid, 4 failed", .freshDatabase)
    func statusExitCodes() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        #expect(try await self.migrate(fixture, ["status"]).status == 1)
        let up = try await self.migrate(fixture, ["up"])
        #expect(up.status == 0)
        #expect(up.stdout.contains("target app: applied 1 file(s)"))
        #expect(try await self.migrate(fixture, ["status"]).status == 0)
        try fixture.write("Migrations/app/V2__bad.sql", "SELECT 1/0;")
        let failed = try await self.migrate(fixture, ["up"])
        #expect(failed.status == 4)
        #expect(failed.stderr.contains("Migrations/app/V2__bad.sql:1:1: ERROR 22012: division by zero"))
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id bigint);")
        try fixture.write("Migrations/app/V3__c.sql", "SELECT 1;")
        #expect(try await self.migrate(fixture, ["status"]).status == 1 | 2 | 4)
        #expect(try await self.migrate(fixture, ["validate"]).status == 2 | 4)
        try fixture.write("Migrations/app/V1_x.sql", "SELECT 1;")
        let misnamed = try await self.migrate(fixture, ["validate"])
        #expect(misnamed.stdout.contains("V1_x.sql"))
        #expect(misnamed.status & 2 == 2)
    }

    @Test("status --json matches the golden file", .freshDatabase)
    func statusJSONGolden() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__items.sql", "CREATE TABLE item (code text PRIMARY KEY);\n")
        try fixture.write("Migrations/app/V2__orders.sql", "CREATE TABLE orders (id int);\n")
        try fixture.write("Sql/app/item_view.sql", "CREATE OR REPLACE VIEW item_view AS SELECT code FROM item;\n")
        #expect(try await self.migrate(fixture, ["up", "--to", "1"]).status == 0)
        let result = try await self.migrate(fixture, ["status", "--json"])
        #expect(result.status == 1)
        // Timestamps vary from run to run; everything else is pinned.
        let normalised = result.stdout.replacingOccurrences(
            of: #""appliedAt" : "[^"]*""#,
            with: #""appliedAt" : "<time>""#,
            options: .regularExpression
        )
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Golden/status-pending.json"
        )
        #expect(normalised == (try String(contentsOf: golden, encoding: .utf8)))
    }

    @Test("plan piped to psql on a clone gives the same schema and history as up", .freshDatabase)
    func planRunsInPsql() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__items.sql",
            "CREATE TABLE item (code text PRIMARY KEY, name text);\nCOMMENT ON TABLE item IS 'it''s items';"
        )
        try fixture.write(
            "Migrations/app/V2__index.sql",
            "-- erpmes:transaction none\nCREATE INDEX CONCURRENTLY item_name ON item (name);\n"
        )
        try fixture.write(
            "Sql/app/f.sql",
            "CREATE OR REPLACE FUNCTION item_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM item $$;"
        )
        let clone = try await TestCluster.shared.createDatabase()
        let plan = try await self.migrate(fixture, ["plan"])
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("BEGIN;\nSELECT set_config('lock_timeout', '3000ms', true);\nCREATE TABLE item"))
        let endpoint = try await TestCluster.shared.current()
        let psql = (endpoint.binDirectory ?? "/usr/lib/postgresql/15/bin") + "/psql"
        // psql -f, not a pipe: a server started by a parallel test could inherit the pipe's write end.
        let planFile = fixture.directory.appendingPathComponent("plan.sql")
        try Data(plan.stdout.utf8).write(to: planFile)
        let replay = try ChildProcess.spawn(
            psql,
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", endpoint.socketDirectory, "-p", "\(endpoint.port)", "-U",
                "postgres", "-d", clone, "-f", planFile.path,
            ]
        )
        #expect(try await replay.wait() == .exited(0))
        #expect(try await self.migrate(fixture, ["up"]).status == 0)

        let cloneConnection = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(try await TestCluster.shared.conninfo(database: clone))),
            logger: .init(label: "test")
        )
        let upConnection = try await TestDatabase.connect()
        let viaPlan = try await CatalogFingerprint.live(schemas: ["public"], on: cloneConnection)
        let viaUp = try await CatalogFingerprint.live(schemas: ["public"], on: upConnection)
        #expect(viaPlan == viaUp)
        #expect(viaPlan.objects.keys.contains("index public.item_name"))
        let historyQuery =
            "SELECT version, kind, script, checksum, status FROM erpmes_migrate.app_history ORDER BY attempt"
        let planHistory = try await cloneConnection.query(historyQuery).map { [$0[0], $0[1], $0[2], $0[3], $0[4]] }
        let upHistory = try await upConnection.query(historyQuery).map { [$0[0], $0[1], $0[2], $0[3], $0[4]] }
        #expect(planHistory == upHistory)
        // The clone is fully migrated: status there is clean.
        let cloneStatus = try await ErpmesProcess.run([
            "migrate", "status", "--target", "app", "--dir", fixture.directory.path, "--conninfo",
            try await TestCluster.shared.conninfo(database: clone),
        ])
        #expect(cloneStatus.status == 0)
        await cloneConnection.close()
        try await TestCluster.shared.dropDatabase(clone)
    }

    @Test("kill -9 during a 10 s transactional migration leaves nothing to clean up; up then succeeds", .freshDatabase)
    func killDuringMigration() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__slow.sql",
            "CREATE TABLE slow (id int);\nSELECT pg_sleep(10);\nINSERT INTO slow VALUES (1);"
        )
        let process = try ErpmesProcess.start([
            "migrate", "up", "--target", "app", "--conninfo", fixture.conninfo, "--dir", fixture.directory.path,
        ])
        let watcher = try await TestDatabase.connect()
        var sleeping = false
        for _ in 0..<100 where !sleeping {
            try await Task.sleep(for: .milliseconds(100))
            let rows = try await watcher.query(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(10)%' AND datname = current_database()"
            )
            sleeping = rows.first?[0] == "1"
        }
        #expect(sleeping)
        process.kill(SIGKILL)
        #expect(try await process.wait() == .signalled(SIGKILL))

        try fixture.write(
            "Migrations/app/V1__slow.sql",
            "CREATE TABLE slow (id int);\nSELECT pg_sleep(0.1);\nINSERT INTO slow VALUES (1);"
        )
        let start = ContinuousClock.now
        let up = try await self.migrate(fixture, ["up"])
        #expect(up.status == 0, "\(up.stderr)")
        // The orphaned backend notices its client is gone within about a second and frees the lock.
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(try await watcher.query("SELECT count(*) FROM slow").first?[0] == "1")
        let history = try await fixture.history(watcher)
        #expect(history.map(\.status) == [.applied])
    }

    @Test(
        "a configuration file names targets; --target all runs them in order; ERPMES_ variables override",
        .freshDatabase
    )
    func configuration() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "db/Migrations/control/V1__schema.sql",
            "CREATE SCHEMA ctl;\nCREATE TABLE ctl.queue (id int);"
        )
        try fixture.write(
            "db/Migrations/app/V1__a.sql",
            "-- erpmes:requires-target control >= 1\nCREATE TABLE a (tz text DEFAULT '${erpmes:tz}');"
        )
        try fixture.write(
            "erpmes.toml",
            """
            [migrate]
            dir = "db"
            order = ["control", "app"]
            lock_timeout = "2s"

            [migrate.placeholders]
            tz = "Europe/Berlin"

            [migrate.targets.control]
            conninfo = "dbname=wrong"
            schemas = ["ctl"]

            [migrate.targets.app]
            conninfo = "\(fixture.conninfo)"
            """
        )
        let config = fixture.directory.appendingPathComponent("erpmes.toml").path
        let up = try await ErpmesProcess.run(
            ["migrate", "up", "--config", config],
            environment: ["ERPMES_MIGRATE_TARGETS_CONTROL_CONNINFO": fixture.conninfo]
        )
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("target control: applied 1 file(s)\n"))
        #expect(up.stdout.contains("target app: applied 1 file(s)"))
        let connection = try await TestDatabase.connect()
        #expect(
            try await connection.query("SELECT column_default FROM information_schema.columns WHERE table_name = 'a'")
                .first?[0] == "'Europe/Berlin'::text"
        )

        try fixture.write("erpmes.toml", "[migrate]\ndir = \"db\"\n\n[migrate.targets.app]\nconinfo = \"x\"\n")
        let bad = try await ErpmesProcess.run(["migrate", "status", "--config", config])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("erpmes.toml:5:1"))
        #expect(bad.stderr.contains("migrate.targets.app.coninfo"))
        #expect(bad.stderr.contains("conninfo"))
    }

    @Test("erpmes run refuses to start while a configured migration is pending, and names it", .freshDatabase)
    func runRefusesPending() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("db/Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        try fixture.write(
            "erpmes.toml",
            """
            [migrate]
            dir = "db"

            [migrate.targets.app]
            conninfo = "\(fixture.conninfo)"

            [links.plant1]
            erp = "\(fixture.conninfo)"
            mes = "\(fixture.conninfo)"
            """
        )
        let config = fixture.directory.appendingPathComponent("erpmes.toml").path
        let refused = try await ErpmesProcess.run(["run", "--config", config])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("target app: Migrations/app/V1__a.sql is pending"))
        #expect(refused.stderr.contains("erpmes migrate up"))
    }

    @Test("repair mark-applied needs --reason and records a row; the version then counts as applied", .freshDatabase)
    func repairCommand() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        try fixture.write("Migrations/app/V2__by_hand.sql", "CREATE TABLE b (id int);")
        #expect(try await self.migrate(fixture, ["up", "--to", "1"]).status == 0)
        let missingReason = try await self.migrate(fixture, ["repair", "mark-applied", "V2"])
        #expect(missingReason.status == 64)
        #expect(missingReason.stderr.contains("--reason"))
        let repaired = try await self.migrate(
            fixture,
            ["repair", "mark-applied", "V2", "--reason", "applied by hand in ticket 42"]
        )
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(try await self.migrate(fixture, ["status"]).status == 0)
        let connection = try await TestDatabase.connect()
        let rows = try await fixture.history(connection)
        #expect(rows.last?.status == .markedApplied)
        #expect(rows.last?.reason == "applied by hand in ticket 42")
        #expect(try await connection.query("SELECT to_regclass('public.b') IS NULL").first?[0] == "t")
    }

    @Test("new creates the next versioned file, which then validates as pending")
    func newFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-new-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await ErpmesProcess.run(["migrate", "new", "erp", "Create items!", "--dir", directory.path])
        #expect(first.status == 0)
        #expect(first.stdout.hasSuffix("Migrations/erp/V1__create_items.sql\n"))
        let second = try await ErpmesProcess.run(["migrate", "new", "erp", "add lot expiry", "--dir", directory.path])
        #expect(second.stdout.hasSuffix("Migrations/erp/V2__add_lot_expiry.sql\n"))
        let catalog = try MigrationCatalog.load(directory: directory, target: "erp")
        #expect(catalog.versioned.map(\.description) == ["create items", "add lot expiry"])
        let empty = try await ErpmesProcess.run(["migrate", "new", "erp", "!!!", "--dir", directory.path])
        #expect(empty.status == 2)
    }

    @Test("--help explains the command and its exit codes")
    func help() async throws {
        let result = try await ErpmesProcess.run(["migrate", "status", "--help"])
        #expect(result.status == 0)
        let text = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("0 up to date, 1 pending, 2 invalid, 4 failed or partial, 8 drift"))
        let usage = try await ErpmesProcess.run(["migrate", "up"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--config FILE"))
    }
}
