import LibPQ

/// Why a migration run stopped: a SQL error in a file, a lock it could not get, a history that
/// does not match the files, a refused request. Its `description` reads like a compiler's:
/// `Migrations/erp/V2__orders.sql:14:5: ERROR 42P07: relation "orders" already exists`.
public struct MigrateFailure: Error, Sendable, CustomStringConvertible {
    /// What kind of failure. Compared with `==`; new codes break no one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case sql, lockTimeout, invalid, refused, requirement, connection
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { "\(self.base)" }
        /// A statement of a file failed on the server.
        public static let sql = Code(.sql)
        /// The migration lock, or a table lock under `lock_timeout`, could not be had in time.
        public static let lockTimeout = Code(.lockTimeout)
        /// Files and history disagree (`validate` found problems), or the files themselves are bad.
        public static let invalid = Code(.invalid)
        /// The request is unsafe as asked: a non-empty schema without baseline, an edited applied
        /// statement of a partial file, a missing `--reason`.
        public static let refused = Code(.refused)
        /// Another target is not at the version this one requires.
        public static let requirement = Code(.requirement)
        /// The database could not be reached.
        public static let connection = Code(.connection)
    }

    public var code: Code
    public var target: String
    public var message: String
    /// `Migrations/erp/V2__orders.sql`, when a file is at fault.
    public var file: String?
    public var location: SourceLocation?
    public var sqlState: SQLState?
    public var detail: String?
    public var hint: String?

    public init(_ code: Code, target: String, _ message: String, file: String? = nil, location: SourceLocation? = nil) {
        self.code = code
        self.target = target
        self.message = message
        self.file = file
        self.location = location
    }

    public var description: String {
        var text = ""
        if let file = self.file {
            text += file
            if let location = self.location { text += ":\(location.line):\(location.column)" }
            text += ": "
        } else {
            text += "target \(self.target): "
        }
        if let sqlState = self.sqlState { text += "ERROR \(sqlState): " }
        text += self.message
        if let detail = self.detail { text += "\n  DETAIL: \(detail)" }
        if let hint = self.hint { text += "\n  HINT: \(hint)" }
        return text
    }
}
