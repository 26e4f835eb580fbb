import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct ProcessKillTests {
    /// Waits until both directions' owner epochs exceed `epochs`; returns whether they did.
    static func owned(_ fixture: ReplicationFixture, after epochs: (Int, Int), timeout: Duration) async throws -> Bool {
        try await fixture.eventually(timeout: timeout) {
            let now = try await fixture.epochs()
            return now.0 > epochs.0 && now.1 > epochs.1
        }
    }

    @Test(
        "kill -9 of erpmes run at random points during a load: target equals source, additive sums exact",
        .freshDatabase
    )
    func killDuringLoad() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        // Small queue tables: rotation steps (switch, switch xid, truncate) run between the kills.
        let configuration = try ReplicatorProcess.writeConfiguration(fixture, rotateRows: 500)
        var process = try ReplicatorProcess.start(configuration)
        #expect(try await Self.owned(fixture, after: (0, 0), timeout: .seconds(30)), "\(process.output)")
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 1...2 {
                    let connection = try await fixture.erp()
                    group.addTask { try await Load.run(connection, writer: writer) }
                }
                try await group.waitForAll()
            }
        }
        let kills = Scale.pick(5, soak: 20)
        for kill in 1...kills {
            if kill % 2 == 0 {
                // Right after a target commit: the moment between it and everything that follows.
                let tick = "SELECT tick_id FROM erpmes.apply_position WHERE consumer = 'plant1:erp>mes'"
                let before = try await ReplicationFixture.value(fixture.mesAdmin, tick)
                _ = try await fixture.eventually(timeout: .seconds(10)) {
                    try await ReplicationFixture.value(fixture.mesAdmin, tick) != before
                }
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_200)))
            }
            try await process.kill()
            let epochs = try await fixture.epochs()
            process = try ReplicatorProcess.start(configuration)
            #expect(try await Self.owned(fixture, after: epochs, timeout: .seconds(30)), "\(process.output)")
        }
        try await Task.sleep(for: .milliseconds(500))
        load.cancel()
        #expect(
            try await ReplicationFixture.value(fixture.erpAdmin, "SELECT rotations >= 1 FROM erpmes.queue_state") == "t"
        )
        try await load.value

        #expect(try await fixture.converged("public.movement", "id, item_id, qty"), "\(process.output)")
        #expect(try await fixture.converged())
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement WHERE applies <> 1")
                == "0"
        )
        let sums = try await Load.sums(fixture)
        #expect(sums.mes == sums.erp)
        #expect(!sums.erp.isEmpty)
        try await process.kill()
        try await fixture.tearDown()
    }

    @Test("a second erpmes run for the same link stands by and takes over within 5 s of a kill -9", .freshDatabase)
    func standbyTakesOver() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let configuration = try ReplicatorProcess.writeConfiguration(fixture)
        let first = try ReplicatorProcess.start(configuration)
        #expect(try await Self.owned(fixture, after: (0, 0), timeout: .seconds(30)), "\(first.output)")
        let second = try ReplicatorProcess.start(configuration)
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'via first')")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1", equals: "via first")
        )
        try await Task.sleep(for: .seconds(2))
        // The standby has not touched the link: the epochs are still the first owner's.
        let epochs = try await fixture.epochs()
        #expect(epochs.0 == 1 && epochs.1 == 1)
        #expect(second.output.contains("standing by: another erpmes run holds the link"), "\(second.output)")

        try await first.kill()
        let killed = ContinuousClock.now
        let tookOver = try await Self.owned(fixture, after: (1, 1), timeout: .seconds(5))
        #expect(tookOver, "took \(ContinuousClock.now - killed): \(second.output)")
        try await writer.query("INSERT INTO item (id, name) VALUES (2, 'via second')")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 2", equals: "via second")
        )
        #expect(try await fixture.converged())
        try await second.kill()
        try await fixture.tearDown()
    }
}
