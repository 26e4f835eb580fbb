import Testing

@testable import ErpmesMigrate

@Suite struct MigrationFileTests {
    private func file(_ name: String, _ sql: String, in folder: MigrationFolder = .versioned) throws -> MigrationFile {
        try MigrationFile(name: name, folder: folder, target: "erp", bytes: Array(sql.utf8))
    }

    private func error(_ name: String, _ sql: String, in folder: MigrationFolder = .versioned) -> MigrationError? {
        #expect(throws: MigrationError.self) { try self.file(name, sql, in: folder) }
    }

    @Test("a versioned file knows its version, description, path, checksum and statements")
    func versionedFile() throws {
        let sql = "CREATE TABLE orders (id int);\nCOMMENT ON TABLE orders IS 'x';"
        let file = try self.file("V1_1__add_orders.sql", sql)
        #expect(file.version == MigrationVersion("1.1"))
        #expect(file.kind == .versioned(MigrationVersion("1.1")!))
        #expect(file.description == "add orders")
        #expect(file.path == "Migrations/erp/V1_1__add_orders.sql")
        #expect(file.checksum == Checksum(of: sql))
        #expect(file.statements.map(\.text) == ["CREATE TABLE orders (id int)", "COMMENT ON TABLE orders IS 'x'"])
        #expect(file.runsInTransaction)
        #expect(file.directives == MigrationDirectives())
    }

    @Test("directives are read from header and body; requires may repeat")
    func directives() throws {
        let sql = """
            -- erpmes.order_view: what it is for.
            -- erpmes:requires base_view.sql
            CREATE OR REPLACE VIEW order_view AS SELECT 1 AS a;
              --erpmes:requires   other view.sql
            -- erpmes:lock_timeout 10s
            -- erpmes:requires-target mes >= 3.1
            """
        let file = try self.file("order_view.sql", sql, in: .repeatable)
        #expect(file.kind == .repeatable)
        #expect(file.version == nil)
        #expect(file.description == "order_view")
        #expect(file.directives.requires.map(\.name) == ["base_view.sql", "other view.sql"])
        #expect(file.directives.requires.map(\.location) == [.init(line: 2, column: 1), .init(line: 4, column: 3)])
        #expect(file.directives.lockTimeout == LockTimeout(milliseconds: 10_000))
        #expect(file.directives.requiredTargets.map(\.target) == ["mes"])
        #expect(file.directives.requiredTargets.first?.minimumVersion == MigrationVersion("3.1"))
    }

    @Test("an unknown directive is an error at its line and column")
    func unknownDirective() {
        let error = self.error("V1__x.sql", "SELECT 1;\n  -- erpmes:transactions none\n")
        #expect(error?.code == .unknownDirective)
        #expect(
            error?.description
                == "Migrations/erp/V1__x.sql:2:3: unknown directive 'erpmes:transactions'; known directives:"
                + " lock_timeout, requires, requires-target, transaction"
        )
    }

    @Test(
        "a known directive with a bad value is an error at its line",
        arguments: [
            ("-- erpmes:transaction off", "expected '-- erpmes:transaction none', found 'off'"),
            (
                "-- erpmes:lock_timeout 10 seconds",
                "expected a lock_timeout such as 500ms, 10s or 1min, found '10 seconds'"
            ),
            ("-- erpmes:lock_timeout", "expected a lock_timeout such as 500ms, 10s or 1min, found ''"),
            ("-- erpmes:requires other", "expected one file name ending in .sql, as in '-- erpmes:requires other.sql'"),
            (
                "-- erpmes:requires-target mes > 3",
                "expected '-- erpmes:requires-target <target> >= <version>', found 'mes > 3'"
            ),
        ]
    )
    func invalidDirective(line: String, message: String) {
        let error = self.error("view.sql", "SELECT 1;\n\(line)\n", in: .repeatable)
        #expect(error?.code == .invalidDirective)
        #expect(error?.description == "Sql/erp/view.sql:2:1: \(message)")
    }

    @Test("directives inside strings, block comments and dollar quotes are not read")
    func directivesOnlyInLineComments() throws {
        let sql = "SELECT '-- erpmes:bogus';\n/* -- erpmes:bogus */\nDO $$ BEGIN -- erpmes:bogus\nEND $$;"
        #expect(try self.file("V1__x.sql", sql).directives == MigrationDirectives())
    }

    @Test("requires in a versioned file and transaction none in a repeatable are errors")
    func directiveForWrongKind() {
        let requires = self.error("V1__x.sql", "-- erpmes:requires a.sql\nSELECT 1;")
        #expect(requires?.code == .invalidDirective)
        #expect(
            requires?.description
                == "Migrations/erp/V1__x.sql:1:1: 'requires' is for repeatable files in Sql/; versioned files run in"
                + " version order"
        )
        let none = self.error("a.sql", "SELECT 1;\n-- erpmes:transaction none", in: .repeatable)
        #expect(none?.code == .invalidDirective)
        #expect(none?.line == 2)
    }

    @Test("a non-transactional statement without transaction none is an error naming file:line:col and kind")
    func nonTransactionalNeedsDirective() {
        let error = self.error("V3__idx.sql", "CREATE TABLE t (a int);\n\n   CREATE INDEX CONCURRENTLY i ON t (a);")
        #expect(error?.code == .nonTransactionalStatement)
        #expect(
            error?.description
                == "Migrations/erp/V3__idx.sql:3:4: CREATE INDEX CONCURRENTLY cannot run inside a transaction block;"
                + " add '-- erpmes:transaction none' to the file to send its statements one at a time"
        )
    }

    @Test("a transaction none file may hold non-transactional statements and its own BEGIN/COMMIT")
    func transactionNoneAllows() throws {
        let sql = "-- erpmes:transaction none\nCREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;\nBEGIN;\nCOMMIT;"
        let file = try self.file("V3__idx.sql", sql)
        #expect(!file.runsInTransaction)
        #expect(file.statements.count == 4)
    }

    @Test("ALTER TYPE ... ADD VALUE is reported in a transactional file")
    func addValueReported() {
        let error = self.error("V4__mood.sql", "ALTER TYPE mood ADD VALUE 'meh';\nSELECT 'meh'::mood;")
        #expect(error?.code == .nonTransactionalStatement)
        #expect(error?.message.hasPrefix("ALTER TYPE ... ADD VALUE cannot run inside a transaction block") == true)
    }

    @Test("COMMIT in a transactional file is an error: it would commit the history row early")
    func transactionControlRefused() {
        let error = self.error("V5__x.sql", "INSERT INTO t VALUES (1);\nCOMMIT;")
        #expect(error?.code == .transactionControl)
        #expect(
            error?.description
                == "Migrations/erp/V5__x.sql:2:1: transaction control (BEGIN, COMMIT, ROLLBACK) would end the"
                + " transaction erpmes runs this file and its history row in; remove it"
        )
    }

    @Test("a repeatable file with a non-transactional statement is an error")
    func repeatableNonTransactional() {
        let error = self.error("maintenance.sql", "VACUUM;", in: .repeatable)
        #expect(error?.code == .nonTransactionalStatement)
        #expect(
            error?.message
                == "VACUUM cannot run inside a transaction block, and repeatable files all run in one; move it to a"
                + " versioned migration with '-- erpmes:transaction none'"
        )
    }

    @Test("an unterminated quote is reported with the file's path")
    func unterminatedInFile() {
        let error = self.error("V1__x.sql", "SELECT 1;\nSELECT $$;")
        #expect(error?.description == "Migrations/erp/V1__x.sql:2:8: unterminated dollar-quoted string $$")
    }

    @Test("a file that is not UTF-8 is an error naming the line of the bad byte")
    func invalidUTF8() {
        let bytes = Array("SELECT 1;\nSELECT '".utf8) + [0xE9] + Array("';\n".utf8)  // é in Latin-1
        let error = #expect(throws: MigrationError.self) {
            try MigrationFile(name: "V1__x.sql", folder: .versioned, target: "erp", bytes: bytes)
        }
        #expect(error?.code == .invalidEncoding)
        #expect(error?.description == "Migrations/erp/V1__x.sql:2: the file is not valid UTF-8; save it as UTF-8")
    }

    @Test(
        "lock_timeout accepts ms, s and min, a bare number of milliseconds, and 0",
        arguments: [("500ms", 500), ("10s", 10_000), ("2min", 120_000), ("250", 250), ("3 s", 3000), ("0", 0)]
    )
    func lockTimeout(text: String, milliseconds: Int) throws {
        let timeout = try #require(LockTimeout(parsing: text))
        #expect(timeout.milliseconds == milliseconds)
        #expect(timeout.settingValue == "\(milliseconds)ms")
        #expect(timeout.duration == .milliseconds(milliseconds))
    }

    @Test("lock_timeout refuses other units, fractions, negatives and values PostgreSQL cannot hold")
    func lockTimeoutInvalid() {
        for text in ["10h", "1.5s", "-1s", "s", "", "10 sec", "36000min", "99999999999999ms"] {
            #expect(LockTimeout(parsing: text) == nil, "\(text)")
        }
    }
}
