import Logging

/// The isolation level of a transaction (`BEGIN ISOLATION LEVEL ...`).
public enum PQIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PQConnection {
    /// Runs `body` between BEGIN and COMMIT. An error thrown by `body` rolls back and is rethrown.
    ///
    /// The ROLLBACK runs even when the task was cancelled; a failed COMMIT (a deferred constraint,
    /// a serialization failure) throws like any statement.
    /// - Parameters:
    ///   - isolation: the isolation level; the server default when nil.
    ///   - readOnly: `READ ONLY`, so an accidental write fails.
    ///   - body: the work, running on this connection's isolation.
    public func withTransaction<T: Sendable>(
        isolation: PQIsolationLevel? = nil,
        readOnly: Bool = false,
        _ body: @Sendable (isolated PQConnection) async throws -> T
    ) async throws -> T {
        var begin = "BEGIN"
        if let isolation { begin += " ISOLATION LEVEL \(isolation.rawValue)" }
        if readOnly { begin += " READ ONLY" }
        try await self.query(begin)
        do {
            let result = try await body(self)
            try await self.query("COMMIT")
            return result
        } catch {
            self.rollbackQuietly("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside `SAVEPOINT`; on error rolls back to it and rethrows, leaving the outer
    /// transaction usable. Needs an open transaction.
    public func withSavepoint<T: Sendable>(
        _ name: String = "erpmes_savepoint",
        _ body: @Sendable (isolated PQConnection) async throws -> T
    ) async throws -> T {
        let savepoint = SQLQuote.identifier(name)
        try await self.query("SAVEPOINT \(savepoint)")
        do {
            let result = try await body(self)
            try await self.query("RELEASE SAVEPOINT \(savepoint)")
            return result
        } catch {
            self.rollbackQuietly("ROLLBACK TO SAVEPOINT \(savepoint)")
            self.rollbackQuietly("RELEASE SAVEPOINT \(savepoint)")
            throw error
        }
    }

    /// Not `query`: must run even when the task is cancelled, and a broken connection has nothing
    /// left to roll back.
    private func rollbackQuietly(_ statement: String) {
        guard self.isOpen else { return }
        do {
            _ = try self.execute(statement, [])
        } catch {
            self.logger.warning("rollback failed", metadata: ["db.error": "\(error)"])
        }
    }
}

extension PQConnection {
    /// Sends ROLLBACK even when the calling task is cancelled: for callers that manage BEGIN and
    /// COMMIT themselves across several connections.
    public func rollbackIgnoringCancellation() throws {
        guard self.isOpen else { return }
        _ = try self.execute("ROLLBACK", [])
    }
}
