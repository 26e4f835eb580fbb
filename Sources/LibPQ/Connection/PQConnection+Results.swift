import CLibPQ
import Foundation
import Logging

/// Copies a `PGresult` into Swift values; the caller clears it.
func decodeResult(_ result: OpaquePointer) -> PQResult {
    let rowCount = Int(PQntuples(result))
    let columnCount = Int(PQnfields(result))
    var names: [String] = []
    var types: [PQType] = []
    names.reserveCapacity(columnCount)
    for column in 0..<columnCount {
        names.append(String(cString: PQfname(result, Int32(column))))
        types.append(PQType(oid: PQftype(result, Int32(column))))
    }
    var values: [String?] = []
    values.reserveCapacity(rowCount * columnCount)
    for row in 0..<rowCount {
        for column in 0..<columnCount {
            if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                values.append(nil)
            } else {
                values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
            }
        }
    }
    let tag = String(cString: PQcmdStatus(result))
    let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
    return PQResult(
        columns: PQColumns(names: names, types: types),
        values: values,
        commandTag: tag,
        affectedRows: affected
    )
}

/// Builds a ``PQError`` from an error result with every diagnostic field the server sent.
func makeServerError(_ result: OpaquePointer, statement: String?) -> PQError {
    func field(_ code: Int32) -> String? {
        PQresultErrorField(result, code).map { String(cString: $0) }
    }
    let primary = field(erpmes_diag_message())
    let fallback = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
    var error = PQError(
        code: .server,
        sqlState: field(erpmes_diag_sqlstate()).map(SQLState.init(rawValue:)),
        message: primary ?? (fallback.isEmpty ? "unknown error" : fallback),
        statement: statement
    )
    error.severity = field(erpmes_diag_severity())
    error.detail = field(erpmes_diag_detail())
    error.hint = field(erpmes_diag_hint())
    error.position = field(erpmes_diag_position()).flatMap { Int($0) }
    error.internalPosition = field(erpmes_diag_internal_position()).flatMap { Int($0) }
    error.internalQuery = field(erpmes_diag_internal_query())
    error.context = field(erpmes_diag_context())
    error.schema = field(erpmes_diag_schema())
    error.table = field(erpmes_diag_table())
    error.column = field(erpmes_diag_column())
    error.constraint = field(erpmes_diag_constraint())
    if primary == nil && error.sqlState == nil { error.code = .client }
    return error
}

/// Where server NOTICE and WARNING messages go: the log, and the configured handler.
final class NoticeSink: Sendable {
    let logger: Logger
    let handler: (@Sendable (PQNotice) -> Void)?

    init(logger: Logger, handler: (@Sendable (PQNotice) -> Void)?) {
        self.logger = logger
        self.handler = handler
    }

    func receive(_ notice: PQNotice) {
        let level: Logger.Level
        switch notice.severity {
        case "WARNING": level = .warning
        case "NOTICE", "INFO": level = .info
        default: level = .debug
        }
        var metadata: Logger.Metadata = [
            "db.severity": "\(notice.severity)", "db.sqlstate": "\(notice.sqlState?.rawValue ?? "none")",
        ]
        if let detail = notice.detail { metadata["db.detail"] = "\(detail)" }
        metadata["db.message"] = "\(notice.message)"
        self.logger.log(level: level, "server notice", metadata: metadata)
        self.handler?(notice)
    }
}

/// libpq's notice receiver: runs on the connection's queue while a result is being read.
func receiveNotice(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
    sink.receive(
        PQNotice(
            severity: field(erpmes_diag_severity()) ?? "NOTICE",
            sqlState: field(erpmes_diag_sqlstate()).map(SQLState.init(rawValue:)),
            message: field(erpmes_diag_message()) ?? "",
            detail: field(erpmes_diag_detail()),
            hint: field(erpmes_diag_hint())
        )
    )
}
