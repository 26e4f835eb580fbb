import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct QueueHygieneTests {
    @Test("two queue rotations during a steady load lose no change, the very first switch included", .freshDatabase)
    func rotationsUnderLoad() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        // A switch as soon as 200 rows are queued; a rotation step every 2 s (switch, switch xid, truncate).
        let replicator = try await fixture.startReplicator(rotateRows: 200)
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 1...2 {
                    let connection = try await fixture.erp()
                    group.addTask { try await Load.run(connection, writer: writer) }
                }
                try await group.waitForAll()
            }
        }
        let rotated = "SELECT rotations >= 2 AND draining_table IS NULL FROM erpmes.queue_state"
        let done = try await fixture.eventually(fixture.erpAdmin, rotated, equals: "t", timeout: .seconds(40))
        load.cancel()
        try await load.value
        #expect(done)

        #expect(try await fixture.converged("public.movement", "id, item_id, qty"))
        #expect(try await fixture.converged())
        let sums = try await Load.sums(fixture)
        #expect(sums.mes == sums.erp)
        #expect(!sums.erp.isEmpty)
        #expect(try await fixture.pending(.erpToMES) == 0)
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a running link that stays idle for longer than the retention is not marked needs-resync", .freshDatabase)
    func idleLinkIsNotExpired() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator(retention: .seconds(2))
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'before the quiet')")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "1"))
        // Quiet for three retentions, with the link up and polling all along.
        try await Task.sleep(for: .seconds(7))
        let flags = "SELECT string_agg(consumer || ':' || needs_resync, ',' ORDER BY consumer) FROM erpmes.consumer"
        let erpFlags = try await ReplicationFixture.value(fixture.erpAdmin, flags)
        let mesFlags = try await ReplicationFixture.value(fixture.mesAdmin, flags)
        #expect(erpFlags == "plant1:erp>mes:false")
        #expect(mesFlags == "plant1:mes>erp:false")
        try await writer.query("INSERT INTO item (id, name) VALUES (2, 'after the quiet')")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "2"))
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
