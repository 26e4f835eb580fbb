import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@testable import ErpmesMigrate

@Suite struct MigratorConcurrencyTests {
    @Test("two concurrent up runs apply each file exactly once", .freshDatabase)
    func concurrentUps() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__slow.sql", "CREATE TABLE counter (n int);\nSELECT pg_sleep(0.5);")
        try fixture.write("Migrations/app/V2__bump.sql", "INSERT INTO counter VALUES (1);")
        let migrator = fixture.migrator()
        async let first = migrator.up(fixture.target)
        async let second = migrator.up(fixture.target)
        let results = try await [first, second]
        #expect(results.map(\.count).sorted() == [0, 2])
        let connection = try await TestDatabase.connect()
        #expect(try await connection.query("SELECT count(*) FROM counter").first?[0] == "1")
        #expect(try await fixture.history(connection).count == 2)
        #expect(fixture.output.contains { $0.hasPrefix("waiting for the migration lock of target app, held by pid") })
    }

    @Test("a lock wait that runs out names the holder", .freshDatabase)
    func lockWaitNamesHolder() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__a.sql", "CREATE TABLE a (id int);")
        let holder = try await TestDatabase.connect(applicationName: "dba-console")
        try await holder.query("SELECT pg_advisory_lock($1::integer, hashtext('app'))", [MigrationLock.lockClass])
        let failure = try await #require(throws: MigrateFailure.self) {
            try await fixture.migrator(lockWait: .milliseconds(600)).up(fixture.target)
        }
        #expect(failure.code == .lockTimeout)
        #expect(failure.message.contains("pid \(holder.backendPID) (application_name 'dba-console'"))
    }

    @Test(
        "a blocked ALTER TABLE times out after the default 3 s naming the blocker, then succeeds on retry",
        .freshDatabase
    )
    func lockTimeoutRetry() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write("Migrations/app/V1__t.sql", "CREATE TABLE t (id int);")
        let migrator = fixture.migrator()  // the default lock_timeout, 3 s
        try await migrator.up(fixture.target)
        try fixture.write("Migrations/app/V2__alter.sql", "ALTER TABLE t ADD COLUMN note text;")

        let blocker = try await TestDatabase.connect(applicationName: "long-report")
        try await blocker.query("BEGIN")
        try await blocker.query("SELECT count(*) FROM t")  // holds ACCESS SHARE until the transaction ends
        let release = Task {
            try await Task.sleep(for: .milliseconds(4000))
            try await blocker.query("COMMIT")
        }
        let start = ContinuousClock.now
        #expect(try await migrator.up(fixture.target) == ["Migrations/app/V2__alter.sql"])
        let elapsed = ContinuousClock.now - start
        try await release.value
        #expect(elapsed >= .seconds(3))
        let retryLine = try #require(fixture.output.first { $0.contains("lock timeout (attempt 1 of 5)") })
        #expect(retryLine.contains("blocked by pid \(blocker.backendPID) (application_name 'long-report'"))
        let connection = try await TestDatabase.connect()
        let history = try await fixture.history(connection)
        #expect(history.filter { $0.version == MigrationVersion("2") }.map(\.status).last == .applied)
        #expect(history.contains { $0.status == .failed && $0.sqlState == "55P03" })
    }

    @Test(
        "a non-transactional file failing at statement 2 is partial 1/3, resumes at 2, refuses an edited statement 1",
        .freshDatabase
    )
    func partialResume() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__t.sql",
            "CREATE TABLE t (id int, code text);\nINSERT INTO t VALUES (1, 'x'), (2, 'x');"
        )
        let concurrent = """
            -- erpmes:transaction none
            CREATE INDEX CONCURRENTLY t_id ON t (id);
            CREATE UNIQUE INDEX CONCURRENTLY t_code ON t (code);
            CREATE INDEX CONCURRENTLY t_both ON t (id, code);
            """
        try fixture.write("Migrations/app/V2__indexes.sql", concurrent)
        let migrator = fixture.migrator()
        let failure = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(failure.sqlState == .uniqueViolation)
        #expect(failure.location == SourceLocation(line: 3, column: 1))
        #expect(failure.message.contains("invalid index public.t_code"))
        #expect(failure.message.contains("(partial 1/3)"))
        let status = try await migrator.status(fixture.target)
        let entry = try #require(status.entries.last)
        #expect(entry.state == "partial")
        #expect(entry.statementsDone == 1 && entry.statementsTotal == 3)
        #expect(MigrationStatusFormatProbe.progress(entry) == "partial 1/3")

        // Editing the applied statement 1 is refused.
        try fixture.write(
            "Migrations/app/V2__indexes.sql",
            concurrent.replacingOccurrences(of: "t_id ON t (id)", with: "t_id ON t (id DESC)")
        )
        let refused = try await #require(throws: MigrateFailure.self) { try await migrator.up(fixture.target) }
        #expect(refused.code == .refused)
        #expect(refused.message.contains("statement 1 of 3 was applied and has been edited"))

        // Fixing the data (not the file) lets it resume at statement 2; the invalid index is dropped first.
        try fixture.write("Migrations/app/V2__indexes.sql", concurrent)
        let connection = try await TestDatabase.connect()
        try await connection.query("UPDATE t SET code = 'y' WHERE id = 2")
        #expect(try await migrator.up(fixture.target) == ["Migrations/app/V2__indexes.sql"])
        #expect(fixture.output.contains("resuming V2__indexes.sql at statement 2 of 3"))
        #expect(fixture.output.contains { $0.contains("dropping invalid index t_code") })
        let valid = try await connection.query(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_id', 't_code', 't_both') AND i.indisvalid"
        )
        #expect(valid.first?[0] == "3")
        #expect(try await migrator.status(fixture.target).exitBits == 0)
        let rows = try await fixture.history(connection).filter { $0.version == MigrationVersion("2") }
        #expect(rows.map(\.status) == [.partial, .failed, .partial, .applied])
    }

    @Test(
        "a file with CREATE INDEX CONCURRENTLY but no transaction directive is refused before anything runs",
        .freshDatabase
    )
    func nonTransactionalNeedsDirective() async throws {
        let fixture = try await MigrationFixture()
        try fixture.write(
            "Migrations/app/V1__t.sql",
            "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);"
        )
        let failure = try await #require(throws: MigrateFailure.self) {
            try await fixture.migrator().up(fixture.target)
        }
        #expect(failure.code == .invalid)
        #expect(failure.message.contains("Migrations/app/V1__t.sql:2:1"))
        let connection = try await TestDatabase.connect()
        #expect(try await connection.query("SELECT to_regclass('erpmes_migrate.app_history') IS NULL").first?[0] == "t")
    }
}

/// The progress text `status` prints for a partial file.
enum MigrationStatusFormatProbe {
    static func progress(_ entry: MigrationStatus.Entry) -> String {
        "\(entry.state) \(entry.statementsDone ?? 0)/\(entry.statementsTotal ?? 0)"
    }
}
