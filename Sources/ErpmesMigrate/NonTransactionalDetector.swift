/// Why a statement cannot be part of the transaction erpmes wraps around a migration file.
public enum NonTransactionalKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case createIndexConcurrently = "CREATE INDEX CONCURRENTLY"
    case dropIndexConcurrently = "DROP INDEX CONCURRENTLY"
    case reindexConcurrently = "REINDEX CONCURRENTLY"
    /// `REINDEX SCHEMA`, `REINDEX DATABASE` and `REINDEX SYSTEM` commit per table, even without CONCURRENTLY.
    case reindexMany = "REINDEX SCHEMA, DATABASE or SYSTEM"
    case vacuum = "VACUUM"
    case createDatabase = "CREATE DATABASE"
    case dropDatabase = "DROP DATABASE"
    case alterDatabaseSetTablespace = "ALTER DATABASE SET TABLESPACE"
    case alterSystem = "ALTER SYSTEM"
    case createTablespace = "CREATE TABLESPACE"
    case dropTablespace = "DROP TABLESPACE"
    /// Allowed in a transaction since PostgreSQL 12, but the new value cannot be used before COMMIT, so
    /// a file that adds a value and then uses it fails; such a file must run without a transaction.
    case alterTypeAddValue = "ALTER TYPE ... ADD VALUE"
    /// `CLUSTER` without a table re-clusters every table, each in its own transaction.
    case clusterAll = "CLUSTER without a table"
    case detachPartitionConcurrently = "DETACH PARTITION CONCURRENTLY"
    /// `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION`: they
    /// would end the transaction that also writes the history row, so the row could lie.
    case transactionControl = "transaction control (BEGIN, COMMIT, ROLLBACK)"

    public var description: String { self.rawValue }
}

/// Recognises statements that PostgreSQL refuses inside a transaction block (or that end one), by their
/// leading keywords, case-insensitively and skipping comments.
///
/// The check is lexical, like psql's: it never sees inside strings, quoted identifiers or dollar
/// quotes, so `"vacuum"` as a table name or `$$ VACUUM $$` in a function body does not count.
public enum NonTransactionalDetector {
    /// The reason `statement` cannot run in erpmes's transaction, or `nil` when it can.
    /// - Parameter statement: One statement, as ``SQLSplitter`` returns it; comments may precede it.
    /// - Returns: The kind of the first statement in the text, or `nil`.
    public static func kind(of statement: String) -> NonTransactionalKind? {
        let scalars = Array(statement.unicodeScalars)
        // Statements from the splitter always lex; text with an open quote is no statement to classify.
        let tokens = (try? SQLLexer.tokenize(scalars)) ?? []
        let words = Words(scalars: scalars, tokens: tokens.filter { !$0.isComment })
        return words.kind
    }
}

/// The statement's tokens with keywords in uppercase; anything else (quoted, numbers) is not a keyword.
private struct Words {
    let items: [String?]
    let symbols: [Unicode.Scalar?]

    init(scalars: [Unicode.Scalar], tokens: [SQLToken]) {
        self.items = tokens.map { token in
            guard token.kind == .word else { return nil }
            return String(String.UnicodeScalarView(scalars[token.start..<token.end])).uppercased()
        }
        self.symbols = tokens.map { $0.kind == .symbol ? scalars[$0.start] : nil }
    }

    subscript(_ i: Int) -> String? { i < self.items.count ? self.items[i] : nil }

    func contains(_ word: String, from start: Int = 1) -> Bool { self.index(of: word, from: start) != nil }

    func index(of word: String, from start: Int) -> Int? {
        start < self.items.count ? self.items[start...].firstIndex(of: word) : nil
    }

    /// Index after a parenthesised option list such as `(VERBOSE)` at `i`, or `i` when there is none.
    func skippingOptions(at i: Int) -> Int {
        guard i < self.symbols.count, self.symbols[i] == "(" else { return i }
        var depth = 0
        for j in i..<self.symbols.count {
            if self.symbols[j] == "(" { depth += 1 }
            if self.symbols[j] == ")" { depth -= 1 }
            if depth == 0 { return j + 1 }
        }
        return self.symbols.count
    }

    /// True when `first` is directly followed by `second` somewhere after the leading keywords.
    func containsPair(_ first: String, _ second: String) -> Bool {
        var from = 1
        while let i = self.index(of: first, from: from) {
            if self[i + 1] == second { return true }
            from = i + 1
        }
        return false
    }

    var kind: NonTransactionalKind? {
        switch self[0] {
        case "CREATE":
            let index = self[1] == "UNIQUE" ? 2 : 1
            if self[index] == "INDEX", self[index + 1] == "CONCURRENTLY" { return .createIndexConcurrently }
            if self[1] == "DATABASE" { return .createDatabase }
            if self[1] == "TABLESPACE" { return .createTablespace }
        case "DROP":
            if self[1] == "INDEX", self[2] == "CONCURRENTLY" { return .dropIndexConcurrently }
            if self[1] == "DATABASE" { return .dropDatabase }
            if self[1] == "TABLESPACE" { return .dropTablespace }
        case "REINDEX":
            // CONCURRENTLY may follow the object kind or, since PostgreSQL 14, sit in the option list.
            if self.contains("CONCURRENTLY") { return .reindexConcurrently }
            if ["SCHEMA", "DATABASE", "SYSTEM"].contains(self[self.skippingOptions(at: 1)]) { return .reindexMany }
        case "VACUUM":
            return .vacuum
        case "ALTER":
            if self[1] == "SYSTEM" { return .alterSystem }
            if self[1] == "TYPE", self.containsPair("ADD", "VALUE") { return .alterTypeAddValue }
            if self[1] == "DATABASE", self.containsPair("SET", "TABLESPACE") { return .alterDatabaseSetTablespace }
            if self[1] == "TABLE", let detach = self.index(of: "DETACH", from: 2), self[detach + 1] == "PARTITION",
                self.contains("CONCURRENTLY", from: detach + 2)
            {
                return .detachPartitionConcurrently
            }
        case "CLUSTER":
            var i = self.skippingOptions(at: 1)
            if self[i] == "VERBOSE" { i += 1 }
            if i >= self.items.count { return .clusterAll }
        case "BEGIN", "COMMIT", "END", "ABORT":
            return .transactionControl
        case "START", "PREPARE":
            if self[1] == "TRANSACTION" { return .transactionControl }
        case "ROLLBACK":
            // ROLLBACK TO SAVEPOINT stays inside the transaction.
            let to = ["WORK", "TRANSACTION"].contains(self[1]) ? 2 : 1
            if self[to] != "TO" { return .transactionControl }
        default:
            break
        }
        return nil
    }
}
