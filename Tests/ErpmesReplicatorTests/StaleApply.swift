import ErpmesReplicator
import LibPQ

/// What an old replicator does when it lost the link while a batch was in flight, step by step as
/// `erpmes run` does it, so a test can hold its target transaction open at the worst moment.
///
/// `begin` ticks the ERP side and reads the next `item` batch of `plant1:erp>mes` in one REPEATABLE
/// READ transaction, then opens the MES transaction: `erpmes.begin_apply` with the given epoch, the
/// batch loaded into `erpmes_batch`, `erpmes.apply_entity`. `commit` advances the position and
/// commits, as the old replicator would once its lock waits end.
struct StaleApply {
    let target: PQConnection
    let snapshot: String
    let keys: Int

    static let consumer = Direction.erpToMES.consumer(link: "plant1")

    /// - Parameter epoch: the owner epoch the old replicator holds (default: the current one).
    static func begin(_ fixture: ReplicationFixture, epoch: Int? = nil) async throws -> StaleApply {
        let position = try await fixture.mesAdmin.query(
            "SELECT snapshot::text, owner_epoch, source_system_identifier, source_timeline FROM erpmes.apply_position WHERE consumer = $1",
            [Self.consumer]
        )
        guard let position = position.first, let start = position[0] else {
            throw PQError(code: .client, message: "the link has not run yet")
        }
        let source = try await fixture.erp(user: "erpmes_run")
        let read: (snapshot: String, batch: (rows: String, keys: Int))
        do {
            read = try await Self.read(source, from: start)
            await source.close()
        } catch {
            await source.close()
            throw error
        }
        let (snapshot, batch) = read
        let target = try await fixture.mes(user: "erpmes_run")
        try await target.query("BEGIN")
        try await target.query(
            "SELECT erpmes.begin_apply($1, $2::pg_snapshot, $3::bigint, $4::bigint, $5::integer, NULL, NULL)",
            [Self.consumer, start, epoch.map(String.init) ?? position[1], position[2], position[3]]
        )
        try await target.query("CREATE TEMP TABLE erpmes_batch (key jsonb, op \"char\", payload jsonb) ON COMMIT DROP")
        try await target.query(
            "INSERT INTO erpmes_batch SELECT e->'key', (e->>'op')::\"char\", e->'payload' FROM jsonb_array_elements($1::jsonb) AS e",
            [batch.rows]
        )
        try await target.query("SELECT * FROM erpmes.apply_entity('item')")
        return StaleApply(
            target: target,
            snapshot: snapshot,
            keys: batch.keys
        )
    }

    /// Ticks and reads the batch after `start` in one REPEATABLE READ transaction, retrying when
    /// the tick's consumer row was updated meanwhile by the replicator that took over (40001).
    static func read(
        _ source: PQConnection,
        from start: String
    ) async throws -> (snapshot: String, batch: (rows: String, keys: Int)) {
        var attempts = 0
        while true {
            do {
                try await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
                let snapshot = try await source.query(
                    "SELECT snapshot::text FROM erpmes.tick($1, $2::pg_snapshot)",
                    [Self.consumer, start]
                ).first?.decode(0, as: String.self)
                let listed =
                    try await source.query(
                        "SELECT erpmes.open_window($1::pg_snapshot, $2::pg_snapshot, ARRAY['item'], ARRAY[1])",
                        [start, snapshot]
                    ).first?.decode(0, as: Int.self) ?? 0
                let batch = try await source.query(
                    """
                    SELECT coalesce(jsonb_agg(jsonb_build_object('key', key, 'op', op, 'payload', payload)), '[]')::text,
                           count(*)
                    FROM erpmes.batch(ARRAY['item'], '{}', 1, $1)
                    """,
                    [listed]
                )
                try await source.query("COMMIT")
                return (snapshot ?? "", (batch.first?[0] ?? "[]", try batch.first?.decode(1, as: Int.self) ?? 0))
            } catch let error as PQError where error.sqlState == .serializationFailure && attempts < 20 {
                attempts += 1
                try await source.query("ROLLBACK")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Advances the position to the batch's tick and commits.
    func commit() async throws {
        try await self.target.query(
            "SELECT erpmes.finish_apply($1, $2::pg_snapshot, $3, true, NULL, NULL, NULL, NULL)",
            [Self.consumer, self.snapshot, self.keys]
        )
        try await self.target.query("COMMIT")
        await self.target.close()
    }
}
