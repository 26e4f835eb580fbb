/// A problem with the configuration file or with an environment variable that overrides it.
///
/// `description` reads `file:line:col: message`, the shape compilers use, so editors and CI logs turn it
/// into a link. A problem with a value that came from the environment names the variable instead of a
/// line, and a key missing from the root table has no line at all. Messages never quote a string value
/// other than a duration: a string may be a conninfo or a password.
public struct ConfigError: Error, Sendable, Hashable {
    /// What went wrong. Callers compare codes with `==`, so adding a code breaks no one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case syntax, duplicateKey, missingKey, wrongType, invalidValue, unknownKey, ambiguousKey, unreadable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String {
            switch self.base {
            case .syntax: "syntax error"
            case .duplicateKey: "duplicate key"
            case .missingKey: "missing key"
            case .wrongType: "wrong type"
            case .invalidValue: "invalid value"
            case .unknownKey: "unknown key"
            case .ambiguousKey: "ambiguous key"
            case .unreadable: "unreadable"
            }
        }
        /// The text is not TOML: an unterminated string, an invalid escape, junk after a value.
        public static let syntax = Code(.syntax)
        /// A key defined twice, or a table defined twice (by headers, dotted keys or an inline table).
        public static let duplicateKey = Code(.duplicateKey)
        /// A key the configuration needs is absent.
        public static let missingKey = Code(.missingKey)
        /// A value of the wrong TOML type: a string where an integer is needed, a value where a table is.
        public static let wrongType = Code(.wrongType)
        /// A value of the right type but out of range or malformed: a month 13, a duration in furlongs.
        public static let invalidValue = Code(.invalidValue)
        /// A key that the configuration does not know, most likely a typo.
        public static let unknownKey = Code(.unknownKey)
        /// An environment variable whose name fits more than one key.
        public static let ambiguousKey = Code(.ambiguousKey)
        /// The file could not be read, or is not UTF-8.
        public static let unreadable = Code(.unreadable)
    }

    /// What kind of problem this is.
    public var code: Code
    /// The configuration file's path as the user gave it, when the text came from a file.
    public var file: String?
    /// 1-based line of the problem; `nil` when it is not at a place in the file.
    public var line: Int?
    /// 1-based column, counted in Unicode scalars.
    public var column: Int?
    /// The dotted key path the problem is about (`links.plant1.erp`), when there is one.
    public var keyPath: String?
    /// The environment variable the offending value came from (`ERPMES_LINKS_PLANT1_PORT`).
    public var environmentVariable: String?
    /// What is wrong, naming the key: `duplicate key "links.plant1.erp"`.
    public var message: String

    /// Creates an error; the parser and ``ConfigReader`` fill in the location.
    public init(
        code: Code,
        file: String? = nil,
        line: Int? = nil,
        column: Int? = nil,
        keyPath: String? = nil,
        environmentVariable: String? = nil,
        message: String
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.environmentVariable = environmentVariable
        self.message = message
    }
}

extension ConfigError: CustomStringConvertible {
    /// `file:line:col: message`; `environment variable NAME: message` when the value came from one.
    public var description: String {
        if let variable = self.environmentVariable { return "environment variable \(variable): \(self.message)" }
        var parts: [String] = []
        if let file = self.file { parts.append(file) }
        if let line = self.line {
            parts.append("\(line)")
            if let column = self.column { parts.append("\(column)") }
        }
        return parts.isEmpty ? self.message : "\(parts.joined(separator: ":")): \(self.message)"
    }
}
