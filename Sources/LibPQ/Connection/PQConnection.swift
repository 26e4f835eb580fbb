import CLibPQ
import Foundation
import Logging

/// One libpq connection on its own serial queue, so blocking libpq calls never hold a thread of the
/// cooperative pool. A transaction is not safe to share: each role opens its own connection.
///
/// All values travel as text: parameters in PostgreSQL's input syntax, results decoded by
/// ``Row/decode(_:as:)``. Every session runs with `TimeZone=UTC`, `DateStyle=ISO` and UTF-8, so
/// decoding never depends on server defaults.
public actor PQConnection {
    private let executor: BlockingSerialExecutor
    let cancelHandle: CancelHandle
    let wakePipe: WakePipe
    private let noticeSink: NoticeSink
    var handle: OpaquePointer?  // PGconn *; never leaves the actor
    let logger: Logger

    /// The server process serving this connection (`pg_backend_pid()`).
    public nonisolated let backendPID: Int32
    /// The server version as an integer, e.g. 150018 for 15.18.
    public nonisolated let serverVersion: Int

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.executor.asUnownedSerialExecutor()
    }

    private init(executor: BlockingSerialExecutor, opened: OpenedHandle, noticeSink: NoticeSink, logger: Logger) throws
    {
        self.executor = executor
        self.handle = opened.pointer
        self.noticeSink = noticeSink
        self.logger = logger
        self.cancelHandle = CancelHandle()
        self.wakePipe = try WakePipe()
        self.backendPID = PQbackendPID(opened.pointer)
        self.serverVersion = Int(PQserverVersion(opened.pointer))
        self.cancelHandle.attach(opened.pointer)
    }

    /// Connects with `PQconnectdbParams`, so conninfo strings, URIs and `service=` work as in psql.
    ///
    /// The conninfo may hold a password, so it stays a ``Secret``: never logged, never in an error
    /// (libpq's own message is scrubbed of it).
    /// - Throws: ``PQError`` with code `connectionFailed` when the server cannot be reached or refuses.
    public static func connect(_ config: ConnectionConfiguration, logger: Logger) async throws -> PQConnection {
        let executor = BlockingSerialExecutor(label: "erpmes.libpq")
        let sink = NoticeSink(logger: logger, handler: config.onNotice)
        let opened = try await executor.run { try Self.open(config, sink: sink, logger: logger) }
        let connection: PQConnection
        do {
            connection = try PQConnection(executor: executor, opened: opened, noticeSink: sink, logger: logger)
        } catch {
            PQfinish(opened.pointer)
            throw error
        }
        try await connection.applySession(config)
        return connection
    }

    /// Closes the connection. Later calls throw ``PQError/Code/connectionClosed``.
    public func close() {
        if let handle = self.handle {
            PQfinish(handle)
            self.handle = nil
            self.logger.debug("connection closed", metadata: ["db.pid": "\(self.backendPID)"])
        }
    }

    // Isolated (SE-0371): PQfinish runs on the connection's queue, after any statement in flight.
    isolated deinit {
        if let handle { PQfinish(handle) }
    }

    /// Whether a transaction is open, failed, or the connection idle.
    public var transactionStatus: PQTransactionStatus {
        guard let handle else { return .unknown }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failed
        default: return .unknown
        }
    }

    /// False once the connection is closed or broken.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one statement. Values always go as parameters (`$1`, `$2`, ...); `nil` is SQL NULL.
    /// Cancelling the calling task sends a cancel request to the server.
    /// - Returns: the rows, command tag and affected-row count.
    /// - Throws: ``PQError``: `server` with the SQLSTATE, `cancelled`, or `connectionLost`.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PQEncodable)?] = []) async throws -> PQResult {
        let texts = parameters.map { $0?.pqText ?? nil }
        let cancelHandle = self.cancelHandle
        return try await withTaskCancellationHandler {
            try self.queryBlocking(sql, texts)
        } onCancel: {
            cancelHandle.cancel()  // PQcancel is the one libpq call safe from another thread
        }
    }

    /// Runs a script of one or more statements with the simple-query protocol (no parameters), as
    /// psql does with `-f`. Statements run in their own implicit transactions unless the script
    /// says `BEGIN`. Stops at the first error.
    /// - Returns: one result per statement that ran.
    @discardableResult
    public func simpleQuery(_ script: String) async throws -> [PQResult] {
        let cancelHandle = self.cancelHandle
        return try await withTaskCancellationHandler {
            try self.checkNotCancelled(script)
            let connection = try self.liveHandle()
            self.cancelHandle.begin()
            guard PQsendQuery(connection, script) == 1 else {
                self.cancelHandle.end()
                throw self.connectionError(connection, statement: script)
            }
            return try self.collectResults(connection, statement: script)
        } onCancel: {
            cancelHandle.cancel()
        }
    }

    func checkNotCancelled(_ sql: String) throws {
        if Task.isCancelled {
            throw PQError(code: .cancelled, message: "cancelled before it was sent", statement: sql)
        }
    }

    /// `query` without the cancellation check: for ROLLBACK, which must run even when cancelled.
    func queryBlocking(_ sql: String, _ parameters: [String?]) throws -> PQResult {
        try self.checkNotCancelled(sql)
        return try self.execute(sql, parameters)
    }

    func execute(_ sql: String, _ parameters: [String?]) throws -> PQResult {
        let connection = try self.liveHandle()
        self.logger.trace("statement", metadata: ["db.statement": "\(sql)"])
        self.cancelHandle.begin()
        let sent = withCStringArray(parameters) { values in
            PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else {
            self.cancelHandle.end()
            throw self.connectionError(connection, statement: sql)
        }
        let results = try self.collectResults(connection, statement: sql)
        return results.last
            ?? PQResult(columns: PQColumns(names: [], types: []), values: [], commandTag: "", affectedRows: 0)
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle = self.handle else {
            throw PQError(code: .connectionClosed, message: "the connection was closed")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PQError(code: .connectionLost, message: "the connection to the server was lost")
        }
        return handle
    }

    /// Reads every result of the statement(s) just sent; keeps the first error and throws it after
    /// the connection is ready again, so the next statement never sees leftovers.
    func collectResults(_ connection: OpaquePointer, statement: String) throws -> [PQResult] {
        var results: [PQResult] = []
        var failure: PQError?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                results.append(decodeResult(result))
            case PGRES_COPY_IN:
                _ = PQputCopyEnd(connection, "COPY FROM STDIN must be run with copyIn")
            case PGRES_COPY_OUT:
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
            default:
                if failure == nil { failure = makeServerError(result, statement: statement) }
            }
        }
        let cancelRequested = self.cancelHandle.end()
        if var failure {
            if PQstatus(connection) != CONNECTION_OK {
                failure.code = .connectionLost
                self.logger.warning(
                    "connection lost",
                    metadata: ["db.pid": "\(self.backendPID)", "db.error": "\(failure.message)"]
                )
            } else if failure.sqlState == .queryCanceled && cancelRequested {
                failure.code = .cancelled
            }
            throw failure
        }
        return results
    }

    func connectionError(_ connection: OpaquePointer, statement: String?) -> PQError {
        let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
        let lost = PQstatus(connection) != CONNECTION_OK
        return PQError(code: lost ? .connectionLost : .client, message: message, statement: statement)
    }

    private func applySession(_ config: ConnectionConfiguration) throws {
        var settings: [(name: String, value: String)] = [
            ("TimeZone", config.timeZone), ("DateStyle", "ISO, YMD"), ("IntervalStyle", "postgres"),
            ("extra_float_digits", "3"), ("bytea_output", "hex"),
        ]
        settings.append(contentsOf: config.settings)
        let calls = settings.indices.map { "set_config($\($0 * 2 + 1), $\($0 * 2 + 2), false)" }
        _ = try self.execute("SELECT " + calls.joined(separator: ", "), settings.flatMap { [$0.name, $0.value] })
    }

    /// Runs on the executor's queue before the actor exists: `PQconnectdbParams` blocks.
    private static func open(_ config: ConnectionConfiguration, sink: NoticeSink, logger: Logger) throws -> OpenedHandle
    {
        let conninfo = config.conninfo.reveal()
        let environment = ProcessInfo.processInfo.environment
        // Defaults go before `dbname`: with expand_dbname, the conninfo's own settings override them.
        var pairs: [(String, String)] = [("fallback_application_name", config.applicationName)]
        if environment["PGCONNECT_TIMEOUT"] == nil { pairs.append(("connect_timeout", String(config.connectTimeout))) }
        if config.keepalives {
            pairs += [
                ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"),
                ("keepalives_count", "3"),
            ]
        }
        pairs += [("client_encoding", "UTF8"), ("dbname", conninfo)]
        let connection: OpaquePointer? = withCStringArray(pairs.map { $0.0 }) { keywords in
            withCStringArray(pairs.map { $0.1 }) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw PQError(code: .connectionFailed, message: "out of memory while connecting") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let raw = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connection)
            let message = redact(raw, conninfo: conninfo)
            logger.debug("connection failed", metadata: ["db.error": "\(message)"])
            throw PQError(code: .connectionFailed, sqlState: sqlState(inConnectionMessage: raw), message: message)
        }
        PQsetNoticeReceiver(connection, receiveNotice, Unmanaged.passUnretained(sink).toOpaque())
        logger.debug(
            "connected",
            metadata: [
                "db.host": "\(String(cString: PQhost(connection)))",
                "db.port": "\(String(cString: PQport(connection)))",
                "db.name": "\(String(cString: PQdb(connection)))", "db.user": "\(String(cString: PQuser(connection)))",
                "db.pid": "\(PQbackendPID(connection))",
            ]
        )
        return OpenedHandle(pointer: connection)
    }
}

/// A freshly opened `PGconn *` on its way from the executor's queue into the actor.
// @unchecked Sendable: the pointer is handed over once and used only by the actor afterwards.
struct OpenedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Whether the connection is idle, inside a transaction, or inside a failed one.
public enum PQTransactionStatus: Sendable {
    case idle, active, inTransaction, failed, unknown
}

/// Removes the password (and, for an unparsable conninfo, every quoted fragment of it) from a
/// libpq message: `missing "=" after "s3cret"` must not reach a log.
func redact(_ message: String, conninfo: String) -> String {
    var message = message
    var parseError: UnsafeMutablePointer<CChar>?
    if let options = PQconninfoParse(conninfo, &parseError) {
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                let password = String(cString: value)
                if !password.isEmpty { message = message.replacingOccurrences(of: password, with: "<redacted>") }
            }
            option += 1
        }
        PQconninfoFree(options)
    } else {
        if let parseError { PQfreemem(parseError) }
        // Unparsable: libpq quotes pieces of the conninfo; any of them may be the password.
        let pieces = message.split(separator: "\"", omittingEmptySubsequences: false)
        message = pieces.enumerated().map { index, piece in
            index % 2 == 1 && conninfo.contains(piece) ? "<redacted>" : String(piece)
        }.joined(separator: "\"")
    }
    if let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty {
        message = message.replacingOccurrences(of: password, with: "<redacted>")
    }
    return message
}

/// libpq puts no SQLSTATE on connection failures; recognise the one callers act on.
private func sqlState(inConnectionMessage message: String) -> SQLState? {
    if message.contains("password authentication failed") { return .invalidPassword }
    if message.contains("too many clients") { return .tooManyConnections }
    if message.contains("the database system is starting up") || message.contains("shutting down") {
        return .cannotConnectNow
    }
    return nil
}

/// Calls `body` with a C array of strings (NULL for nil), terminated by one extra NULL as
/// `PQconnectdbParams` wants; the strings live for the duration of the call.
func withCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } } + [nil]
    defer { for pointer in duplicated { free(pointer) } }
    let constant = duplicated.map { $0.map { UnsafePointer($0) } }
    return constant.withUnsafeBufferPointer { body($0.baseAddress!) }
}

func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withCStringArray(strings.map { Optional($0) }, body)
}
