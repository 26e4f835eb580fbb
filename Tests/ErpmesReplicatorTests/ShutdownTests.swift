import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct ShutdownTests {
    @Test("SIGHUP neither kills erpmes run nor goes unseen: one log line, and replication goes on", .freshDatabase)
    func hangupIsLogged() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let config = try ReplicatorProcess.writeConfiguration(fixture)
        let process = try ReplicatorProcess.start(config)
        try await Self.waitForEpoch(above: 0, fixture)
        process.child.kill(SIGHUP)
        #expect(
            try await fixture.eventually(timeout: .seconds(10)) { process.output.contains("SIGHUP received") },
            "\(process.output)"
        )
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'after SIGHUP')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM item WHERE id = 1",
                equals: "after SIGHUP"
            ),
            "\(process.output)"
        )
        // Still the same process: a graceful stop exits 0.
        process.child.kill(SIGTERM)
        #expect(try await process.waitForExit(timeout: .seconds(15)) == 0, "\(process.output)")
        try await fixture.tearDown()
    }

    @Test("SIGTERM stops erpmes run gracefully: exit 0, locks released, a new run takes over at once", .freshDatabase)
    func gracefulStop() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let config = try ReplicatorProcess.writeConfiguration(fixture)
        let first = try ReplicatorProcess.start(config)
        try await Self.waitForEpoch(above: 0, fixture)
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'before stop')")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1", equals: "before stop")
        )

        first.child.kill(SIGTERM)
        let status = try await first.waitForExit(timeout: .seconds(15))
        #expect(status == 0, "\(first.output)")
        #expect(first.output.contains("link stopped"))
        // Nothing of the stopped process holds the link's lock any more (its sessions end just after it).
        let held =
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = x'4C494E4B'::integer::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        #expect(try await fixture.eventually(fixture.erpAdmin, held, equals: "0", timeout: .seconds(5)))

        let epoch = try await fixture.epochs().0
        let second = try ReplicatorProcess.start(config)
        try await Self.waitForEpoch(above: epoch, fixture)
        try await writer.query("INSERT INTO item (id, name) VALUES (2, 'after restart')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM item WHERE id = 2",
                equals: "after restart"
            )
        )
        #expect(!second.output.contains("standing by"))
        second.child.kill(SIGINT)
        #expect(try await second.waitForExit(timeout: .seconds(15)) == 0)
        try await fixture.tearDown()
    }

    /// Waits until a replicator owns the ERP to MES direction (a new link starts from that moment).
    static func waitForEpoch(above epoch: Int, _ fixture: ReplicationFixture) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await fixture.epochs().0 <= epoch, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
