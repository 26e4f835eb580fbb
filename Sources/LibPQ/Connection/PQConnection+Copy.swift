import CLibPQ
import Foundation

extension PQConnection {
    /// Runs `COPY ... FROM STDIN` and sends `data`, which is already in the statement's COPY format.
    /// - Returns: the number of rows the server loaded.
    /// - Throws: ``PQError`` with the server's SQLSTATE and the line COPY failed on (in `context`).
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) async throws -> Int {
        try self.checkNotCancelled(sql)
        return try self.copyIn(sql) { send in
            var offset = 0
            while offset < data.count {
                let end = min(offset + Self.copyChunk, data.count)
                try data[offset..<end].withUnsafeBufferPointer { try send($0) }
                offset = end
            }
        }
    }

    /// Runs `COPY ... FROM STDIN` (text format) and streams `rows` encoded with ``PQCopyEncoder``.
    /// - Returns: the number of rows the server loaded.
    @discardableResult
    public func copyIn(_ sql: String, rows: some Sequence<[String?]> & Sendable) async throws -> Int {
        try self.checkNotCancelled(sql)
        return try self.copyIn(sql) { send in
            var encoder = PQCopyEncoder()
            for row in rows {
                encoder.append(row)
                if encoder.bytes.count >= Self.copyChunk {
                    try encoder.bytes.withUnsafeBufferPointer { try send($0) }
                    encoder.removeAll()
                }
            }
            try encoder.bytes.withUnsafeBufferPointer { try send($0) }
        }
    }

    /// Runs `COPY ... TO STDOUT` and returns everything the server sent.
    public func copyOut(_ sql: String) async throws -> [UInt8] {
        try self.checkNotCancelled(sql)
        let connection = try self.liveHandle()
        self.cancelHandle.begin()
        guard PQsendQuery(connection, sql) == 1 else {
            self.cancelHandle.end()
            throw self.connectionError(connection, statement: sql)
        }
        var output: [UInt8] = []
        if let first = PQgetResult(connection) {
            let status = PQresultStatus(first)
            if status == PGRES_COPY_OUT {
                PQclear(first)
                var buffer: UnsafeMutablePointer<CChar>?
                while true {
                    let length = PQgetCopyData(connection, &buffer, 0)
                    guard length > 0, let chunk = buffer else { break }
                    chunk.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                        output.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
                    }
                    PQfreemem(chunk)
                }
            } else {
                // Not a COPY TO: let the normal path report the error.
                let error = makeServerError(first, statement: sql)
                PQclear(first)
                _ = try? self.collectResults(connection, statement: sql)
                throw error
            }
        }
        _ = try self.collectResults(connection, statement: sql)
        return output
    }

    static var copyChunk: Int { 1 << 20 }

    private func copyIn(
        _ sql: String,
        _ produce: ((UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void
    ) throws -> Int {
        let connection = try self.liveHandle()
        self.cancelHandle.begin()
        guard PQsendQuery(connection, sql) == 1 else {
            self.cancelHandle.end()
            throw self.connectionError(connection, statement: sql)
        }
        guard let first = PQgetResult(connection) else {
            self.cancelHandle.end()
            throw self.connectionError(connection, statement: sql)
        }
        guard PQresultStatus(first) == PGRES_COPY_IN else {
            let error =
                PQresultStatus(first) == PGRES_FATAL_ERROR
                ? makeServerError(first, statement: sql)
                : PQError(code: .client, message: "statement is not COPY ... FROM STDIN", statement: sql)
            PQclear(first)
            _ = try? self.collectResults(connection, statement: sql)
            throw error
        }
        PQclear(first)
        var sendFailure: PQError?
        do {
            try produce { buffer in
                guard buffer.count > 0 else { return }
                let sent = buffer.withMemoryRebound(to: CChar.self) {
                    PQputCopyData(connection, $0.baseAddress, Int32($0.count))
                }
                if sent != 1 { throw self.connectionError(connection, statement: sql) }
            }
        } catch let error as PQError {
            sendFailure = error
        }
        // Ending with an error message makes the server abort the COPY and roll its rows back.
        _ = PQputCopyEnd(connection, sendFailure == nil ? nil : "erpmes aborted the COPY")
        let results = try self.collectResults(connection, statement: sql)
        if let sendFailure { throw sendFailure }
        return results.last?.affectedRows ?? 0
    }
}

/// Encodes rows in COPY text format: tab-separated, `\N` for NULL, backslash escapes for
/// backslash, tab, newline and carriage return.
public struct PQCopyEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends one row; nil is NULL.
    public mutating func append(_ row: [String?]) {
        for (index, value) in row.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: "\t")) }
            guard let value else {
                self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\t"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case UInt8(ascii: "\n"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: self.bytes.append(byte)
                }
            }
        }
        self.bytes.append(UInt8(ascii: "\n"))
    }

    public mutating func removeAll() { self.bytes.removeAll(keepingCapacity: true) }
}
