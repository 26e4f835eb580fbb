import Testing

@testable import ErpmesMigrate

@Suite struct RepeatableOrderTests {
    private func file(_ name: String, requires: [String] = []) throws -> MigrationFile {
        let header = requires.map { "-- erpmes:requires \($0)\n" }.joined()
        let sql = "-- \(name)\n" + header + "CREATE OR REPLACE VIEW v AS SELECT 1;\n"
        return try MigrationFile(name: name, folder: .repeatable, target: "erp", bytes: Array(sql.utf8))
    }

    private func order(_ files: [MigrationFile]) throws -> [String] {
        try RepeatableOrder.sorted(files).map(\.name)
    }

    @Test("independent files run in alphabetical order, whatever order they were given in")
    func alphabetical() throws {
        let files = try ["c.sql", "a.sql", "b.sql"].map { try self.file($0) }
        #expect(try self.order(files) == ["a.sql", "b.sql", "c.sql"])
    }

    @Test("each file runs after the files it requires, alphabetical where free")
    func dependencies() throws {
        let files = [
            try self.file("a_view.sql", requires: ["z_base.sql"]),
            try self.file("b_view.sql"),
            try self.file("c_view.sql", requires: ["a_view.sql", "b_view.sql"]),
            try self.file("z_base.sql"),
            try self.file("m_func.sql", requires: ["z_base.sql", "z_base.sql"]),
        ]
        #expect(try self.order(files) == ["b_view.sql", "z_base.sql", "a_view.sql", "c_view.sql", "m_func.sql"])
    }

    @Test("a cycle is an error listing its path, at the requires line that starts it")
    func cycle() throws {
        let files = [
            try self.file("a.sql", requires: ["b.sql"]),
            try self.file("b.sql", requires: ["c.sql"]),
            try self.file("c.sql", requires: ["a.sql"]),
            try self.file("d.sql", requires: ["a.sql"]),
        ]
        let error = try #require(throws: MigrationError.self) { try RepeatableOrder.sorted(files) }
        #expect(error.code == .dependencyCycle)
        #expect(error.description == "Sql/erp/a.sql:2:1: requires form a cycle: a.sql -> b.sql -> c.sql -> a.sql")
    }

    @Test("a file that requires itself is a cycle of one")
    func selfCycle() throws {
        let error = try #require(throws: MigrationError.self) {
            try RepeatableOrder.sorted([try self.file("a.sql", requires: ["a.sql"])])
        }
        #expect(error.message == "requires form a cycle: a.sql -> a.sql")
    }

    @Test("a cycle reached from a file outside it lists only the cycle")
    func cycleBehindAFile() throws {
        let files = [
            try self.file("a.sql", requires: ["x.sql"]),
            try self.file("x.sql", requires: ["y.sql"]),
            try self.file("y.sql", requires: ["x.sql"]),
        ]
        let error = try #require(throws: MigrationError.self) { try RepeatableOrder.sorted(files) }
        #expect(error.description == "Sql/erp/x.sql:2:1: requires form a cycle: x.sql -> y.sql -> x.sql")
    }

    @Test("a missing reference is an error naming the file, the line and the missing name")
    func missing() throws {
        let files = [try self.file("a.sql"), try self.file("b.sql", requires: ["a.sql", "gone.sql"])]
        let error = try #require(throws: MigrationError.self) { try RepeatableOrder.sorted(files) }
        #expect(error.code == .missingDependency)
        #expect(error.description == "Sql/erp/b.sql:3:1: requires gone.sql, which is not in Sql/erp/")
    }
}
