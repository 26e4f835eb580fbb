import Testing

@testable import ErpmesMigrate

@Suite struct PlaceholdersTests {
    private let placeholders = Placeholders(["schema": "app", "owner": "erp_owner", "api.key": "s3cret"])

    @Test("placeholders are substituted in code, strings and quoted identifiers")
    func substitutedOutsideDollarQuotes() throws {
        let sql =
            "CREATE TABLE ${erpmes:schema}.t (a text DEFAULT '${erpmes:owner}');\n"
            + "ALTER TABLE \"${erpmes:schema}\".t OWNER TO ${erpmes:owner}; SELECT E'${erpmes:schema}\\''"
        #expect(
            try self.placeholders.apply(to: sql, file: "V1__x.sql")
                == "CREATE TABLE app.t (a text DEFAULT 'erp_owner');\n"
                + "ALTER TABLE \"app\".t OWNER TO erp_owner; SELECT E'app\\''"
        )
    }

    @Test("placeholders inside dollar-quoted bodies and comments are left as written")
    func notSubstitutedInDollarQuotes() throws {
        let sql = """
            CREATE FUNCTION ${erpmes:schema}.f() RETURNS text LANGUAGE sql AS $body$
                SELECT '${erpmes:unknown}' || $$${erpmes:schema}$$
            $body$;
            -- ${erpmes:unknown} in a comment
            DO $$ BEGIN RAISE NOTICE '${erpmes:schema}'; END $$;
            """
        let expected = """
            CREATE FUNCTION app.f() RETURNS text LANGUAGE sql AS $body$
                SELECT '${erpmes:unknown}' || $$${erpmes:schema}$$
            $body$;
            -- ${erpmes:unknown} in a comment
            DO $$ BEGIN RAISE NOTICE '${erpmes:schema}'; END $$;
            """
        #expect(try self.placeholders.apply(to: sql) == expected)
    }

    @Test("other ${...} text is not a placeholder")
    func otherBraces() throws {
        let sql = "SELECT '${schema}', '${erpmes.schema}', ${ erpmes:schema }"
        #expect(try self.placeholders.apply(to: sql) == sql)
    }

    @Test("an unknown placeholder is an error at its line and column, listing known names but no values")
    func unknown() throws {
        let error = try #require(throws: MigrationError.self) {
            try self.placeholders.apply(to: "SELECT 1;\n  SELECT '${erpmes:scheme}';", file: "V1__x.sql")
        }
        #expect(error.code == .unknownPlaceholder)
        #expect(
            error.description
                == "V1__x.sql:2:11: unknown placeholder ${erpmes:scheme}; defined: api.key, owner, schema"
        )
        #expect(!error.description.contains("s3cret"))
    }

    @Test("with no values defined, the message says so")
    func unknownWithNoValues() throws {
        let error = try #require(throws: MigrationError.self) { try Placeholders().apply(to: "${erpmes:x}") }
        #expect(error.description == "1:1: unknown placeholder ${erpmes:x}; no placeholders are defined")
    }

    @Test(
        "a malformed placeholder is an error",
        arguments: ["SELECT ${erpmes:}", "SELECT ${erpmes:a b}", "SELECT ${erpmes:a-b}", "SELECT ${erpmes:abc"]
    )
    func malformed(sql: String) throws {
        let error = try #require(throws: MigrationError.self) {
            try self.placeholders.apply(to: sql, file: "f.sql")
        }
        #expect(error.code == .malformedPlaceholder)
        #expect(error.description == "f.sql:1:8: expected ${erpmes:<name>} with a name of letters, digits, '_' and '.'")
    }

    @Test("a substituted statement still maps server error positions to the file")
    func positionsAfterSubstitution() throws {
        let statement = try #require(try SQLSplitter.split("\nSELECT ${erpmes:owner}.a, ${erpmes:schema}.nope").first)
        let applied = try self.placeholders.apply(to: statement, file: "V1__x.sql")
        #expect(applied.text == "SELECT erp_owner.a, app.nope")
        #expect(applied.sourceText == "SELECT ${erpmes:owner}.a, ${erpmes:schema}.nope")
        let chars = Array(applied.text.unicodeScalars)
        let nope = chars.lastIndex(of: "n")! + 1  // "nope" in the sent text
        #expect(applied.location(ofCharacter: nope) == SourceLocation(line: 2, column: 44))
        // A position inside a substituted value points at the placeholder's `$`.
        let insideOwner = 10
        #expect(applied.location(ofCharacter: insideOwner) == SourceLocation(line: 2, column: 8))
        #expect(applied.location(ofCharacter: 1) == SourceLocation(line: 2, column: 1))
    }

    @Test("a statement without placeholders comes back unchanged")
    func unchanged() throws {
        let statement = try #require(try SQLSplitter.split("SELECT 1").first)
        #expect(try self.placeholders.apply(to: statement, file: "f.sql") == statement)
    }

    @Test("errors in a statement are located in the file")
    func statementErrorLocation() throws {
        let statement = try #require(try SQLSplitter.split("SELECT 1;\n\n  SELECT ${erpmes:nope}").last)
        let error = try #require(throws: MigrationError.self) {
            try self.placeholders.apply(to: statement, file: "Sql/erp/v.sql")
        }
        #expect(error.description.hasPrefix("Sql/erp/v.sql:3:10: unknown placeholder ${erpmes:nope}"))
    }
}
