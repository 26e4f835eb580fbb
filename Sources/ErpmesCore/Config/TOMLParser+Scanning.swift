/// The cursor: moving over scalars while counting lines, skipping blanks and comments, and making errors
/// that point at the cursor.
extension TOMLDocumentParser {
    var peek: Unicode.Scalar? { self.index < self.scalars.count ? self.scalars[self.index] : nil }

    func peek(_ offset: Int) -> Unicode.Scalar? {
        self.index + offset < self.scalars.count ? self.scalars[self.index + offset] : nil
    }

    var position: TOMLPosition { TOMLPosition(line: self.line, column: self.index - self.lineStart + 1) }

    /// At LF or CRLF. A lone CR is not a newline in TOML: it is a control character and fails as one.
    var atNewline: Bool { self.peek == "\n" || (self.peek == "\r" && self.peek(1) == "\n") }

    mutating func advance() {
        if self.scalars[self.index] == "\n" {
            self.line += 1
            self.lineStart = self.index + 1
        }
        self.index += 1
    }

    /// Spaces and tabs, the only whitespace TOML has.
    mutating func skipWhitespace() {
        while self.peek == " " || self.peek == "\t" { self.advance() }
    }

    /// LF or CRLF.
    mutating func skipNewline() throws(ConfigError) {
        if self.peek == "\r" {
            guard self.peek(1) == "\n" else {
                throw self.failure(.syntax, "carriage return must be followed by a line feed", at: self.position)
            }
            self.advance()
        }
        self.advance()
    }

    /// From `#` to the end of the line, which may hold any character but a control character other than tab.
    mutating func skipComment() throws(ConfigError) {
        self.advance()
        while let scalar = self.peek, !self.atNewline {
            try self.checkNotControl(scalar, in: "is not allowed in a comment")
            self.advance()
        }
    }

    /// Between the elements of an array: whitespace, newlines and comments.
    mutating func skipWhitespaceNewlinesAndComments() throws(ConfigError) {
        while true {
            self.skipWhitespace()
            switch self.peek {
            case "\n"?, "\r"?: try self.skipNewline()
            case "#"?: try self.skipComment()
            default: return
            }
        }
    }

    /// After a key/value pair or a header only a comment may follow on the same line.
    mutating func expectLineEnd(after what: String) throws(ConfigError) {
        self.skipWhitespace()
        if self.peek == "#" { try self.skipComment() }
        if self.peek == nil { return }
        // A lone CR gets skipNewline's message, which says what is wrong with it.
        guard self.peek == "\n" || self.peek == "\r" else { throw self.unexpected(after: what) }
        try self.skipNewline()
    }

    /// Throws for U+0000-U+001F (except tab) and U+007F, which TOML allows only escaped.
    func checkNotControl(_ scalar: Unicode.Scalar, in rule: String) throws(ConfigError) {
        guard (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F else { return }
        throw self.failure(.syntax, "control character \(Self.codePoint(scalar)) \(rule)", at: self.position)
    }

    // MARK: Errors

    func failure(
        _ code: ConfigError.Code,
        _ message: String,
        at position: TOMLPosition,
        _ path: [String]? = nil
    ) -> ConfigError {
        ConfigError(
            code: code,
            file: self.file,
            line: position.line,
            column: position.column,
            keyPath: path.map(TOMLKey.path),
            message: message
        )
    }

    /// `expected a value, found end of line`, at the cursor.
    func expected(_ what: String) -> ConfigError {
        self.failure(.syntax, "expected \(what), found \(self.foundDescription)", at: self.position)
    }

    /// `unexpected "x" after value`, at the cursor.
    func unexpected(after what: String) -> ConfigError {
        self.failure(.syntax, "unexpected \(self.foundDescription) after \(what)", at: self.position)
    }

    private var foundDescription: String {
        guard let scalar = self.peek else { return "end of file" }
        if self.atNewline { return "end of line" }
        let text = Self.printable(scalar)
        return text == String(scalar) ? "\"\(text)\"" : text
    }

    /// The scalar itself, or `U+0001` for one that would not show.
    static func printable(_ scalar: Unicode.Scalar) -> String {
        scalar.properties.generalCategory == .control || scalar.properties.isWhitespace && scalar != " "
            ? Self.codePoint(scalar) : String(scalar)
    }

    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
