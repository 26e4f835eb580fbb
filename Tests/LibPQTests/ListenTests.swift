import ErpmesTestSupport
import LibPQ
import Testing

@Suite struct ListenTests {
    @Test("10,000 NOTIFYs arrive in order without loss", .freshDatabase)
    func manyNotifications() async throws {
        let listener = try await TestDatabase.connect()
        let notifier = try await TestDatabase.connect()
        let count = 10_000
        let payloads = try await listener.listen(on: "erpmes_bulk") { notifications in
            // One transaction per batch of 1,000, so the run is quick and order crosses commits.
            for batch in stride(from: 0, to: count, by: 1_000) {
                try await notifier.query(
                    "SELECT pg_notify('erpmes_bulk', g::text) FROM generate_series($1::int, $2::int) AS g ORDER BY g",
                    [batch, batch + 999]
                )
            }
            var received: [Int] = []
            for try await notification in notifications {
                received.append(Int(notification.payload) ?? -1)
                if received.count == count { break }
            }
            return received
        }
        #expect(payloads.count == count)
        #expect(payloads == Array(0..<count))
        // Scoped listen ends with UNLISTEN.
        let channels = try await listener.query("SELECT count(*) AS n FROM pg_listening_channels()")
        #expect(channels.first?["n"] == "0")
    }

    @Test("waiting with a timeout returns nil when nothing arrives", .freshDatabase)
    func timeoutReturnsNil() async throws {
        let listener = try await TestDatabase.connect()
        try await listener.listen("quiet")
        let start = ContinuousClock.now
        let notification = try await listener.nextNotification(timeout: .milliseconds(200))
        let elapsed = ContinuousClock.now - start
        #expect(notification == nil)
        #expect(elapsed >= .milliseconds(190))
        #expect(elapsed < .seconds(5))
    }

    @Test("cancelling the waiting task ends the sequence promptly", .freshDatabase)
    func cancellationEndsSequence() async throws {
        let listener = try await TestDatabase.connect()
        try await listener.listen("never")
        let task = Task {
            var count = 0
            for try await _ in listener.notifications { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        task.cancel()
        let count = try await task.value
        #expect(count == 0)
        #expect(ContinuousClock.now - start < .seconds(1))
        // The connection still works after the wait was interrupted.
        #expect(try await listener.query("SELECT 1").first?[0] == "1")
    }

    @Test("a listener whose backend is terminated gets connectionLost", .freshDatabase)
    func terminatedWhileListening() async throws {
        let listener = try await TestDatabase.connect()
        let admin = try await TestDatabase.connect()
        try await listener.listen("doomed")
        let waiting = Task { try await listener.nextNotification(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(100))
        try await admin.query("SELECT pg_terminate_backend($1)", [Int(listener.backendPID)])
        let error = await #expect(throws: PQError.self) { try await waiting.value }
        #expect(error?.code == .connectionLost)
    }

    @Test("notifications sent while the connection ran other statements are not lost", .freshDatabase)
    func bufferedDuringQuery() async throws {
        let listener = try await TestDatabase.connect()
        let notifier = try await TestDatabase.connect()
        try await listener.listen("busy")
        try await notifier.query("NOTIFY busy, 'one'")
        try await listener.query("SELECT pg_sleep(0.1)")
        try await notifier.query("NOTIFY busy, 'two'")
        let first = try await listener.nextNotification(timeout: .seconds(5))
        let second = try await listener.nextNotification(timeout: .seconds(5))
        #expect([first?.payload, second?.payload] == ["one", "two"])
    }
}
