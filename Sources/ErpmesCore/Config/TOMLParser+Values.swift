/// Values: strings, arrays, inline tables and unquoted tokens (numbers, booleans, date-times).
extension TOMLDocumentParser {
    /// The value at the cursor; `path` is the key it belongs to, for errors inside inline tables.
    mutating func parseValue(path: [String]) throws(ConfigError) -> TOMLValue {
        switch self.peek {
        case let quote? where (quote == "\"" || quote == "'") && self.peek(1) == quote && self.peek(2) == quote:
            .string(try self.parseMultilineString(quote: quote))
        case "\""?: .string(try self.parseBasicString())
        case "'"?: .string(try self.parseLiteralString())
        case "["?: try self.parseArray(path: path)
        case "{"?: .table(try self.parseInlineTable(path: path))
        case let scalar? where Self.isTokenScalar(scalar): try self.parseToken()
        default: throw self.expected("a value")
        }
    }

    /// Numbers, booleans and date-times: one run of token scalars, or a date, a space and a time.
    private mutating func parseToken() throws(ConfigError) -> TOMLValue {
        let start = self.position
        var token = self.readToken()
        if TOMLScalar.isLocalDate(token), self.peek == " ", let digit = self.peek(1), ("0"..."9").contains(digit),
            self.peek(3) == ":"
        {
            self.advance()
            token += " " + self.readToken()
        }
        switch TOMLScalar.value(of: token) {
        case .success(let value): return value
        case .failure(let problem): throw self.failure(problem.code, problem.message, at: start)
        }
    }

    private mutating func readToken() -> String {
        var token = String.UnicodeScalarView()
        while let scalar = self.peek, Self.isTokenScalar(scalar) {
            token.append(scalar)
            self.advance()
        }
        return String(token)
    }

    private static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "-", ".", ":": true
        default: false
        }
    }

    /// `[ ... ]`: newlines and comments may sit between elements, and a trailing comma is allowed.
    private mutating func parseArray(path: [String]) throws(ConfigError) -> TOMLValue {
        let open = self.position
        self.advance()
        var elements: [TOMLValue] = []
        while true {
            try self.skipWhitespaceNewlinesAndComments()
            switch self.peek {
            case nil: throw self.failure(.syntax, "unterminated array", at: open)
            case "]"?:
                self.advance()
                return .array(elements)
            default: elements.append(try self.parseValue(path: path))
            }
            try self.skipWhitespaceNewlinesAndComments()
            switch self.peek {
            case ","?: self.advance()
            case "]"?:
                self.advance()
                return .array(elements)
            case nil: throw self.failure(.syntax, "unterminated array", at: open)
            default: throw self.expected("\",\" or \"]\"")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, closed to later additions (TOML 1.0).
    private mutating func parseInlineTable(path: [String]) throws(ConfigError) -> TOMLTable {
        let open = self.position
        self.advance()
        let node = TOMLNode(origin: .header, position: open, path: path)
        let section = self.nextSection()
        self.skipWhitespace()
        if self.peek == "}" {
            self.advance()
            return node.table()
        }
        while true {
            try self.parseKeyValue(into: node, section: section)
            self.skipWhitespace()
            switch self.peek {
            case ","?:
                let comma = self.position
                self.advance()
                self.skipWhitespace()
                if self.peek == "}" {
                    throw self.failure(.syntax, "trailing comma is not allowed in an inline table", at: comma)
                }
            case "}"?:
                self.advance()
                return node.table()
            case nil, "\n"?, "\r"?:
                throw self.failure(.syntax, "unterminated inline table (it must end on the line it starts)", at: open)
            default: throw self.expected("\",\" or \"}\"")
            }
        }
    }

    // MARK: Strings

    /// `"..."` with escapes, on one line.
    mutating func parseBasicString() throws(ConfigError) -> String {
        let open = self.position
        self.advance()
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = self.peek, !self.atNewline else {
                throw self.failure(.syntax, "unterminated string", at: open)
            }
            switch scalar {
            case "\"":
                self.advance()
                return String(text)
            case "\\": text.append(try self.parseEscape())
            default:
                try self.checkNotControl(scalar, in: "must be escaped")
                text.append(scalar)
                self.advance()
            }
        }
    }

    /// `'...'`: no escapes, on one line.
    mutating func parseLiteralString() throws(ConfigError) -> String {
        let open = self.position
        self.advance()
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = self.peek, !self.atNewline else {
                throw self.failure(.syntax, "unterminated string", at: open)
            }
            if scalar == "'" {
                self.advance()
                return String(text)
            }
            try self.checkNotControl(scalar, in: "is not allowed in a literal string")
            text.append(scalar)
            self.advance()
        }
    }

    /// `"""..."""` or `'''...'''`. A newline right after the opening quotes is dropped, CRLF becomes LF, and
    /// in a basic string a backslash ending a line drops the line break and the whitespace after it.
    private mutating func parseMultilineString(quote: Unicode.Scalar) throws(ConfigError) -> String {
        let open = self.position
        let isBasic = quote == "\""
        for _ in 0..<3 { self.advance() }
        if self.atNewline { try self.skipNewline() }
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = self.peek else {
                throw self.failure(.syntax, "unterminated multi-line string", at: open)
            }
            switch scalar {
            case quote:
                var run = 0
                while self.peek(run) == quote { run += 1 }
                // Up to two quotes may sit just inside the closing three: `"""a"""""` is `a""`.
                if run > 5 {
                    throw self.failure(.syntax, "too many quotes at the end of a multi-line string", at: self.position)
                }
                for _ in 0..<run { self.advance() }
                text.append(contentsOf: repeatElement(quote, count: run >= 3 ? run - 3 : run))
                if run >= 3 { return String(text) }
            case "\\" where isBasic:
                if self.isLineEndingBackslash() {
                    self.advance()
                    while let next = self.peek, next == " " || next == "\t" || self.atNewline {
                        if self.atNewline { try self.skipNewline() } else { self.advance() }
                    }
                } else {
                    text.append(try self.parseEscape())
                }
            case "\n", "\r":
                try self.skipNewline()
                text.append("\n")
            default:
                try self.checkNotControl(scalar, in: isBasic ? "must be escaped" : "is not allowed in a literal string")
                text.append(scalar)
                self.advance()
            }
        }
    }

    /// A backslash followed by nothing but spaces or tabs up to the end of its line.
    private func isLineEndingBackslash() -> Bool {
        var offset = 1
        while self.peek(offset) == " " || self.peek(offset) == "\t" { offset += 1 }
        return self.peek(offset) == "\n" || (self.peek(offset) == "\r" && self.peek(offset + 1) == "\n")
    }

    /// `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`, the escapes of TOML 1.0.
    private mutating func parseEscape() throws(ConfigError) -> Unicode.Scalar {
        let start = self.position
        self.advance()
        guard let scalar = self.peek, !self.atNewline else {
            throw self.failure(.syntax, "invalid escape: \"\\\" at the end of a line", at: start)
        }
        self.advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let width = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<width {
                guard let digit = self.peek, digit.properties.isASCIIHexDigit else {
                    throw self.failure(.syntax, "\"\\\(scalar)\" must be followed by \(width) hex digits", at: start)
                }
                hex.unicodeScalars.append(digit)
                self.advance()
            }
            guard let value = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else {
                throw self.failure(.syntax, "\"\\\(scalar)\(hex)\" is not a Unicode scalar value", at: start)
            }
            return value
        default:
            let shown = Self.printable(scalar)
            let message =
                shown == String(scalar)
                ? "invalid escape \"\\\(shown)\"" : "invalid escape: \"\\\" followed by \(shown)"
            throw self.failure(.syntax, message, at: start)
        }
    }
}
