/// One token of PostgreSQL SQL, with the boundaries the server's own scanner (`scan.l`) gives it.
///
/// Only what splitting, directives and placeholders need is told apart: quotes, comments, words and
/// single symbols. Whitespace makes no token.
struct SQLToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// An unquoted identifier or keyword; may contain `$` after its first character, as in PostgreSQL.
        case word
        case quotedIdentifier
        /// `'...'`; the `B`, `X`, `N` or `U&` prefix of such a string is a token of its own.
        case string
        /// `E'...'` with backslash escapes, the `E` included.
        case escapeString
        /// `$tag$...$tag$`, both delimiters included.
        case dollarString(tag: String)
        /// `$1`, a positional parameter.
        case parameter
        case number
        case lineComment
        case blockComment
        /// One character: `;`, `(`, `)`, or one character of an operator.
        case symbol
    }

    var kind: Kind
    /// Index of the first Unicode scalar of the token.
    var start: Int
    /// Index just past the token.
    var end: Int

    var isComment: Bool { self.kind == .lineComment || self.kind == .blockComment }
}

/// Splits SQL text into ``SQLToken``s. Assumes `standard_conforming_strings = on` (the default since
/// PostgreSQL 9.1): a backslash escapes only inside `E'...'`.
enum SQLLexer {
    /// A quote or comment that reaches the end of the text; `start` is where it opened.
    struct Unterminated: Error, Hashable {
        var start: Int
        var message: String
    }

    static func tokenize(_ s: [Unicode.Scalar], from first: Int = 0) throws(Unterminated) -> [SQLToken] {
        var tokens: [SQLToken] = []
        var i = first
        func at(_ index: Int) -> Unicode.Scalar? { index < s.count ? s[index] : nil }
        while i < s.count {
            let c = s[i]
            let start = i
            let kind: SQLToken.Kind
            if isSpace(c) {
                i += 1
                continue
            } else if c == "-", at(i + 1) == "-" {
                // A line comment ends at CR too, as in scan.l, so a lone-CR file still splits.
                while i < s.count, s[i] != "\n", s[i] != "\r" { i += 1 }
                kind = .lineComment
            } else if c == "/", at(i + 1) == "*" {
                var depth = 0
                repeat {
                    if at(i) == "/", at(i + 1) == "*" {
                        depth += 1
                        i += 2
                    } else if at(i) == "*", at(i + 1) == "/" {
                        depth -= 1
                        i += 2
                    } else if i < s.count {
                        i += 1
                    } else {
                        throw Unterminated(start: start, message: "unterminated /* comment")
                    }
                } while depth > 0
                kind = .blockComment
            } else if c == "'" {
                i = try self.closeQuote(s, after: i + 1, quote: "'", backslash: false, start: start)
                kind = .string
            } else if c == "\"" {
                i = try self.closeQuote(s, after: i + 1, quote: "\"", backslash: false, start: start)
                kind = .quotedIdentifier
            } else if c == "$" {
                (i, kind) = try self.dollar(s, at: i)
            } else if isIdentifierStart(c) {
                i += 1
                while let next = at(i), isIdentifierStart(next) || isDigit(next) || next == "$" { i += 1 }
                if i == start + 1, c == "e" || c == "E", at(i) == "'" {
                    i = try self.closeQuote(s, after: i + 1, quote: "'", backslash: true, start: start)
                    kind = .escapeString
                } else {
                    kind = .word
                }
            } else if isDigit(c) {
                // Digits, `.`, exponents, `_` separators and junk like `1abc`: none of it can hold a quote.
                while let next = at(i), isIdentifierStart(next) || isDigit(next) || next == "." { i += 1 }
                kind = .number
            } else {
                i += 1
                kind = .symbol
            }
            tokens.append(SQLToken(kind: kind, start: start, end: i))
        }
        return tokens
    }

    /// Index just past the closing quote; a doubled quote is one quote character, not the end.
    private static func closeQuote(
        _ s: [Unicode.Scalar],
        after first: Int,
        quote: Unicode.Scalar,
        backslash: Bool,
        start: Int
    ) throws(Unterminated) -> Int {
        var i = first
        while i < s.count {
            if backslash, s[i] == "\\" {
                i += 2
            } else if s[i] == quote {
                if i + 1 < s.count, s[i + 1] == quote {
                    i += 2
                } else {
                    return i + 1
                }
            } else {
                i += 1
            }
        }
        let what = quote == "\"" ? "quoted identifier" : backslash ? "E'' string" : "quoted string"
        throw Unterminated(start: start, message: "unterminated \(what)")
    }

    /// `$1` is a parameter, `$$` and `$tag$` open a dollar quote, any other `$` is an operator character.
    private static func dollar(_ s: [Unicode.Scalar], at start: Int) throws(Unterminated) -> (Int, SQLToken.Kind) {
        var i = start + 1
        if i < s.count, isDigit(s[i]) {
            while i < s.count, isDigit(s[i]) { i += 1 }
            return (i, .parameter)
        }
        if i < s.count, isIdentifierStart(s[i]) {
            while i < s.count, isIdentifierStart(s[i]) || isDigit(s[i]) { i += 1 }
        }
        guard i < s.count, s[i] == "$" else { return (start + 1, .symbol) }
        let delimiter = Array(s[start...i])
        let tag = String(String.UnicodeScalarView(delimiter.dropFirst().dropLast()))
        i += 1
        while i + delimiter.count <= s.count {
            if s[i] == "$", s[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                return (i + delimiter.count, .dollarString(tag: tag))
            }
            i += 1
        }
        let quote = String(String.UnicodeScalarView(delimiter))
        throw Unterminated(start: start, message: "unterminated dollar-quoted string \(quote)")
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" || c == "\u{0B}"
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// Letters, `_` and every non-ASCII character, as in PostgreSQL's `ident_start`.
    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c.value >= 0x80
    }
}
