import Testing

@testable import ErpmesMigrate

@Suite struct SQLSplitterTests {
    private func texts(_ sql: String) throws -> [String] {
        try SQLSplitter.split(sql).map(\.text)
    }

    @Test("semicolons separate statements; text is trimmed and has no terminating semicolon")
    func basicSplit() throws {
        #expect(try self.texts("SELECT 1;\n  SELECT 2  ;\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"])
    }

    @Test("each statement knows its line, column, scalar offset and UTF-8 offset")
    func locations() throws {
        let statements = try SQLSplitter.split("SELECT 'é';\n\n  SELECT 2;")
        #expect(statements.map(\.number) == [1, 2])
        #expect(statements[1].location == SourceLocation(line: 3, column: 3))
        #expect(statements[1].line == 3)
        #expect(statements[1].column == 3)
        #expect(statements[1].offset == 15)
        #expect(statements[1].utf8Offset == 16)  // é is two bytes
    }

    @Test("semicolons in line comments and nested block comments do not split")
    func comments() throws {
        let sql = """
            -- a; b
            SELECT 1 /* outer ; /* inner ; */ still ; comment */ + 1;
            SELECT 2 -- trailing; comment
            ;
            """
        #expect(try self.texts(sql) == ["SELECT 1 /* outer ; /* inner ; */ still ; comment */ + 1", "SELECT 2"])
    }

    @Test("a statement made only of comments and whitespace is dropped")
    func commentOnlyStatementsDropped() throws {
        let statements = try SQLSplitter.split("-- header\n;\n/* nothing */ ;;\nSELECT 1;\n-- trailing comment\n")
        #expect(statements.map(\.text) == ["SELECT 1"])
        #expect(statements[0].number == 1)
        #expect(statements[0].location == SourceLocation(line: 4, column: 1))
    }

    @Test("leading comments are not part of the statement; its location is its first keyword")
    func leadingCommentsSkipped() throws {
        let statements = try SQLSplitter.split("-- erpmes:transaction none\n/* why */ CREATE TABLE t (a int);")
        #expect(statements.map(\.text) == ["CREATE TABLE t (a int)"])
        #expect(statements[0].location == SourceLocation(line: 2, column: 11))
    }

    @Test("quoted strings with doubled quotes hold semicolons")
    func standardStrings() throws {
        #expect(try self.texts("SELECT 'it''s; fine';SELECT 2") == ["SELECT 'it''s; fine'", "SELECT 2"])
    }

    @Test("E'' strings with a backslash-escaped quote hold semicolons")
    func escapeStrings() throws {
        let sql = #"SELECT E'it\'s; \\'; SELECT e'a\\';SELECT E'x'';y'; SELECT 4"#
        #expect(try self.texts(sql) == [#"SELECT E'it\'s; \\'"#, #"SELECT e'a\\'"#, "SELECT E'x'';y'", "SELECT 4"])
    }

    @Test("a backslash in a standard string is an ordinary character")
    func backslashInStandardString() throws {
        #expect(try self.texts(#"SELECT 'a\'; SELECT 2"#) == [#"SELECT 'a\'"#, "SELECT 2"])
    }

    @Test("an identifier ending in e before a quote is not an E'' string")
    func identifierEndingInE() throws {
        #expect(try self.texts(#"SELECT some'a\'; SELECT 2"#) == [#"SELECT some'a\'"#, "SELECT 2"])
    }

    @Test("double-quoted identifiers with doubled quotes hold semicolons")
    func quotedIdentifiers() throws {
        #expect(try self.texts(#"SELECT 1 AS "a;""b"; SELECT 2"#) == [#"SELECT 1 AS "a;""b""#, "SELECT 2"])
    }

    @Test("dollar quotes, empty and tagged, hold semicolons, other tags and comment markers")
    func dollarQuotes() throws {
        let sql = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
            BEGIN
                PERFORM $$ ; $$; -- ;
                RETURN 1; /* unclosed in a body is fine
            END $body$;
            DO $$ BEGIN PERFORM 'x;'; END $$;
            SELECT $tag$ a ; b $tag$;
            """
        let texts = try self.texts(sql)
        #expect(texts.count == 3)
        #expect(texts[0].hasPrefix("CREATE FUNCTION") && texts[0].hasSuffix("END $body$"))
        #expect(texts[1] == "DO $$ BEGIN PERFORM 'x;'; END $$")
        #expect(texts[2] == "SELECT $tag$ a ; b $tag$")
    }

    @Test("a tag is identifier characters only: $a;b$ is no dollar quote, so its semicolon splits")
    func tagCannotHoldSemicolon() throws {
        #expect(try self.texts("SELECT $a;b$") == ["SELECT $a", "b$"])
    }

    @Test("a dollar quote closes only on its own tag, not on other tags inside it")
    func dollarTagMatching() throws {
        let texts = try self.texts("SELECT $x_1$ $x$ ; $x_2$ ; $x_1$; SELECT 2")
        #expect(texts == ["SELECT $x_1$ $x$ ; $x_2$ ; $x_1$", "SELECT 2"])
    }

    @Test("$1 is a parameter, not a dollar quote, and $ inside identifiers is part of the identifier")
    func parametersAndIdentifierDollars() throws {
        let texts = try self.texts("SELECT $1, $12; SELECT a$b$c FROM t; SELECT 4")
        #expect(texts == ["SELECT $1, $12", "SELECT a$b$c FROM t", "SELECT 4"])
    }

    @Test("semicolons inside parentheses do not split, as in psql")
    func parentheses() throws {
        #expect(try self.texts("SELECT (1; 2); SELECT 3") == ["SELECT (1; 2)", "SELECT 3"])
    }

    @Test("a SQL-standard BEGIN ATOMIC body stays one statement, CASE ... END included")
    func beginAtomic() throws {
        let sql = """
            CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
                SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
                SELECT 2;
            END;
            BEGIN;
            SELECT 3;
            """
        let texts = try self.texts(sql)
        #expect(texts.count == 3)
        #expect(texts[0].hasSuffix("SELECT 2;\nEND"))
        #expect(texts[1] == "BEGIN")
        #expect(texts[2] == "SELECT 3")
    }

    @Test("CRLF and lone CR count as one line break each")
    func lineBreaks() throws {
        let statements = try SQLSplitter.split("SELECT 1;\r\n\r\nSELECT 2;\rSELECT 3;")
        let lines = statements.map(\.location).map(\.line)
        #expect(lines == [1, 3, 4])
        #expect(statements.allSatisfy { $0.column == 1 })
    }

    @Test("a leading byte order mark is skipped and not counted as a column")
    func byteOrderMark() throws {
        let statements = try SQLSplitter.split("\u{FEFF}SELECT 1;")
        #expect(statements.map(\.text) == ["SELECT 1"])
        #expect(statements[0].location == SourceLocation(line: 1, column: 1))
        #expect(statements[0].offset == 1)
        #expect(statements[0].utf8Offset == 3)
    }

    @Test(
        "an unterminated string, identifier, comment or dollar quote is an error where it opens",
        arguments: [
            ("SELECT 1;\n  SELECT 'abc;", 2, 10, "unterminated quoted string"),
            ("SELECT E'it\\';", 1, 8, "unterminated E'' string"),
            ("SELECT \"abc", 1, 8, "unterminated quoted identifier"),
            ("SELECT 1 /* a /* b */ c", 1, 10, "unterminated /* comment"),
            ("DO $fn$ BEGIN END $f$;", 1, 4, "unterminated dollar-quoted string $fn$"),
            ("SELECT 1;\r\nDO $$ x", 2, 4, "unterminated dollar-quoted string $$"),
        ]
    )
    func unterminated(sql: String, line: Int, column: Int, message: String) throws {
        let error = try #require(throws: MigrationError.self) {
            try SQLSplitter.split(sql, file: "Sql/erp/f.sql")
        }
        #expect(error.code == .unterminated)
        #expect(error.description == "Sql/erp/f.sql:\(line):\(column): \(message)")
    }
}
