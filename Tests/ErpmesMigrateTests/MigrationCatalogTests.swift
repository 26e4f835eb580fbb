import Foundation
import Testing

@testable import ErpmesMigrate

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
private struct TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ text: String) throws {
        try self.write(path, bytes: Array(text.utf8))
    }

    func write(_ path: String, bytes: [UInt8]) throws {
        let file = self.url.appendingPathComponent(path)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(bytes).write(to: file)
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.url)
    }
}

@Suite struct MigrationCatalogTests {
    @Test("versioned files load in version order and repeatables in dependency order; READMEs and dotfiles are skipped")
    func loadsBothFolders() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("Migrations/erp/V10__ten.sql", "SELECT 10;")
        try dir.write("Migrations/erp/V2__two.sql", "SELECT 2;")
        try dir.write("Migrations/erp/V1_5__one_and_a_half.sql", "SELECT 1.5;")
        try dir.write("Migrations/erp/README.md", "# notes")
        try dir.write("Migrations/erp/.gitkeep", "")
        try dir.write("Sql/erp/a_view.sql", "-- erpmes:requires b_base.sql\nCREATE OR REPLACE VIEW a AS SELECT 1;")
        try dir.write("Sql/erp/b_base.sql", "CREATE OR REPLACE VIEW b AS SELECT 1;")
        try dir.write("Sql/erp/README", "notes")
        try dir.write("Migrations/mes/V1__other_target.sql", "SELECT 1;")

        let catalog = try MigrationCatalog.load(directory: dir.url, target: "erp")
        #expect(catalog.target == "erp")
        #expect(catalog.versioned.map(\.name) == ["V1_5__one_and_a_half.sql", "V2__two.sql", "V10__ten.sql"])
        #expect(catalog.versioned.map(\.description) == ["one and a half", "two", "ten"])
        #expect(catalog.repeatables.map(\.path) == ["Sql/erp/b_base.sql", "Sql/erp/a_view.sql"])
    }

    @Test("missing folders are empty, not errors")
    func missingFolders() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let scan = MigrationCatalog.scan(directory: dir.url, target: "erp")
        #expect(scan.problems.isEmpty)
        #expect(scan.catalog.versioned.isEmpty)
        #expect(scan.catalog.repeatables.isEmpty)
    }

    @Test("every misnamed, foreign or nested file is reported, never ignored")
    func everyProblemReported() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["V1_foo.sql", "v1__x.sql", "V__x.sql", "V1__.sql", "notes.txt", "V2__ok.sql"] {
            try dir.write("Migrations/erp/\(name)", "SELECT 1;")
        }
        try dir.write("Migrations/erp/old/V0__x.sql", "SELECT 1;")
        try dir.write("Sql/erp/view.sql.bak", "SELECT 1;")

        let scan = MigrationCatalog.scan(directory: dir.url, target: "erp")
        #expect(
            scan.problems.map(\.description) == [
                "Migrations/erp/V1__.sql: missing description after the two underscores: V1__<description>.sql",
                "Migrations/erp/V1_foo.sql: expected two underscores after the version: V1__foo.sql",
                "Migrations/erp/V__x.sql: missing version after V: expected V<version>__<description>.sql, e.g."
                    + " V1__x.sql",
                "Migrations/erp/notes.txt: only V<version>__<description>.sql files, README.md and dotfiles belong"
                    + " in Migrations/erp/",
                "Migrations/erp/old: subfolders are not read; move its files into Migrations/erp/ or move it out",
                "Migrations/erp/v1__x.sql: a versioned migration starts with an uppercase V: V1__x.sql",
                "Sql/erp/view.sql.bak: only <name>.sql files, README.md and dotfiles belong in Sql/erp/",
            ]
        )
        #expect(scan.catalog.versioned.map(\.name) == ["V2__ok.sql"])
        let error = try #require(throws: MigrationError.self) {
            try MigrationCatalog.load(directory: dir.url, target: "erp")
        }
        #expect(error == scan.problems[0])
    }

    @Test("V1__a.sql and V1.0__b.sql are a duplicate version, and the error names both")
    func duplicateVersions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("Migrations/erp/V1__a.sql", "SELECT 1;")
        try dir.write("Migrations/erp/V1.0__b.sql", "SELECT 2;")
        try dir.write("Migrations/erp/V2__c.sql", "SELECT 3;")
        let error = try #require(throws: MigrationError.self) {
            try MigrationCatalog.load(directory: dir.url, target: "erp")
        }
        #expect(error.code == .duplicateVersion)
        #expect(
            error.description
                == "Migrations/erp/V1.0__b.sql: duplicate version 1.0: V1.0__b.sql and V1__a.sql have the same"
                + " version; renumber one of them"
        )
    }

    @Test("CRLF and BOM copies of a file load with the checksum of the LF original")
    func lineEndingsAndBOM() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lf = "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\n"
        try dir.write("Migrations/erp/V1__lf.sql", lf)
        try dir.write("Migrations/erp/V2__crlf.sql", lf.split(separator: "\n").map { $0 + "\r\n" }.joined())
        try dir.write("Migrations/erp/V3__bom.sql", bytes: [0xEF, 0xBB, 0xBF] + Array(lf.utf8))
        let catalog = try MigrationCatalog.load(directory: dir.url, target: "erp")
        #expect(Set(catalog.versioned.map(\.checksum)).count == 1)
        #expect(catalog.versioned[2].statements.first?.location == SourceLocation(line: 1, column: 1))
        #expect(catalog.versioned[1].statements.map(\.text) == catalog.versioned[0].statements.map(\.text))
    }

    @Test("dependency errors of repeatables are reported by the catalog")
    func dependencyProblems() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("Sql/erp/a.sql", "-- erpmes:requires b.sql\nSELECT 1;")
        try dir.write("Sql/erp/b.sql", "-- erpmes:requires a.sql\nSELECT 1;")
        let scan = MigrationCatalog.scan(directory: dir.url, target: "erp")
        let descriptions = scan.problems.map(\.description)
        #expect(descriptions == ["Sql/erp/a.sql:1:1: requires form a cycle: a.sql -> b.sql -> a.sql"])
        #expect(scan.catalog.repeatables.map(\.name) == ["a.sql", "b.sql"])
    }

    @Test("a bad file's content error carries its path, line and column")
    func contentProblem() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("Migrations/erp/V1__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);")
        let error = try #require(throws: MigrationError.self) {
            try MigrationCatalog.load(directory: dir.url, target: "erp")
        }
        #expect(error.code == .nonTransactionalStatement)
        #expect(error.file == "Migrations/erp/V1__idx.sql")
        #expect(error.line == 1)
        #expect(error.column == 1)
    }

    @Test("a target name that is not a plain folder name is refused")
    func invalidTarget() {
        let scan = MigrationCatalog.scan(directory: URL(fileURLWithPath: "/nonexistent"), target: "../etc")
        #expect(scan.problems.map(\.code) == [.invalidTarget])
        #expect(scan.problems.first?.description == "../etc: a target name may hold only letters, digits, '_' and '-'")
    }

    @Test("a file where a target folder should be is an error")
    func folderIsAFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("Sql/erp", "oops")
        let scan = MigrationCatalog.scan(directory: dir.url, target: "erp")
        #expect(scan.problems.map(\.description) == ["Sql/erp: not a folder"])
    }

    @Test("a catalog built from files read elsewhere checks duplicates and orders repeatables")
    func fromFiles() throws {
        let files = [
            try MigrationFile(name: "V2__b.sql", folder: .versioned, target: "erp", bytes: Array("SELECT 1;".utf8)),
            try MigrationFile(name: "V1__a.sql", folder: .versioned, target: "erp", bytes: Array("SELECT 1;".utf8)),
        ]
        let catalog = try MigrationCatalog(target: "erp", files: files)
        #expect(catalog.versioned.map(\.name) == ["V1__a.sql", "V2__b.sql"])
        let duplicate = try MigrationFile(name: "V01__c.sql", folder: .versioned, target: "erp", bytes: [])
        let error = try #require(throws: MigrationError.self) {
            try MigrationCatalog(target: "erp", files: files + [duplicate])
        }
        #expect(error.code == .duplicateVersion)
    }
}
