import ErpmesTestSupport
import LibPQ
import Testing

/// Timing-sensitive tests. `make test` (scripts/run-tests) runs them, with CancelTests and ListenTests,
/// before the rest, so the latency measured is the wake-up's, not the scheduling delay of a machine
/// busy with the parallel replication load tests.
@Suite(.serialized) struct LatencyTests {
    @Test("a NOTIFY from another connection wakes a waiting listener within 100 ms", .freshDatabase)
    func notifyLatency() async throws {
        let listener = try await TestDatabase.connect()
        let notifier = try await TestDatabase.connect()
        try await listener.listen("erpmes_wake")
        var latencies: [Duration] = []
        for round in 0..<5 {
            async let received = listener.nextNotification(timeout: .seconds(10))
            try await Task.sleep(for: .milliseconds(50))  // let the listener block in poll first
            let start = ContinuousClock.now
            try await notifier.query("SELECT pg_notify($1, $2)", ["erpmes_wake", "round \(round)"])
            let notification = try #require(try await received)
            latencies.append(ContinuousClock.now - start)
            #expect(notification.channel == "erpmes_wake")
            #expect(notification.payload == "round \(round)")
            #expect(notification.senderPID == notifier.backendPID)
        }
        // Liveness with slack: every round well under a second, the typical one under 100 ms.
        #expect(latencies.allSatisfy { $0 < .seconds(1) })
        #expect(latencies.sorted()[2] < .milliseconds(100), "median latency \(latencies.sorted()[2])")
    }

}
