/// Values for `${erpmes:name}` placeholders in migration files, from the configuration or environment.
///
/// Placeholders are substituted everywhere in a statement, strings and quoted identifiers included,
/// except inside dollar-quoted bodies and comments. A function body is code for later: `${...}` in it
/// may be the body's own text (a `format()` pattern, a JSON path), and a commented-out line should not
/// fail a migration. An unknown name is an error, never left in place or replaced by an empty string.
public struct Placeholders: Hashable, Sendable {
    /// Name to value. Values never appear in error messages: they may be passwords.
    public var values: [String: String]

    /// Placeholders with these values; names are what follows `erpmes:` in `${erpmes:name}`.
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// The statement with its placeholders substituted; its ``SQLStatement/location(ofCharacter:)``
    /// still maps server error positions back to the file.
    /// - Parameters:
    ///   - statement: A statement from ``SQLSplitter``.
    ///   - file: The file's path, for error messages.
    /// - Throws: ``MigrationError`` `.unknownPlaceholder` or `.malformedPlaceholder` at the placeholder's `$`.
    public func apply(to statement: SQLStatement, file: String) throws(MigrationError) -> SQLStatement {
        let scalars = Array(statement.text.unicodeScalars)
        let tokens: [SQLToken]
        do {
            tokens = try SQLLexer.tokenize(scalars)
        } catch {
            throw MigrationError(
                code: .unterminated,
                file: file,
                at: statement.location(ofCharacter: error.start + 1),
                message: error.message
            )
        }
        let (text, edits) = try self.substitute(scalars, tokens: tokens, file: file) {
            statement.location(ofCharacter: $0 + 1)
        }
        guard !edits.isEmpty else { return statement }
        var result = statement
        result.text = text
        result.edits.append(edits)
        return result
    }

    /// A whole script with its placeholders substituted, for printing; positions are not kept.
    /// - Parameters:
    ///   - sql: The file's text.
    ///   - file: The file's path, for error messages.
    /// - Throws: ``MigrationError`` `.unknownPlaceholder`, `.malformedPlaceholder` or `.unterminated`.
    public func apply(to sql: String, file: String = "") throws(MigrationError) -> String {
        let script = try SQLScript(sql, file: file)
        return try self.substitute(script.scalars, tokens: script.tokens, file: file) {
            script.lines.location(of: $0)
        }.text
    }

    private static let prefix = Array("${erpmes:".unicodeScalars)

    /// Letters, digits, `_` and `.`: no `-`, so a placeholder can never run into a `--` comment.
    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "."
    }

    private func substitute(
        _ s: [Unicode.Scalar],
        tokens: [SQLToken],
        file: String,
        locate: (Int) -> SourceLocation
    ) throws(MigrationError) -> (text: String, edits: [SQLStatement.Edit]) {
        let untouched = tokens.filter { token in
            if case .dollarString = token.kind { return true }
            return token.isComment
        }
        var output = String.UnicodeScalarView()
        var outputCount = 0
        var edits: [SQLStatement.Edit] = []
        var next = 0
        var i = s.first == "\u{FEFF}" ? 1 : 0  // a byte order mark is no part of the SQL
        while i < s.count {
            while next < untouched.count, untouched[next].end <= i { next += 1 }
            if next < untouched.count, untouched[next].start <= i {
                let end = untouched[next].end
                output.append(contentsOf: s[i..<end])
                outputCount += end - i
                i = end
                continue
            }
            guard s[i] == "$", s[i...].starts(with: Self.prefix) else {
                output.append(s[i])
                outputCount += 1
                i += 1
                continue
            }
            let nameStart = i + Self.prefix.count
            var nameEnd = nameStart
            while nameEnd < s.count, Self.isNameCharacter(s[nameEnd]) { nameEnd += 1 }
            guard nameEnd > nameStart, nameEnd < s.count, s[nameEnd] == "}" else {
                throw MigrationError(
                    code: .malformedPlaceholder,
                    file: file,
                    at: locate(i),
                    message: "expected ${erpmes:<name>} with a name of letters, digits, '_' and '.'"
                )
            }
            let name = String(String.UnicodeScalarView(s[nameStart..<nameEnd]))
            guard let value = self.values[name] else {
                let known = self.values.keys.sorted().joined(separator: ", ")
                throw MigrationError(
                    code: .unknownPlaceholder,
                    file: file,
                    at: locate(i),
                    message: "unknown placeholder ${erpmes:\(name)}; "
                        + (known.isEmpty ? "no placeholders are defined" : "defined: \(known)")
                )
            }
            let replacement = Array(value.unicodeScalars)
            let length = nameEnd + 1 - i
            edits.append(.init(oldStart: i, oldLength: length, newStart: outputCount, newLength: replacement.count))
            output.append(contentsOf: replacement)
            outputCount += replacement.count
            i += length
        }
        return (String(output), edits)
    }
}
