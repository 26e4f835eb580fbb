/// Splits a SQL script into statements the way psql does, so a file that runs with `psql -f` runs
/// the same through erpmes, and `migrate plan` prints statements psql accepts.
///
/// A `;` ends a statement unless it is inside a string (`'...'`, `E'...'`), a quoted identifier, a
/// dollar quote (`$$...$$`, `$tag$...$tag$`), a comment (`--`, nested `/* */`), parentheses, or the
/// `BEGIN ATOMIC ... END` body of a SQL-standard `CREATE FUNCTION` or `CREATE PROCEDURE`. A statement
/// made only of comments and whitespace is dropped.
public enum SQLSplitter {
    /// Splits `sql` into statements, each with its location in the file.
    ///
    /// A leading byte order mark is skipped and not counted as a column.
    /// - Parameters:
    ///   - sql: The whole file.
    ///   - file: The file's path relative to the migration directory, for error messages.
    /// - Returns: The statements in file order, numbered from 1.
    /// - Throws: ``MigrationError`` with code `.unterminated` at the line and column where a string,
    ///   quoted identifier, block comment or dollar quote opens and is never closed.
    public static func split(_ sql: String, file: String = "") throws(MigrationError) -> [SQLStatement] {
        try SQLScript(sql, file: file).statements
    }
}

/// A lexed script: its tokens for directives and placeholders, and its statements.
struct SQLScript: Sendable {
    let scalars: [Unicode.Scalar]
    let lines: LineMap
    let tokens: [SQLToken]
    private(set) var statements: [SQLStatement] = []

    init(_ sql: String, file: String) throws(MigrationError) {
        self.scalars = Array(sql.unicodeScalars)
        self.lines = LineMap(self.scalars)
        do {
            self.tokens = try SQLLexer.tokenize(self.scalars, from: self.scalars.first == "\u{FEFF}" ? 1 : 0)
        } catch {
            throw MigrationError(
                code: .unterminated,
                file: file,
                at: self.lines.location(of: error.start),
                message: error.message
            )
        }
        self.statements = self.split()
    }

    func text(_ token: SQLToken) -> String {
        String(String.UnicodeScalarView(self.scalars[token.start..<token.end]))
    }

    private func split() -> [SQLStatement] {
        var statements: [SQLStatement] = []
        var utf8Cursor = 0
        var utf8Offset = 0
        func emit(_ first: Int, _ last: Int) {
            // Statements come in file order, so the UTF-8 offset is counted once across the file.
            while utf8Cursor < first {
                utf8Offset += self.scalars[utf8Cursor].utf8.count
                utf8Cursor += 1
            }
            let statement = SQLStatement(
                text: String(String.UnicodeScalarView(self.scalars[first..<last])),
                number: statements.count + 1,
                location: self.lines.location(of: first),
                offset: first,
                utf8Offset: utf8Offset
            )
            statements.append(statement)
        }

        var tracker = StatementTracker()
        var first: Int?
        var last = 0
        for token in self.tokens where !token.isComment {
            if token.kind == .symbol, self.scalars[token.start] == ";", tracker.endsStatement {
                if let first { emit(first, last) }
                first = nil
                tracker = StatementTracker()
                continue
            }
            if first == nil { first = token.start }
            last = token.end
            let word = token.kind == .word ? self.text(token).lowercased() : nil
            tracker.add(word: word, symbol: token.kind == .symbol ? self.scalars[token.start] : nil)
        }
        if let first { emit(first, last) }
        return statements
    }
}

/// psql's rules for when a `;` ends a statement (`psqlscan.l`): not inside parentheses, and not inside
/// the `BEGIN ATOMIC ... END` body of `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, where `CASE ... END`
/// nests too.
private struct StatementTracker {
    private var parenDepth = 0
    private var beginDepth = 0
    private var heads: [String] = []

    var endsStatement: Bool { self.parenDepth == 0 && self.beginDepth == 0 }

    private var isRoutine: Bool {
        let h = self.heads + ["", "", "", ""]
        let routine = ["function", "procedure"]
        guard h[0] == "create" else { return false }
        return routine.contains(h[1]) || (h[1] == "or" && h[2] == "replace" && routine.contains(h[3]))
    }

    mutating func add(word: String?, symbol: Unicode.Scalar?) {
        if symbol == "(" {
            self.parenDepth += 1
        } else if symbol == ")", self.parenDepth > 0 {
            self.parenDepth -= 1
        }
        guard let word else { return }
        if self.heads.count < 4 { self.heads.append(word) }
        guard self.isRoutine, self.parenDepth == 0 else { return }
        switch word {
        case "begin": self.beginDepth += 1
        case "case" where self.beginDepth > 0: self.beginDepth += 1
        case "end" where self.beginDepth > 0: self.beginDepth -= 1
        default: break
        }
    }
}
