import CLibPQ
import Foundation
import Logging

/// One `NOTIFY` received on a channel this connection listens on.
public struct PQNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process of the session that sent it.
    public var senderPID: Int32
}

extension PQConnection {
    /// Starts listening on `channel` (quoted, so any name is safe).
    public func listen(_ channel: String) async throws {
        try await self.query("LISTEN \(SQLQuote.identifier(channel))")
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) async throws {
        try await self.query("UNLISTEN \(SQLQuote.identifier(channel))")
    }

    /// Listens on `channel` while `consume` runs, and UNLISTENs when it ends, also on error.
    public func listen<T: Sendable>(
        on channel: String,
        consume: @Sendable (PQNotificationSequence) async throws -> T
    ) async throws -> T {
        try await self.listen(channel)
        do {
            let result = try await consume(self.notifications)
            try await self.unlisten(channel)
            return result
        } catch {
            if self.isOpen { _ = try? self.execute("UNLISTEN \(SQLQuote.identifier(channel))", []) }
            throw error
        }
    }

    /// Notifications on every channel this connection listens on, in the order they arrive. The
    /// sequence ends when the iterating task is cancelled; it throws when the connection is lost.
    public nonisolated var notifications: PQNotificationSequence { PQNotificationSequence(connection: self) }

    /// Waits for the next notification by blocking in `poll` on the connection's socket: no busy
    /// loop, and a NOTIFY wakes it within microseconds of arriving.
    ///
    /// Notifications that arrived while other statements ran are returned first. Task cancellation
    /// wakes the wait through a pipe.
    /// - Parameter timeout: how long to wait; nil waits until one arrives.
    /// - Returns: the notification, or nil when `timeout` passed first.
    /// - Throws: `CancellationError` when the task is cancelled; ``PQError`` with code
    ///   `connectionLost` when the connection breaks while waiting.
    public func nextNotification(timeout: Duration? = nil) async throws -> PQNotification? {
        let wakePipe = self.wakePipe
        return try await withTaskCancellationHandler {
            try self.waitForNotification(timeout: timeout)
        } onCancel: {
            wakePipe.wake()
        }
    }

    private func waitForNotification(timeout: Duration?) throws -> PQNotification? {
        let connection = try self.liveHandle()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        self.wakePipe.drain()
        while true {
            if let notification = Self.takeNotification(connection) { return notification }
            if Task.isCancelled { throw CancellationError() }
            var waitMilliseconds: Int32 = -1
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { return nil }
                let (seconds, attoseconds) = remaining.components
                waitMilliseconds = Int32(
                    clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                )
            }
            var fds = [
                pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0),
                pollfd(fd: self.wakePipe.readFD, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, waitMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw PQError(code: .client, message: "poll failed: \(String(cString: strerror(errno)))")
            }
            if fds[1].revents != 0 { self.wakePipe.drain() }
            if fds[0].revents != 0 {
                guard PQconsumeInput(connection) == 1, PQstatus(connection) == CONNECTION_OK else {
                    let error = self.connectionError(connection, statement: nil)
                    self.logger.warning(
                        "connection lost",
                        metadata: ["db.pid": "\(self.backendPID)", "db.error": "\(error.message)"]
                    )
                    throw PQError(code: .connectionLost, sqlState: error.sqlState, message: error.message)
                }
            }
        }
    }

    private static func takeNotification(_ connection: OpaquePointer) -> PQNotification? {
        guard let raw = PQnotifies(connection) else { return nil }
        defer { PQfreemem(raw) }
        return PQNotification(
            channel: String(cString: raw.pointee.relname),
            payload: String(cString: raw.pointee.extra),
            senderPID: raw.pointee.be_pid
        )
    }
}

/// The notifications of one connection as an `AsyncSequence`; see ``PQConnection/notifications``.
public struct PQNotificationSequence: AsyncSequence, Sendable {
    public typealias Element = PQNotification
    let connection: PQConnection

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(connection: self.connection) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: PQConnection

        /// The next notification; nil once the task is cancelled.
        public mutating func next() async throws -> PQNotification? {
            do {
                return try await self.connection.nextNotification()
            } catch is CancellationError {
                return nil
            }
        }
    }
}
