import ErpmesCore
import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct RotationTests {
    @Test(
        "the queue rotates by TRUNCATE: no dead tuples, bounded size, even with a long REPEATABLE READ open",
        .freshDatabase
    )
    func rotation() async throws {
        let soak = ProcessInfo.processInfo.environment["ERPMES_SOAK"] == "1"
        let changes = soak ? 1_000_000 : 20_000
        let rotateRows = changes / 5
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator(rotateRows: rotateRows)

        // A long read-only REPEATABLE READ transaction elsewhere must not hold rotation back.
        let reader = try await fixture.erp()
        try await reader.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try await reader.query("SELECT count(*) FROM item")

        let writer = try await fixture.erp()
        let perTransaction = 1_000
        for start in stride(from: 0, to: changes, by: perTransaction) {
            try await writer.query(
                "INSERT INTO item (id, name) SELECT g, 'v1' FROM generate_series($1::int, $2::int) AS g ON CONFLICT (id) DO UPDATE SET name = 'v2'",
                [start % (changes / 2), start % (changes / 2) + perTransaction - 1]
            )
            if start == changes / 2 {
                // Half way: let the first rotation finish (switch, then truncate) before writing on.
                #expect(
                    try await fixture.eventually(
                        fixture.erpAdmin,
                        "SELECT rotations >= 1 AND draining_table IS NULL FROM erpmes.queue_state",
                        equals: "t",
                        timeout: .seconds(60)
                    )
                )
            }
        }
        let expected = try await fixture.erpAdmin.query("SELECT count(*) FROM item").first?[0]
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM item WHERE name = 'v2'",
                equals: "\(changes / 2)",
                timeout: .seconds(120)
            )
        )
        #expect(try await fixture.mesAdmin.query("SELECT count(*) FROM item").first?[0] == expected)

        // Rotation keeps going: at least two switches happened, and what is left is bounded.
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT rotations >= 2 FROM erpmes.queue_state",
                equals: "t",
                timeout: .seconds(60)
            )
        )
        // A fast writer can fill more than rotate_rows between two rotation steps (every 2 s), so the
        // bound is checked once rotation has caught up with the load.
        let bound = 2 * rotateRows + perTransaction
        #expect(
            try await fixture.eventually(
                fixture.erpAdmin,
                "SELECT count(*) <= \(bound) FROM erpmes.queue",
                equals: "t",
                timeout: .seconds(60)
            )
        )
        try await fixture.erpAdmin.query("SELECT pg_stat_force_next_flush()")
        let dead = try await fixture.erpAdmin.query(
            "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE schemaname = 'erpmes' AND relname IN ('queue_0', 'queue_1', 'queue_2') ORDER BY 1"
        )
        #expect(
            try dead.map { try $0.decode("n_dead_tup", as: Int.self) } == [0, 0, 0],
            "\(dead.map { "\($0[0] ?? ""):\($0[1] ?? "")" })"
        )
        try await reader.query("COMMIT")
        replicator.cancel()
        _ = try? await replicator.value
        try await fixture.tearDown()
    }
}
