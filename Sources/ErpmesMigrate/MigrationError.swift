/// A problem with a migration file, its name, its SQL or its dependencies, located in the file.
///
/// `description` reads `file:line:col: message`, the shape compilers use, so editors and CI logs
/// turn it into a link. Errors about a whole file (its name, a duplicate version) have no line.
/// Placeholder values never appear in a message: they may come from the environment and hold secrets.
public struct MigrationError: Error, Sendable, Hashable {
    /// What went wrong. Callers compare codes with `==`, so adding a code breaks no one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unterminated, invalidFileName, unexpectedFile, duplicateVersion, unknownDirective
            case invalidDirective, nonTransactionalStatement, transactionControl, dependencyCycle
            case missingDependency, unknownPlaceholder, malformedPlaceholder, unreadable, invalidEncoding
            case invalidTarget
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String {
            switch self.base {
            case .unterminated: "unterminated"
            case .invalidFileName: "invalid file name"
            case .unexpectedFile: "unexpected file"
            case .duplicateVersion: "duplicate version"
            case .unknownDirective: "unknown directive"
            case .invalidDirective: "invalid directive"
            case .nonTransactionalStatement: "non-transactional statement"
            case .transactionControl: "transaction control"
            case .dependencyCycle: "dependency cycle"
            case .missingDependency: "missing dependency"
            case .unknownPlaceholder: "unknown placeholder"
            case .malformedPlaceholder: "malformed placeholder"
            case .unreadable: "unreadable"
            case .invalidEncoding: "invalid encoding"
            case .invalidTarget: "invalid target"
            }
        }
        /// A string, quoted identifier, block comment or dollar quote is never closed.
        public static let unterminated = Code(.unterminated)
        /// A `.sql` file whose name does not follow the grammar of its folder (`V1_foo.sql`).
        public static let invalidFileName = Code(.invalidFileName)
        /// A file or folder that is neither SQL, a README nor a dotfile.
        public static let unexpectedFile = Code(.unexpectedFile)
        /// Two versioned files with numerically equal versions (`V1` and `V1.0`).
        public static let duplicateVersion = Code(.duplicateVersion)
        /// A `-- erpmes:` comment naming a directive that does not exist (likely a typo).
        public static let unknownDirective = Code(.unknownDirective)
        /// A known directive with a bad value, or in a file kind where it means nothing.
        public static let invalidDirective = Code(.invalidDirective)
        /// A statement that cannot run inside a transaction block, in a file run inside one.
        public static let nonTransactionalStatement = Code(.nonTransactionalStatement)
        /// `BEGIN`, `COMMIT` and friends in a file that erpmes wraps in its own transaction.
        public static let transactionControl = Code(.transactionControl)
        /// Repeatable files whose `requires` lines form a cycle.
        public static let dependencyCycle = Code(.dependencyCycle)
        /// A `requires` line naming a repeatable file that does not exist.
        public static let missingDependency = Code(.missingDependency)
        /// `${erpmes:name}` with a name that has no value.
        public static let unknownPlaceholder = Code(.unknownPlaceholder)
        /// `${erpmes:` not followed by a name and `}`.
        public static let malformedPlaceholder = Code(.malformedPlaceholder)
        /// A file or folder could not be read.
        public static let unreadable = Code(.unreadable)
        /// A file that is not valid UTF-8.
        public static let invalidEncoding = Code(.invalidEncoding)
        /// A target name that cannot be a folder name (`../x`, empty).
        public static let invalidTarget = Code(.invalidTarget)
    }

    /// What went wrong, for callers that handle some problems differently.
    public var code: Code
    /// The file's path relative to the migration directory (`Migrations/erp/V1__init.sql`).
    public var file: String
    /// 1-based line, when the problem is at a place in the file rather than the whole file.
    public var line: Int?
    /// 1-based column, counted in Unicode scalars as PostgreSQL counts characters.
    public var column: Int?
    /// What is wrong and, where it helps, what to do about it.
    public var message: String

    /// An error at a place in a file, or about the whole file when `line` is `nil`.
    public init(code: Code, file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    init(code: Code, file: String, at location: SourceLocation, message: String) {
        self.init(code: code, file: file, line: location.line, column: location.column, message: message)
    }
}

extension MigrationError: CustomStringConvertible {
    /// `file:line:col: message`, or `file: message` for problems with the whole file.
    public var description: String {
        var prefix = self.file
        if let line = self.line {
            prefix += prefix.isEmpty ? "\(line)" : ":\(line)"
            if let column = self.column { prefix += ":\(column)" }
        }
        return prefix.isEmpty ? self.message : "\(prefix): \(self.message)"
    }
}
