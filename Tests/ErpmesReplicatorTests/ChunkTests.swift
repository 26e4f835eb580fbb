import ErpmesCore
import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct ChunkTests {
    @Test(
        "a source transaction larger than batch_keys is applied in chunks inside one target transaction",
        .freshDatabase
    )
    func largeTransactionIsAtomic() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator(batchKeys: 1_000)

        // A reader on the target records every count it sees: only 0 and the full count may appear.
        let reader = try await fixture.mes()
        let watch = Task {
            var seen: Set<Int> = []
            while !Task.isCancelled {
                seen.insert(try await reader.query("SELECT count(*) FROM item").first?.decode(0, as: Int.self) ?? -1)
                if seen.contains(25_000) { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            return seen
        }
        let writer = try await fixture.erp()
        try await writer.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'bulk', g FROM generate_series(1, 25000) AS g"
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM item",
                equals: "25000",
                timeout: .seconds(60)
            )
        )
        let seen = try await watch.value
        #expect(seen.isSubset(of: [0, 25_000]), "partial counts seen: \(seen.sorted())")
        #expect(try await fixture.mesAdmin.query("SELECT sum(qty) FROM item").first?[0] == "312512500.00000")
        #expect(try await fixture.mesAdmin.query("SELECT applied_keys FROM erpmes.apply_position").first?[0] == "25000")
        replicator.cancel()
        _ = try? await replicator.value
        try await fixture.tearDown()
    }
}
