import LibPQ
import Logging

/// The source's listening connection: LISTENs for `erpmes_wake` and `erpmes_control`, and tells
/// writers whether this replicator is idle (DESIGN 2.8) so they NOTIFY only when it helps.
///
/// Polling guarantees progress; NOTIFY only shortens latency.
struct Waker: Sendable {
    let connection: PQConnection
    let poll: Duration
    let notify: Bool

    func start() async throws {
        // Bounds the wait for writers that are deciding whether to notify; see `idle()`.
        try await self.connection.query("SET lock_timeout = '200ms'")
        if self.notify {
            try await self.connection.listen("erpmes_wake")
            try await self.connection.listen("erpmes_control")
        }
    }

    /// Marks this replicator idle: takes I shared, then S exclusively to wait out writers that saw
    /// no idle replicator and skipped their NOTIFY. The caller takes a fresh tick next, which sees
    /// their commits. If a writer holds S longer than 200 ms, the poll timer covers it.
    func idle() async throws {
        guard self.notify else { return }
        try await self.connection.query("SELECT pg_advisory_lock_shared($1::integer, 2)", [AdvisoryLock.wake])
        do {
            try await self.connection.query("SELECT pg_advisory_lock($1::integer, 1)", [AdvisoryLock.wake])
            try await self.connection.query("SELECT pg_advisory_unlock($1::integer, 1)", [AdvisoryLock.wake])
        } catch let error as PQError where error.sqlState == .lockNotAvailable {
            // A long writer holds S: it will commit later than our fresh tick; polling finds it.
        }
    }

    /// Marks this replicator busy: writers stop notifying.
    func busy() async throws {
        guard self.notify else { return }
        try await self.connection.query("SELECT pg_advisory_unlock_shared($1::integer, 2)", [AdvisoryLock.wake])
    }

    /// Waits for a NOTIFY or the poll interval, whichever comes first, and swallows the
    /// notifications that queued up meanwhile. Returns true when woken by a NOTIFY.
    @discardableResult
    func wait() async throws -> Bool {
        guard try await self.connection.nextNotification(timeout: self.poll) != nil else { return false }
        while try await self.connection.nextNotification(timeout: .zero) != nil {}
        return true
    }
}
