import ErpmesReplicator
import Foundation
import LibPQ

/// How big a scenario runs: small enough for `make test`, or the full numbers when
/// `ERPMES_SOAK=1` (`make soak`).
enum Scale {
    static let soak = ProcessInfo.processInfo.environment["ERPMES_SOAK"] == "1"

    /// `test` normally, `soak` under `ERPMES_SOAK=1`.
    static func pick(_ test: Int, soak: Int) -> Int { Self.soak ? soak : test }
}

/// Checks on both sides of the link: pending changes, positions, convergence.
extension ReplicationFixture {
    /// The source and target admin connections of one direction.
    func sides(_ direction: Direction) -> (source: PQConnection, target: PQConnection) {
        direction == .erpToMES ? (self.erpAdmin, self.mesAdmin) : (self.mesAdmin, self.erpAdmin)
    }

    /// Changes queued on the direction's source and committed after the snapshot its target has
    /// applied (nil position: the link never ran, everything is pending).
    func pending(_ direction: Direction) async throws -> Int {
        let (source, target) = self.sides(direction)
        let position = try await target.query(
            "SELECT snapshot::text FROM erpmes.apply_position WHERE consumer = $1",
            [direction.consumer(link: "plant1")]
        ).first?[0]
        guard let position else {
            return try await source.query("SELECT count(*) FROM erpmes.queue").first?.decode(0, as: Int.self) ?? 0
        }
        return try await source.query(
            "SELECT count(*) FROM erpmes.queue WHERE NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)",
            [position]
        ).first?.decode(0, as: Int.self) ?? 0
    }

    /// The replication state on both sides: apply positions and consumer rows, as text.
    func positions() async throws -> [[String?]] {
        var state: [[String?]] = []
        for admin in [self.erpAdmin, self.mesAdmin] {
            let applied = try await admin.query(
                "SELECT consumer, snapshot::text, tick_id::text, owner_epoch::text, applied_keys::text FROM erpmes.apply_position ORDER BY consumer"
            )
            state += applied.map { row in (0..<5).map { row[$0] } }
            let consumers = try await admin.query(
                "SELECT consumer, confirmed_snapshot::text, last_tick_snapshot::text FROM erpmes.consumer ORDER BY consumer"
            )
            state += consumers.map { row in (0..<3).map { row[$0] } }
        }
        return state
    }

    /// Polls until `check` returns true or `timeout` passes; returns whether it did.
    func eventually(timeout: Duration = .seconds(30), _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await check()
    }

    /// Waits until `table` holds the same rows on both sides (one-way: ERP is the source).
    func converged(
        _ table: String = "public.item",
        _ columns: String = "id, name, qty",
        timeout: Duration = .seconds(60)
    ) async throws -> Bool {
        try await self.eventually(timeout: timeout) {
            let erp = try await Self.rows(self.erpAdmin, table, columns)
            return try await Self.rows(self.mesAdmin, table, columns) == erp
        }
    }

    /// Cancels an in-process replicator and waits for it to stop.
    static func stop(_ replicator: Task<Void, any Error>) async {
        replicator.cancel()
        _ = try? await replicator.value
    }

    /// The value of the first column of the first row of `sql`, as text.
    static func value(
        _ connection: PQConnection,
        _ sql: String,
        _ parameters: [(any PQEncodable)?] = []
    ) async throws -> String? {
        try await connection.query(sql, parameters).first?[0]
    }
}
