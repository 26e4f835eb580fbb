import Foundation
import LibPQ
import Logging

/// The session advisory lock that lets one `erpmes migrate` at a time change a target.
///
/// Taken with `pg_try_advisory_lock` polled on a connection of its own, so no transaction stays
/// open while waiting and a waiting run never blocks anyone. The key is (migrate class,
/// `hashtext(target)`), so targets sharing a database lock independently.
struct MigrationLock: Sendable {
    /// Advisory-lock class for migrations ("MIGR"); the replicator's classes differ.
    static let lockClass: Int32 = 0x4D49_4752

    let connection: PQConnection
    let target: String

    /// Who holds the lock (or blocks a statement).
    typealias Holder = PQSession

    /// Polls for the lock until `wait` passes, calling `waiting` whenever the holder changes.
    /// - Throws: ``MigrateFailure`` `lockTimeout` naming the holder when the wait runs out.
    func acquire(wait: Duration, waiting: @Sendable (Holder?) -> Void) async throws {
        let deadline = ContinuousClock.now + wait
        var lastHolder: Holder?? = .none
        while true {
            let rows = try await self.connection.query(
                "SELECT pg_try_advisory_lock($1::integer, hashtext($2)) AS locked",
                [Self.lockClass, self.target]
            )
            if try rows.first?.decode("locked", as: Bool.self) == true { return }
            let holder = try await self.holder()
            if lastHolder != .some(holder) {
                waiting(holder)
                lastHolder = .some(holder)
            }
            if ContinuousClock.now >= deadline {
                throw MigrateFailure(
                    .lockTimeout,
                    target: self.target,
                    "another erpmes migrate holds the lock of target \(self.target)"
                        + (holder.map { ": \($0)" } ?? "") + "; waited \(wait)"
                )
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Releases the lock (it also goes when the connection closes).
    func release() async {
        _ = try? await self.connection.query(
            "SELECT pg_advisory_unlock($1::integer, hashtext($2))",
            [Self.lockClass, self.target]
        )
    }

    /// The session holding the lock, if any.
    func holder() async throws -> Holder? {
        try await self.connection.advisoryLockHolder(classID: Self.lockClass, name: self.target)
    }

    /// The sessions blocking backend `pid` right now (`pg_blocking_pids`).
    static func blockers(of pid: Int32, on connection: PQConnection) async throws -> [Holder] {
        try await connection.sessions(blocking: pid)
    }
}
