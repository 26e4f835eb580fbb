import ErpmesCore
import Foundation
import LibPQ
import Logging

/// Moves batches in one direction of a link: ticks and reads the source in one REPEATABLE READ
/// transaction, applies in one target transaction fenced by the apply position, and commits the
/// source (synchronously) before the target.
///
/// Rows travel as COPY bytes from the source's batch table to the target's `erpmes_batch`: no row is
/// decoded in Swift, and each entity costs one COPY out, one COPY in and one apply statement.
struct DirectionReplicator: Sendable {
    let link: String
    let direction: Direction
    let source: PQConnection
    let target: PQConnection
    let logger: Logger
    let lockTimeout: Duration
    let plantTimeZone: String
    /// Keys per apply chunk: a source transaction larger than this is applied in key-ordered
    /// chunks inside the one target transaction (atomic), so memory stays bounded.
    let chunkKeys: Int
    let consumer: String
    let identity: (systemIdentifier: Int64, timeline: Int32)
    var epoch: Int64
    /// The source snapshot last applied on the target (as committed there).
    var position: String

    /// Registers the consumer on the source, creates or reads the apply position on the target,
    /// checks the source is the cluster the link started on, and takes ownership (a new epoch).
    static func start(
        link: RunConfiguration.Link,
        direction: Direction,
        source: PQConnection,
        target: PQConnection,
        lockTimeout: Duration,
        chunkKeys: Int = 10_000,
        logger: Logger
    ) async throws -> DirectionReplicator {
        let consumer = direction.consumer(link: link.name)
        let start = try await source.query("SELECT erpmes.register_consumer($1)::text AS snapshot", [consumer])
        let identityRow = try requireRow(
            try await source.query("SELECT system_identifier, timeline FROM erpmes.source_identity()")
        )
        let identity = (
            try identityRow.decode("system_identifier", as: Int64.self),
            try identityRow.decode("timeline", as: Int32.self)
        )
        try await target.query(
            "CREATE TEMP TABLE IF NOT EXISTS erpmes_batch (key jsonb, op \"char\", payload jsonb) ON COMMIT DELETE ROWS"
        )
        let positionRow = try requireRow(
            try await target.query(
                "SELECT snapshot::text AS snapshot, source_system_identifier, source_timeline FROM erpmes.init_position($1, $2, $3, $4::pg_snapshot)",
                [consumer, identity.0, identity.1, try start.first?.decode("snapshot", as: String.self)]
            )
        )
        let storedIdentity = (
            try positionRow.decode("source_system_identifier", as: Int64.self),
            try positionRow.decode("source_timeline", as: Int32.self)
        )
        guard storedIdentity == identity else {
            throw ReplicationError(
                .sourceChanged,
                link: link.name,
                "the \(direction.source) database is not the cluster this link started on (system_identifier \(storedIdentity.0) timeline \(storedIdentity.1), now \(identity.0) timeline \(identity.1)); the link halts: resynchronise it"
            )
        }
        let epoch = try requireRow(try await target.query("SELECT erpmes.take_ownership($1) AS epoch", [consumer]))
            .decode("epoch", as: Int64.self)
        // Read after taking ownership: the previous owner's apply in flight may have moved it.
        let current = try requireRow(
            try await target.query(
                "SELECT snapshot::text AS snapshot FROM erpmes.apply_position WHERE consumer = $1",
                [consumer]
            )
        )
        let replicator = DirectionReplicator(
            link: link.name,
            direction: direction,
            source: source,
            target: target,
            logger: logger,
            lockTimeout: lockTimeout,
            plantTimeZone: link.timezone,
            chunkKeys: chunkKeys,
            consumer: consumer,
            identity: identity,
            epoch: epoch,
            position: try current.decode("snapshot")
        )
        logger.notice(
            "direction started",
            metadata: [
                "link": "\(link.name)", "direction": "\(direction.rawValue)", "epoch": "\(epoch)",
                "position": "\(replicator.position)", "registered": "\(start.first?["snapshot"] ?? "?")",
            ]
        )
        return replicator
    }

    /// Entities both published by the source and subscribed by the target, in the target's apply
    /// order (parents first). Read every batch, so a new declaration applies without a restart.
    func entities() async throws -> [String] {
        let published = Set(
            try await self.source.query("SELECT entity FROM erpmes.publication").map {
                try $0.decode("entity", as: String.self)
            }
        )
        return try await self.target.query("SELECT entity FROM erpmes.subscription ORDER BY apply_order, entity")
            .map { try $0.decode("entity", as: String.self) }
            .filter(published.contains)
    }

    /// Moves one batch. Returns the number of keys applied, or nil when the source had nothing new.
    mutating func runBatch() async throws -> Int? {
        let entities = try await self.entities()
        guard !entities.isEmpty else { return nil }
        var sourceOpen = false
        var targetOpen = false
        do {
            try await self.source.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
            sourceOpen = true
            let tick = try requireRow(
                try await self.source.query(
                    "SELECT snapshot::text AS snapshot, changes, needs_resync FROM erpmes.tick($1, $2::pg_snapshot)",
                    [self.consumer, self.position]
                )
            )
            if try tick.decode("needs_resync", as: Bool.self) {
                throw ReplicationError(
                    .needsResync,
                    link: self.link,
                    "the \(self.direction.source) side marked consumer \(self.consumer) as needing resync: it confirmed nothing for longer than the retention, so queued changes may be gone; resynchronise the link"
                )
            }
            let snapshot: String = try tick.decode("snapshot")
            guard try tick.decode("changes", as: Bool.self) else {
                try await self.source.query("COMMIT")
                return nil
            }
            // The tick row must be on disk before the target commits (DESIGN 2.2).
            try await self.source.query("SET LOCAL synchronous_commit = on")
            try await self.source.query(
                "CREATE TEMP TABLE erpmes_out (n bigint GENERATED ALWAYS AS IDENTITY, entity text, key jsonb, op \"char\", payload jsonb) ON COMMIT DROP"
            )
            let total = try await self.source.query(
                "INSERT INTO erpmes_out (entity, key, op, payload) SELECT * FROM erpmes.batch($1::pg_snapshot, $2::pg_snapshot, $3::text[])",
                [self.position, snapshot, entities]
            ).affectedRows
            if total > self.chunkKeys {
                try await self.source.query("CREATE INDEX ON erpmes_out (n)")
            }
            let counts = try await self.source.query(
                """
                SELECT entity, count(*) FILTER (WHERE op <> 'U') AS removals, count(*) FILTER (WHERE op = 'U') AS upserts,
                       min(n) AS first, max(n) AS last
                FROM erpmes_out GROUP BY entity
                """
            )
            var removals: [String: Int] = [:]
            var upserts: [String: Int] = [:]
            var ranges: [String: ClosedRange<Int>] = [:]
            for row in counts {
                let entity: String = try row.decode("entity")
                removals[entity] = try row.decode("removals")
                upserts[entity] = try row.decode("upserts")
                ranges[entity] = try row.decode("first", as: Int.self)...row.decode("last", as: Int.self)
            }

            try await self.target.query("BEGIN")
            targetOpen = true
            try await self.target.query(
                "SELECT erpmes.begin_apply($1, $2::pg_snapshot, $3, $4, $5)",
                [self.consumer, self.position, self.epoch, self.identity.systemIdentifier, Int(self.identity.timeline)]
            )
            try await self.target.query(
                "SELECT set_config('lock_timeout', $1, true), set_config('erpmes.plant_tz', $2, true)",
                [
                    "\(self.lockTimeout.components.seconds * 1000 + self.lockTimeout.components.attoseconds / 1_000_000_000_000_000)ms",
                    self.plantTimeZone,
                ]
            )
            // Deletes children first, then inserts and updates parents first.
            var applied = 0
            for entity in entities.reversed() where (removals[entity] ?? 0) > 0 {
                applied += try await self.apply(entity, filter: "op <> 'U'", rows: ranges[entity]!)
            }
            for entity in entities where (upserts[entity] ?? 0) > 0 {
                applied += try await self.apply(entity, filter: "op = 'U'", rows: ranges[entity]!)
            }
            try await self.source.query("COMMIT")
            sourceOpen = false
            try await self.target.query(
                "SELECT erpmes.finish_apply($1, $2::pg_snapshot, $3)",
                [self.consumer, snapshot, applied]
            )
            try await self.target.query("COMMIT")
            targetOpen = false
            self.position = snapshot
            self.logger.info(
                "applied batch",
                metadata: ["link": "\(self.link)", "direction": "\(self.direction.rawValue)", "keys": "\(applied)"]
            )
            return applied
        } catch {
            if sourceOpen { await Self.rollback(self.source) }
            if targetOpen { await Self.rollback(self.target) }
            if let error = error as? PQError, let replicationError = ReplicationError.fromServer(error, link: self.link)
            {
                throw replicationError
            }
            throw error
        }
    }

    /// One step of queue rotation on the source (see erpmes.rotate); returns what it did.
    @discardableResult
    func rotate(rows: Int, interval: Duration, retention: Duration) async throws -> String {
        try await self.source.query(
            "SELECT erpmes.rotate($1, $2, make_interval(secs => $3), make_interval(secs => $4)) AS step",
            [self.consumer, rows, Int(interval.components.seconds), Int(retention.components.seconds)]
        ).first?["step"] ?? "?"
    }

    /// Loads one entity's rows of one phase into the target and applies them, `chunkKeys` rows at a
    /// time in key order (`rows` is the entity's range of row numbers in the batch table).
    private func apply(_ entity: String, filter: String, rows: ClosedRange<Int>) async throws -> Int {
        var loaded = 0
        for first in stride(from: rows.lowerBound, through: rows.upperBound, by: self.chunkKeys) {
            let last = min(first + self.chunkKeys - 1, rows.upperBound)
            let data = try await self.source.copyOut(
                "COPY (SELECT key, op, payload FROM erpmes_out WHERE n BETWEEN \(first) AND \(last) AND entity = \(SQLQuote.literal(entity)) AND \(filter) ORDER BY n) TO STDOUT"
            )
            guard !data.isEmpty else { continue }
            try await self.target.query("TRUNCATE erpmes_batch")
            loaded += try await self.target.copyIn("COPY erpmes_batch (key, op, payload) FROM STDIN", data: data)
            let problems = try await self.target.query(
                "SELECT key::text AS key, outcome, reason FROM erpmes.apply_entity($1) WHERE outcome <> 'applied' ORDER BY key",
                [entity]
            )
            if let problem = problems.first {
                throw ReplicationError(
                    .rejected,
                    link: self.link,
                    "entity \(entity): \(problems.count) row(s) not applied; first key \(problem["key"] ?? "?"): \(problem["outcome"] ?? "?") \(problem["reason"] ?? "")"
                )
            }
        }
        return loaded
    }

    /// Not `query`: must run even when the task is cancelled.
    private static func rollback(_ connection: PQConnection) async {
        guard await connection.isOpen else { return }
        _ = try? await connection.rollbackIgnoringCancellation()
    }
}

/// The first row of a result that must have one.
func requireRow(_ result: PQResult, _ what: String = "row") throws -> Row {
    guard let row = result.first else { throw PQError(code: .decoding, message: "expected a \(what), got none") }
    return row
}
