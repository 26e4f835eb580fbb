import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct FencingTests {
    /// The pid of the MES session of `application` that waits on a lock, once there is one.
    static func waitingOnLock(_ fixture: ReplicationFixture, _ application: String) async throws -> String? {
        var pid: String?
        _ = try await fixture.eventually(timeout: .seconds(20)) {
            pid = try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'",
                [application]
            )
            return pid != nil
        }
        return pid
    }

    @Test("erpmes run killed while its apply waits on a row lock, restarted at once: applied once", .freshDatabase)
    func killedWhileWaitingOnRowLock() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        let configuration = try ReplicatorProcess.writeConfiguration(fixture, lockTimeout: "60s")
        let first = try ReplicatorProcess.start(configuration)
        #expect(try await ProcessKillTests.owned(fixture, after: (0, 0), timeout: .seconds(30)), "\(first.output)")
        let erp = try await fixture.erp()
        try await erp.query("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)")
        try await erp.query("INSERT INTO movement (id, item_id, qty) VALUES (1, 1, 5)")
        #expect(try await fixture.converged("public.movement", "id, item_id, qty"), "\(first.output)")

        let locker = try await fixture.mes(user: "postgres")
        try await locker.query("BEGIN")
        try await locker.query("SELECT * FROM item WHERE id = 1 FOR UPDATE")
        try await erp.simpleQuery(
            "BEGIN; UPDATE item SET name = 'b', qty = 7 WHERE id = 1; INSERT INTO movement VALUES (2, 1, 2.5); COMMIT;"
        )
        let stale = try await Self.waitingOnLock(fixture, "erpmes-run plant1 erp>mes target")
        #expect(stale != nil, "\(first.output)")
        try await first.kill()
        let second = try ReplicatorProcess.start(configuration)
        // The killed replicator's backend notices its client is gone and rolls back, lock or not.
        let gone = try await fixture.eventually(timeout: .seconds(10)) {
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                [stale]
            )
                == "0"
        }
        #expect(gone)
        let waiting = try await Self.waitingOnLock(fixture, "erpmes-run plant1 erp>mes target")
        #expect(waiting != nil && waiting != stale, "\(second.output)")
        try await locker.query("COMMIT")

        #expect(try await fixture.converged("public.movement", "id, item_id, qty"), "\(second.output)")
        #expect(try await fixture.converged())
        try await Task.sleep(for: .seconds(1))
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT applies FROM item WHERE id = 1") == "2")
        let stock = try await fixture.mesAdmin.query("SELECT qty, moves FROM stock WHERE item_id = 1")
        #expect(stock.map { [$0[0], $0[1]] } == [["7.50000", "2"]])
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(applies) FROM movement") == "2")
        try await second.kill()
        try await fixture.tearDown()
    }

    @Test(
        "two replicators race for one batch while the old one holds its target connection: applied once",
        .freshDatabase
    )
    func raceForOneBatch() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let first = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.query("INSERT INTO item (id, name, qty) VALUES (1, 'a', 1)")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT applies FROM item WHERE id = 1", equals: "1"))
        await ReplicationFixture.stop(first)
        let oldEpoch = try await fixture.epochs().0

        // The old owner's apply of the next batch is in flight when a standby takes the link over.
        try await erp.query("UPDATE item SET name = 'raced', qty = 2 WHERE id = 1")
        let stale = try await StaleApply.begin(fixture)
        #expect(stale.keys == 1)
        let second = try await fixture.startReplicator(waitForOwnership: false)
        #expect(try await Self.waitingOnLock(fixture, "erpmes-run plant1 erp>mes target") != nil)
        try await stale.commit()
        #expect(try await fixture.eventually { try await fixture.epochs().0 > oldEpoch })
        try await Task.sleep(for: .seconds(1))
        let row = "SELECT name || ' ' || applies FROM item WHERE id = 1"
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, row) == "raced 2")

        // The new owner moves on from there, and the old epoch can never apply again.
        try await erp.query("UPDATE item SET name = 'after' WHERE id = 1")
        #expect(try await fixture.eventually(fixture.mesAdmin, row, equals: "after 3"))
        try await erp.query("UPDATE item SET name = 'late' WHERE id = 1")
        let fenced = await #expect(throws: PQError.self) { try await StaleApply.begin(fixture, epoch: oldEpoch) }
        #expect(fenced?.sqlState?.rawValue == "EM001")
        #expect(try await fixture.eventually(fixture.mesAdmin, row, equals: "late 4"))
        #expect(try await fixture.converged())
        await ReplicationFixture.stop(second)
        try await fixture.tearDown()
    }

    @Test("a source whose system_identifier changed halts the link with a clear message", .freshDatabase)
    func sourceChangedHalts() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        await ReplicationFixture.stop(try await fixture.startReplicator())
        try await fixture.mesAdmin.query(
            "UPDATE erpmes.apply_position SET source_system_identifier = source_system_identifier + 1 WHERE consumer = 'plant1:erp>mes'"
        )

        try await fixture.erp().query("INSERT INTO item (id, name) VALUES (1, 'after the restore')")

        let replicator = try await fixture.startReplicator(waitForOwnership: false)
        let timeout = Task {
            try await Task.sleep(for: .seconds(30))
            replicator.cancel()
        }
        let error = await #expect(throws: ReplicationError.self) { try await replicator.value }
        timeout.cancel()
        #expect(error?.code == .sourceChanged)
        #expect(error?.link == "plant1")
        #expect(error?.message.hasPrefix("the erp database is not the cluster this link started on") == true)

        let process = try ReplicatorProcess.start(try ReplicatorProcess.writeConfiguration(fixture))
        let status = try await process.waitForExit(timeout: .seconds(30))
        #expect(status == 70, "\(process.output)")
        #expect(
            process.output.contains(
                "erpmes run: link plant1: the erp database is not the cluster this link started on"
            ),
            "\(process.output)"
        )
        // Halted before taking the link: no new epoch, and the change written meanwhile stays unapplied.
        let epochs = try await fixture.epochs()
        #expect(epochs.0 == 1 && epochs.1 == 1)
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item") == "0")
        #expect(try await fixture.pending(.erpToMES) == 1)
        try await fixture.tearDown()
    }
}
