import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Scenarios that restart or crash a server: each runs on clusters of its own, one at a time.
@Suite(.serialized) struct DedicatedClusterTests {
    /// Movements and items equal on both sides, each movement applied once, stock sums exact.
    static func expectConverged(_ fixture: ReplicationFixture) async throws {
        #expect(try await fixture.converged("public.movement", "id, item_id, qty"))
        #expect(try await fixture.converged())
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement WHERE applies <> 1")
                == "0"
        )
        let sums = try await Load.sums(fixture)
        #expect(sums.mes == sums.erp)
        #expect(!sums.erp.isEmpty)
    }

    @Test("ERP and MES in two clusters, each server restarted mid-load: the replicator reconnects and converges")
    func serverRestartsMidLoad() async throws {
        try await DedicatedCluster.with { erpCluster in
            try await DedicatedCluster.with { mesCluster in
                let erpIdentifier = try await erpCluster.systemIdentifier()
                let mesIdentifier = try await mesCluster.systemIdentifier()
                #expect(erpIdentifier != nil && erpIdentifier != mesIdentifier)
                let before = try await ReplicationFixture(erp: erpCluster, mes: mesCluster)
                try await before.declareItem()
                try await before.declareMovement()
                let replicator = try await before.startReplicator()
                let load = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for writer in 1...2 { group.addTask { try await Load.surviving(before, writer: writer) } }
                        try await group.waitForAll()
                    }
                }
                try await Task.sleep(for: .seconds(1))
                try await mesCluster.restart(.fast)  // the target of erp>mes
                try await Task.sleep(for: .seconds(1))
                try await erpCluster.restart(.fast)  // its source
                try await Task.sleep(for: .seconds(1))
                load.cancel()
                try await load.value

                let fixture = try await before.reconnected()
                try await Self.expectConverged(fixture)
                // The restarts cut the link and it came back by itself: a new start takes a new epoch.
                let epochs = try await fixture.epochs()
                #expect(epochs.0 >= 2 && epochs.1 >= 2)
                await ReplicationFixture.stop(replicator)
                try await fixture.tearDown()
            }
        }
    }

    @Test(
        "the source crashed right after a batch covering a rolled-back transaction: nothing lost, insert-only rows too"
    )
    func sourceCrashAfterRolledBackTransaction() async throws {
        try await DedicatedCluster.with { erpCluster in
            try await DedicatedCluster.with { mesCluster in
                var fixture = try await ReplicationFixture(erp: erpCluster, mes: mesCluster)
                try await fixture.declareItem()
                try await fixture.declareMovement()
                let replicator = try await fixture.startReplicator()
                var id = 0
                for round in 1...Scale.pick(2, soak: 10) {
                    // Asynchronous commits and a rollback: xids whose WAL need not be on disk yet.
                    let writer = try await fixture.erp()
                    try await writer.query("SET synchronous_commit = off")
                    try await writer.query("BEGIN")
                    let xid = try await ReplicationFixture.value(writer, "SELECT pg_current_xact_id()::text")
                    try await writer.query("INSERT INTO item (id, name) VALUES ($1, 'rolled back')", [900_000 + round])
                    try await writer.query("INSERT INTO movement VALUES ($1, 1, 1000)", [900_000 + round])
                    try await writer.query("ROLLBACK")
                    id += 1
                    try await writer.query("INSERT INTO movement VALUES ($1, 1, 1.25)", [id])
                    let covered = try await fixture.eventually {
                        try await ReplicationFixture.value(
                            fixture.mesAdmin,
                            "SELECT pg_visible_in_snapshot($1::xid8, snapshot) FROM erpmes.apply_position WHERE consumer = 'plant1:erp>mes'",
                            [xid]
                        ) == "t"
                    }
                    #expect(covered)
                    try await erpCluster.restart(.immediate)
                    fixture = try await fixture.reconnected()

                    // New transactions right after recovery, insert-only, committed asynchronously.
                    let after = try await fixture.erp()
                    try await after.query("SET synchronous_commit = off")
                    for _ in 1...20 {
                        id += 1
                        try await after.query("INSERT INTO item (id, name) VALUES ($1, 'after the crash')", [id])
                        try await after.query("INSERT INTO movement VALUES ($1, $2, 1.5)", [id, id % 50 + 1])
                    }
                    await after.close()
                }
                try await Self.expectConverged(fixture)
                #expect(
                    try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement") == "\(id)"
                )
                #expect(
                    try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE id >= 900000")
                        == "0"
                )
                await ReplicationFixture.stop(replicator)
                try await fixture.tearDown()
            }
        }
    }
}
