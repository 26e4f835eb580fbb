import Testing

@testable import ErpmesMigrate

@Suite struct MigrationFileNameTests {
    @Test(
        "versioned names carry a version and a description with underscores shown as spaces",
        arguments: [
            ("V1__init.sql", "1", "init"),
            ("V1.1__add_orders.sql", "1.1", "add orders"),
            ("V2_1__add-items table.sql", "2.1", "add-items table"),
            ("V20240131120000__Big_Change_2.sql", "20240131120000", "Big Change 2"),
        ]
    )
    func versioned(name: String, version: String, description: String) throws {
        let parsed = try MigrationFileName.parse(name, in: .versioned, target: "erp")
        #expect(parsed == .versioned(MigrationVersion(version)!, description: description))
        guard case .versioned(let parsedVersion, _) = parsed else { return }
        #expect(parsedVersion.description == version)
    }

    @Test(
        "every malformed versioned name is an error that names the file and what is wrong",
        arguments: [
            ("V1_foo.sql", "expected two underscores after the version: V1__foo.sql"),
            ("v1__x.sql", "a versioned migration starts with an uppercase V: V1__x.sql"),
            ("V__x.sql", "missing version after V: expected V<version>__<description>.sql, e.g. V1__x.sql"),
            ("V1__.sql", "missing description after the two underscores: V1__<description>.sql"),
            ("V1.sql", "missing description: expected V1__<description>.sql"),
            ("V1___x.sql", "expected exactly two underscores after the version: V1__x.sql"),
            ("V2_1_x.sql", "expected two underscores after the version: V2_1__x.sql"),
            (
                "V1.x__y.sql",
                "expected two underscores after the version 1, found '.'; versions are digits separated by single"
                    + " '.' or '_' (V1, V1.1, V2_1)"
            ),
            ("V1__a.b.sql", "the description may hold only letters, digits, spaces, '_' and '-', not '.'"),
            ("V1__café.sql", "the description may hold only letters, digits, spaces, '_' and '-', not 'é'"),
            ("R__views.sql", "expected V<version>__<description>.sql; repeatable files belong in Sql/erp/"),
            ("init.sql", "expected V<version>__<description>.sql; repeatable files belong in Sql/erp/"),
        ]
    )
    func invalidVersioned(name: String, message: String) {
        let error = #expect(throws: MigrationError.self) {
            try MigrationFileName.parse(name, in: .versioned, target: "erp")
        }
        #expect(error?.code == .invalidFileName)
        #expect(error?.description == "Migrations/erp/\(name): \(message)")
    }

    @Test("an uppercase .SQL extension is an error, not another kind of file")
    func uppercaseExtension() {
        let error = #expect(throws: MigrationError.self) {
            try MigrationFileName.parse("V1__x.SQL", in: .versioned, target: "erp")
        }
        #expect(error?.code == .invalidFileName)
        #expect(error?.message == "the extension must be lowercase .sql: V1__x.sql")
    }

    @Test("files that are not SQL are errors, except README.md, README and dotfiles")
    func otherFiles() throws {
        for name in ["README.md", "README", ".gitkeep", ".DS_Store"] {
            #expect(try MigrationFileName.parse(name, in: .versioned, target: "erp") == .ignored)
            #expect(try MigrationFileName.parse(name, in: .repeatable, target: "erp") == .ignored)
        }
        let versioned = #expect(throws: MigrationError.self) {
            try MigrationFileName.parse("notes.txt", in: .versioned, target: "erp")
        }
        #expect(versioned?.code == .unexpectedFile)
        #expect(
            versioned?.description
                == "Migrations/erp/notes.txt: only V<version>__<description>.sql files, README.md and dotfiles belong"
                + " in Migrations/erp/"
        )
        let repeatable = #expect(throws: MigrationError.self) {
            try MigrationFileName.parse("V1__x.sql.orig", in: .repeatable, target: "mes")
        }
        #expect(
            repeatable?.description
                == "Sql/mes/V1__x.sql.orig: only <name>.sql files, README.md and dotfiles belong in Sql/mes/"
        )
    }

    @Test("any .sql name is a repeatable in Sql/, but a versioned-looking one is refused there")
    func repeatables() throws {
        let batch = try MigrationFileName.parse("apply_batch.sql", in: .repeatable, target: "erp")
        #expect(batch == .repeatable(description: "apply_batch"))
        let oneUnderscore = try MigrationFileName.parse("V1_x.sql", in: .repeatable, target: "erp")
        #expect(oneUnderscore == .repeatable(description: "V1_x"))
        let error = #expect(throws: MigrationError.self) {
            try MigrationFileName.parse("V3__view.sql", in: .repeatable, target: "erp")
        }
        #expect(error?.code == .invalidFileName)
        #expect(
            error?.description
                == "Sql/erp/V3__view.sql: named like a versioned migration; move it to Migrations/erp/ or rename it"
        )
    }
}
