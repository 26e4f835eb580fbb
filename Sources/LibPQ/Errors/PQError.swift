/// An error from libpq or the server.
///
/// Its `description` never holds parameter values, a conninfo string or a password: the statement is
/// kept with its `$n` placeholders only, and connection errors are scrubbed of the password.
public struct PQError: Error, Sendable {
    /// What went wrong. Callers compare codes with `==`, so adding a code breaks no one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case connectionFailed, connectionLost, connectionClosed, server, cancelled, client, decoding
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String {
            switch self.base {
            case .connectionFailed: "connection failed"
            case .connectionLost: "connection lost"
            case .connectionClosed: "connection closed"
            case .server: "server error"
            case .cancelled: "cancelled"
            case .client: "client error"
            case .decoding: "decoding error"
            }
        }
        /// Could not connect (bad host, bad password, server refusing connections).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use (terminated backend, server restart, network loss).
        /// The connection is unusable; open a new one.
        public static let connectionLost = Code(.connectionLost)
        /// The connection was closed by this process and used afterwards.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server reported an error; ``PQError/sqlState`` says why.
        public static let server = Code(.server)
        /// The statement was cancelled because the calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// libpq refused a request before it reached the server (e.g. a malformed conninfo).
        public static let client = Code(.client)
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(.decoding)
    }

    public var code: Code
    /// The server's SQLSTATE, when the server sent one.
    public var sqlState: SQLState?
    /// `ERROR`, `FATAL`, `PANIC` (never localised).
    public var severity: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in ``statement``.
    public var position: Int?
    /// The statement with its `$n` placeholders; parameter values are never kept.
    public var statement: String?
    /// Where in PL/pgSQL or SQL functions the error happened.
    public var context: String?
    /// Position inside an internally generated query (PL/pgSQL), and that query.
    public var internalPosition: Int?
    public var internalQuery: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?

    public init(
        code: Code,
        sqlState: SQLState? = nil,
        message: String,
        statement: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.statement = statement
    }

    /// True when the connection can no longer be used and the caller should reconnect.
    public var isConnectionError: Bool {
        self.code == .connectionLost || self.code == .connectionFailed || self.code == .connectionClosed
    }

    static func decoding(_ message: String) -> PQError { PQError(code: .decoding, message: message) }
}

extension PQError: CustomStringConvertible {
    /// One line for the message, then DETAIL and HINT lines as psql prints them.
    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let sqlState = self.sqlState { text += " (SQLSTATE \(sqlState))" }
        if let position = self.position { text += " at character \(position)" }
        if let detail = self.detail { text += "\nDETAIL: \(detail)" }
        if let hint = self.hint { text += "\nHINT: \(hint)" }
        if let context = self.context { text += "\nCONTEXT: \(context)" }
        return text
    }
}
