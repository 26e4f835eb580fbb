import Testing

@testable import ErpmesMigrate

@Suite struct SQLStatementTests {
    @Test("a PostgreSQL error position maps to the file line and column")
    func positionOnFirstLine() throws {
        let statements = try SQLSplitter.split("SELECT 1;\n  SELECT * FROM nowhere;")
        // PostgreSQL: relation "nowhere" does not exist at character 15.
        #expect(statements[1].location(ofCharacter: 15) == SourceLocation(line: 2, column: 17))
        #expect(statements[1].location(ofCharacter: 1) == SourceLocation(line: 2, column: 3))
    }

    @Test("positions in later lines of a statement restart columns after LF, CRLF and lone CR")
    func positionAcrossLines() throws {
        let sql = "-- head\nCREATE TABLE t (\r\n    a int,\r    b nope\n);"
        let statement = try #require(try SQLSplitter.split(sql).first)
        #expect(statement.location == SourceLocation(line: 2, column: 1))
        // The first "o" of the statement is the one in "nope".
        let position = Array(statement.text.unicodeScalars).firstIndex(of: "o")! + 1
        #expect(statement.location(ofCharacter: position) == SourceLocation(line: 4, column: 8))
    }

    @Test("positions count Unicode scalars, as PostgreSQL counts characters")
    func positionCountsScalars() throws {
        let statement = try #require(try SQLSplitter.split("SELECT 'ä😀', nope").first)
        // 'ä😀' is 4 characters, so `nope` starts at character 14.
        #expect(statement.location(ofCharacter: 14) == SourceLocation(line: 1, column: 14))
    }

    @Test("a position at the end of input maps just past the last character")
    func positionPastEnd() throws {
        let statement = try #require(try SQLSplitter.split("\n\nSELECT (1").first)
        #expect(statement.location(ofCharacter: 10) == SourceLocation(line: 3, column: 10))
        #expect(statement.location(ofCharacter: 12) == SourceLocation(line: 3, column: 12))
    }

    @Test("MigrationError reads file:line:col: message, or file: message without a line")
    func errorDescription() {
        let located = MigrationError(code: .unterminated, file: "Sql/erp/a.sql", line: 3, column: 7, message: "m")
        #expect(located.description == "Sql/erp/a.sql:3:7: m")
        let whole = MigrationError(code: .duplicateVersion, file: "Migrations/erp/V1__a.sql", message: "dup")
        #expect(whole.description == "Migrations/erp/V1__a.sql: dup")
        #expect(MigrationError.Code.duplicateVersion.description == "duplicate version")
        #expect(MigrationError.Code.unterminated != .invalidFileName)
    }
}
