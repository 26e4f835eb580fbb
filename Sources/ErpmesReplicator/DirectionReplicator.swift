import ErpmesCore
import Foundation
import LibPQ
import Logging

/// Moves batches in one direction of a link: ticks and reads the source in one REPEATABLE READ
/// transaction, applies in one target transaction fenced by the apply position, and commits the
/// source (synchronously) before the target.
///
/// A tick opens a window: the changes visible in it and not in the previous tick, listed once per
/// source session in apply order (`erpmes.open_window`: entity groups interleaved, parents first
/// and keys in order within a group). A window of at most `chunkKeys` keys is one batch, so the
/// target sees whole source transactions. A larger one (a backlog, or one huge source
/// transaction) is applied as a sequence of batches of at most `chunkKeys` keys, each committed on
/// the target with a sub-position (the window and how many of its keys are done): a kill loses at
/// most the batch in flight, and the restart lists the window again and goes on after them.
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
    /// Keys per batch at most: a larger window is applied in several committed batches.
    let chunkKeys: Int
    /// Payload bytes per batch, roughly: a batch that carried more makes the next one smaller.
    let chunkBytes: Int = 16 << 20
    let consumer: String
    let identity: (systemIdentifier: Int64, timeline: Int32)
    var epoch: Int64
    /// The source snapshot last applied on the target (as committed there).
    var position: String
    /// The window being applied in several batches, as committed on the target (nil: none open).
    var window: Window?
    /// The source session's `pg_temp.erpmes_window` lists the open window from row `nextRow` to
    /// `listedRows` (false after a reconnect or a failed batch: it is listed again).
    var listed = false
    var nextRow = 1
    var listedRows = 0
    /// Keys of the next batch: `chunkKeys`, less after a batch of large payloads.
    var batchSize: Int
    /// An error of this direction may be stored on either side (erpmes.report_error).
    var errorStored = true

    /// A window applied in part: its tick, its entities in apply order with their groups, and how
    /// many of its keys (in `erpmes.open_window`'s order) are applied and committed.
    struct Window: Sendable, Equatable {
        var snapshot: String
        var entities: [String]
        var groups: [Int]
        var done = 0
    }

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
                """
                SELECT snapshot::text AS snapshot, window_snapshot::text AS window, window_entities AS entities,
                       window_groups AS groups, window_done AS done
                FROM erpmes.apply_position WHERE consumer = $1
                """,
                [consumer]
            )
        )
        let window: Window? = try current.decode("window", as: String?.self).map {
            Window(
                snapshot: $0,
                entities: try current.decode("entities", as: [String].self),
                groups: try current.decode("groups", as: [Int].self),
                done: try current.decode("done", as: Int.self)
            )
        }
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
            position: try current.decode("snapshot"),
            window: window,
            batchSize: max(1, chunkKeys)
        )
        logger.notice(
            "direction started",
            metadata: [
                "link": "\(link.name)", "direction": "\(direction.rawValue)", "epoch": "\(epoch)",
                "position": "\(replicator.position)", "registered": "\(start.first?["snapshot"] ?? "?")",
                "window": "\(window.map { "\($0.snapshot), \($0.done) keys done" } ?? "none")",
            ]
        )
        return replicator
    }

    /// Entities both published by the source and subscribed by the target, in the target's apply
    /// order (parents first), each with its entity group as a number: entities of one
    /// `erpmes.entity_group` share one (a window keeps their order), every other entity has one of
    /// its own. Read every batch, so a new declaration applies without a restart.
    func entityGroups() async throws -> [(entity: String, group: Int)] {
        let published = Set(
            try await self.source.query("SELECT entity FROM erpmes.publication").map {
                try $0.decode("entity", as: String.self)
            }
        )
        let rows = try await self.target.query(
            """
            SELECT s.entity, (SELECT min(g.name) FROM erpmes.entity_group AS g WHERE s.entity = ANY (g.entities)) AS grp
            FROM erpmes.subscription AS s ORDER BY s.apply_order, s.entity
            """
        )
        var numbers: [String: Int] = [:]
        var result: [(entity: String, group: Int)] = []
        for (position, row) in rows.enumerated() {
            let entity: String = try row.decode("entity")
            guard published.contains(entity) else { continue }
            let group = try row.decode("grp", as: String?.self).map { name in
                if let number = numbers[name] { return number }
                numbers[name] = numbers.count + 1
                return numbers.count
            }
            result.append((entity, group ?? 100_000 + position))
        }
        return result
    }

    /// Moves one batch. Returns the number of keys applied, or nil when the source had nothing new.
    ///
    /// The first attempt applies without savepoints. When an apply raises a data error (classes
    /// 22, 23, P0001) or a schema error (42, 0A), the batch is rolled back and applied again
    /// carefully: each chunk in a savepoint, failing chunks bisected down to the key, which goes to
    /// the dead letter, and an entity with a schema error paused with its keys folded. A
    /// transaction stays under 64 savepoints; beyond that the keys found so far are carried into a
    /// fresh attempt. Transient errors (08, 40, 53, 57, 55P03) are thrown: the link retries.
    mutating func runBatch() async throws -> Int? {
        let declared = try await self.entityGroups()
        let entities = declared.map(\.entity)
        guard !entities.isEmpty else { return nil }
        let paused = try await self.checkPauses(entities)
        try await self.releaseRetries()
        var careful = false
        var knownBad: [Quarantine] = []
        while true {
            do {
                return try await self.runBatchOnce(
                    entities,
                    groups: declared.map(\.group),
                    paused: paused,
                    careful: careful,
                    knownBad: knownBad
                )
            } catch let again as ApplyAgain {
                careful = true
                knownBad.append(contentsOf: again.found)
            }
        }
    }

    /// A key isolated by bisection, with the error that sent it to the dead letter.
    struct Quarantine: Sendable {
        var entity: String
        var key: String
        var sqlState: String
        var message: String
        var detail: String?
    }

    /// Roll back and apply the batch again, carefully, with these keys quarantined up front.
    private struct ApplyAgain: Error {
        var found: [Quarantine]
    }

    /// Per-attempt state of the careful mode.
    private struct Careful {
        var enabled: Bool
        var savepoints = 0
        var found: [Quarantine] = []
        var pausedNow: Set<String> = []
        static let budget = 60
    }

    private mutating func runBatchOnce(
        _ entities: [String],
        groups: [Int],
        paused: Set<String>,
        careful enabled: Bool,
        knownBad: [Quarantine]
    ) async throws -> Int? {
        var sourceOpen = false
        var targetOpen = false
        do {
            try await self.source.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
            sourceOpen = true
            let window: Window
            if let open = self.window {
                window = open
                if !self.listed {
                    // A new session (or a failed batch): list the rest of the window again.
                    try await self.listWindow(window)
                }
            } else {
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
                guard try tick.decode("changes", as: Bool.self) else {
                    try await self.source.query("COMMIT")
                    sourceOpen = false
                    if self.errorStored { try await self.clearError() }
                    return nil
                }
                window = Window(snapshot: try tick.decode("snapshot"), entities: entities, groups: groups)
                try await self.listWindow(window)
            }
            let first = self.nextRow
            let last = min(self.nextRow + self.batchSize - 1, self.listedRows)
            let complete = last >= self.listedRows
            // Entities of the window still declared, in today's apply order.
            let applying = entities.filter(window.entities.contains)
            // Payload functions see the plant's zone too (after the tick: it took the snapshot).
            try await self.source.query(
                "SELECT set_config('erpmes.plant_tz', $1, true), set_config('erpmes.source_side', $2, true)",
                [self.plantTimeZone, self.direction.source]
            )
            // The tick row must be on disk before the target commits (DESIGN 2.2).
            try await self.source.query("SET LOCAL synchronous_commit = on")
            try await self.source.query(
                "CREATE TEMP TABLE erpmes_out (n bigint GENERATED ALWAYS AS IDENTITY, entity text, key jsonb, op \"char\", payload jsonb) ON COMMIT DROP"
            )
            if first <= last {
                try await self.source.query(
                    "INSERT INTO erpmes_out (entity, key, op, payload) SELECT * FROM erpmes.batch($1::text[], $2::text[], $3, $4)",
                    [applying, paused.sorted(), first, last]
                )
            }
            let counts = try await self.source.query(
                """
                SELECT entity, count(*) FILTER (WHERE op IN ('D', 'T')) AS removals, count(*) FILTER (WHERE op = 'U') AS upserts,
                       count(*) FILTER (WHERE op = 'P') AS folds, min(n) AS first, max(n) AS last,
                       coalesce(sum(pg_column_size(payload)), 0)::bigint AS bytes
                FROM erpmes_out GROUP BY entity
                """
            )
            var removals: [String: Int] = [:]
            var upserts: [String: Int] = [:]
            var folds: [String: Int] = [:]
            var ranges: [String: ClosedRange<Int>] = [:]
            var bytes = 0
            for row in counts {
                let entity: String = try row.decode("entity")
                removals[entity] = try row.decode("removals")
                upserts[entity] = try row.decode("upserts")
                folds[entity] = try row.decode("folds")
                ranges[entity] = try row.decode("first", as: Int.self)...row.decode("last", as: Int.self)
                bytes += try row.decode("bytes", as: Int.self)
            }

            try await self.target.query("BEGIN")
            targetOpen = true
            try await self.target.query(
                "SELECT erpmes.begin_apply($1, $2::pg_snapshot, $3, $4, $5, $6::pg_snapshot, $7)",
                [
                    self.consumer, self.position, self.epoch, self.identity.systemIdentifier,
                    Int(self.identity.timeline), self.window?.snapshot, self.window?.done,
                ]
            )
            try await self.target.query(
                "SELECT set_config('lock_timeout', $1, true), set_config('erpmes.plant_tz', $2, true), set_config('erpmes.source_side', $3, true)",
                [
                    "\(self.lockTimeout.components.seconds * 1000 + self.lockTimeout.components.attoseconds / 1_000_000_000_000_000)ms",
                    self.plantTimeZone, self.direction.source,
                ]
            )
            var careful = Careful(enabled: enabled)
            for bad in knownBad {
                try await self.quarantine(bad)
            }
            // The target's tables are locked against DDL for this transaction, then their shapes
            // checked again: a migration that ran since `checkPauses` cannot slip in between.
            let applied = applying.filter { !paused.contains($0) && (ranges[$0] != nil) }
            let tables = try await self.target.query(
                "SELECT DISTINCT t::text AS t FROM erpmes.subscription AS s, unnest(s.tables) AS t WHERE s.entity = ANY ($1::text[]) ORDER BY 1",
                [applied]
            ).map { try $0.decode("t", as: String.self) }
            if !tables.isEmpty {
                try await self.target.query("LOCK TABLE \(tables.joined(separator: ", ")) IN ROW EXCLUSIVE MODE")
                for row in try await self.target.query(
                    "SELECT entity, problem FROM erpmes.drift($1::text[], 'subscription') WHERE problem IS NOT NULL",
                    [applied]
                ) {
                    let entity: String = try row.decode("entity")
                    let problem: String = try row.decode("problem")
                    try await self.pause(
                        entity,
                        reason: "entity \(entity) paused: schema drift, \(self.direction.target) side: \(problem)",
                        sqlState: nil
                    )
                    careful.pausedNow.insert(entity)
                }
            }
            let excluded = Dictionary(grouping: knownBad, by: \.entity).mapValues { Set($0.map(\.key)) }
            // Keys of paused entities are folded into the pending-key table, so the queue rotates.
            for entity in applying where (folds[entity] ?? 0) > 0 {
                try await self.fold(entity, filter: "op = 'P'")
            }
            // Deletes children first, then inserts and updates parents first.
            var keys = 0
            for entity in applying.reversed() where (removals[entity] ?? 0) > 0 {
                keys += try await self.apply(
                    entity,
                    filter: "op IN ('D', 'T')",
                    rows: ranges[entity]!,
                    excluded: excluded[entity] ?? [],
                    careful: &careful
                )
            }
            for entity in applying where (upserts[entity] ?? 0) > 0 {
                keys += try await self.apply(
                    entity,
                    filter: "op = 'U'",
                    rows: ranges[entity]!,
                    excluded: excluded[entity] ?? [],
                    careful: &careful
                )
            }
            try await self.source.query("COMMIT")
            sourceOpen = false
            try await self.target.query(
                "SELECT erpmes.finish_apply($1, $2::pg_snapshot, $3, $4, $5::text[], $6::integer[], $7, $8)",
                [
                    self.consumer, window.snapshot, keys, complete, window.entities, window.groups, last,
                    self.listedRows,
                ]
            )
            try await self.target.query("COMMIT")
            targetOpen = false
            if complete {
                self.position = window.snapshot
                self.window = nil
                self.listed = false
            } else {
                self.window?.done = last
                self.nextRow = last + 1
            }
            // A batch of large payloads makes the next one smaller (at most `chunkBytes` or so).
            if bytes > self.chunkBytes {
                self.batchSize = max(1, self.batchSize * self.chunkBytes / bytes)
            } else if self.batchSize < self.chunkKeys {
                self.batchSize = min(self.chunkKeys, self.batchSize * 2)
            }
            if self.errorStored { try await self.clearError() }
            self.logger.debug(
                "applied batch",
                metadata: [
                    "link": "\(self.link)", "direction": "\(self.direction.rawValue)", "keys": "\(keys)",
                    "window": complete ? "done" : "\(self.nextRow - 1) of \(self.listedRows)",
                ]
            )
            if !knownBad.isEmpty || !careful.pausedNow.isEmpty {
                self.logger.warning(
                    "batch applied around failing keys",
                    metadata: [
                        "link": "\(self.link)", "direction": "\(self.direction.rawValue)",
                        "dead_letters": "\(knownBad.count)", "paused": "\(careful.pausedNow.sorted())",
                    ]
                )
            }
            return keys
        } catch {
            // The window list may have been rolled back with the transaction: list it again.
            self.listed = false
            if sourceOpen { await Self.rollback(self.source) }
            if targetOpen { await Self.rollback(self.target) }
            if let error = error as? PQError, let replicationError = ReplicationError.fromServer(error, link: self.link)
            {
                throw replicationError
            }
            throw error
        }
    }

    /// Lists the window's keys in the source session's `pg_temp.erpmes_window`, in the source
    /// transaction that is open, and goes on after those already done.
    private mutating func listWindow(_ window: Window) async throws {
        self.listedRows = try requireRow(
            try await self.source.query(
                "SELECT erpmes.open_window($1::pg_snapshot, $2::pg_snapshot, $3::text[], $4::integer[]) AS listed",
                [self.position, window.snapshot, window.entities, window.groups]
            )
        ).decode("listed", as: Int.self)
        self.nextRow = window.done + 1
        self.listed = true
    }

    /// Stores the error that stopped this direction where status reads it: on the target, or on
    /// the source when the target cannot take it. Never throws: the caller reports the error itself.
    mutating func report(_ error: any Error) async {
        let (sqlState, message): (String?, String) =
            switch error {
            case let error as PQError: (error.sqlState?.rawValue, error.message)
            case let error as ReplicationError: (nil, error.message)
            default: (nil, "\(error)")
            }
        for connection in [self.target, self.source] {
            guard await connection.isOpen else { continue }
            do {
                try await connection.query(
                    "SELECT erpmes.report_error($1, $2, $3, $4)",
                    [self.consumer, "\(self.direction.rawValue) batch", sqlState, message]
                )
                self.errorStored = true
                return
            } catch {
                continue
            }
        }
    }

    /// Removes a stored error of this direction on both sides: it is making progress again.
    private mutating func clearError() async throws {
        for connection in [self.target, self.source] {
            try await connection.query("SELECT erpmes.clear_error($1)", [self.consumer])
        }
        self.errorStored = false
    }

    /// Entities to fold instead of apply: paused on the target, or drifted on either side now.
    /// An entity paused by drift resumes when its shapes match again; one paused by an apply
    /// error resumes when its shapes changed since (a migration ran). A resumed entity's folded
    /// keys are queued again on the source, so they are re-read and applied.
    private func checkPauses(_ entities: [String]) async throws -> Set<String> {
        let drift = try await self.shapes(entities)
        var paused = Set<String>()
        var pauses: [String: (sqlState: String?, shapes: String?)] = [:]
        for row in try await self.target.query(
            "SELECT entity, sqlstate, shapes #>> '{}' AS shapes FROM erpmes.entity_pause WHERE consumer = $1",
            [self.consumer]
        ) {
            pauses[try row.decode("entity")] = (try row.decode("sqlstate"), try row.decode("shapes"))
        }
        for entity in entities {
            let now = drift[entity]
            if let problem = now?.problem {
                paused.insert(entity)
                if pauses[entity] == nil {
                    let reason = "entity \(entity) paused: schema drift, \(problem)"
                    try await self.target.query(
                        "INSERT INTO erpmes.entity_pause (entity, consumer, reason, shapes) VALUES ($1, $2, $3, to_jsonb($4::text)) ON CONFLICT (entity) DO UPDATE SET reason = EXCLUDED.reason",
                        [entity, self.consumer, reason, now?.fingerprint ?? ""]
                    )
                    self.logger.error("entity paused", metadata: ["entity": "\(entity)", LogKey.error: "\(reason)"])
                }
            } else if let pause = pauses[entity] {
                if pause.sqlState != nil && pause.shapes == now?.fingerprint {
                    paused.insert(entity)  // an apply error: wait for a change to the schema or mapping
                } else {
                    try await self.resume(entity)
                }
            }
        }
        return paused
    }

    /// Queues a paused entity's folded keys again on the source, then lifts the pause.
    private func resume(_ entity: String) async throws {
        let keys = try await self.target.query(
            "SELECT key::text AS key FROM erpmes.pending_key WHERE consumer = $1 AND entity = $2 ORDER BY key",
            [self.consumer, entity]
        ).map { try $0.decode("key", as: String.self) }
        if !keys.isEmpty {
            try await self.source.query("SELECT erpmes.requeue($1, $2::jsonb[], true)", [entity, keys])
        }
        try await self.target.withTransaction { tx in
            try await tx.query(
                "DELETE FROM erpmes.pending_key WHERE consumer = $1 AND entity = $2",
                [self.consumer, entity]
            )
            try await tx.query("DELETE FROM erpmes.entity_pause WHERE entity = $1", [entity])
        }
        self.logger.notice("entity resumed", metadata: ["entity": "\(entity)", "requeued": "\(keys.count)"])
    }

    /// Dead letters marked for retry (by `erpmes deadletter retry`, or released by their parent)
    /// are re-read from the source: their keys are queued there again, never replayed from here.
    private func releaseRetries() async throws {
        let rows = try await self.target.query(
            "SELECT id, entity, key::text AS key FROM erpmes.dead_letter WHERE consumer = $1 AND status = 'retry' ORDER BY id",
            [self.consumer]
        )
        guard !rows.isEmpty else { return }
        var byEntity: [String: [String]] = [:]
        var ids: [Int64] = []
        for row in rows {
            byEntity[try row.decode("entity"), default: []].append(try row.decode("key"))
            ids.append(try row.decode("id"))
        }
        for (entity, keys) in byEntity.sorted(by: { $0.key < $1.key }) {
            try await self.source.query("SELECT erpmes.requeue($1, $2::jsonb[], true)", [entity, keys])
        }
        try await self.target.query(
            "UPDATE erpmes.dead_letter SET status = 'requeued' WHERE id = ANY ($1::bigint[]) AND status = 'retry'",
            [ids]
        )
        self.logger.notice("dead letters requeued", metadata: ["keys": "\(ids.count)"])
    }

    /// Deletes old conflict-log rows and closed dead letters on the target (see erpmes.prune).
    @discardableResult
    func prune(retention: Duration) async throws -> Int {
        try await self.target.query(
            "SELECT erpmes.prune(make_interval(secs => $1)) AS deleted",
            [Int(retention.components.seconds)]
        ).first?.decode("deleted", as: Int.self) ?? 0
    }

    /// One step of queue rotation on the source (see erpmes.rotate); returns what it did.
    @discardableResult
    func rotate(rows: Int, interval: Duration, retention: Duration) async throws -> String {
        try await self.source.query(
            "SELECT erpmes.rotate($1, $2, make_interval(secs => $3), make_interval(secs => $4)) AS step",
            [self.consumer, rows, Int(interval.components.seconds), Int(retention.components.seconds)]
        ).first?["step"] ?? "?"
    }

    /// Loads one entity's rows of one phase into the target and applies them (`rows` is the
    /// entity's range of row numbers in the batch table, at most `batchSize` rows); nothing for an
    /// entity this batch paused already.
    private func apply(
        _ entity: String,
        filter: String,
        rows: ClosedRange<Int>,
        excluded: Set<String>,
        careful: inout Careful
    ) async throws -> Int {
        guard !careful.pausedNow.contains(entity) else { return 0 }
        return try await self.applyRange(entity, filter: filter, rows: rows, excluded: excluded, careful: &careful)
    }

    /// Applies one range; in careful mode inside a savepoint, bisecting it on a data error.
    private func applyRange(
        _ entity: String,
        filter: String,
        rows: ClosedRange<Int>,
        excluded: Set<String>,
        careful: inout Careful
    ) async throws -> Int {
        if careful.enabled {
            guard careful.savepoints < Careful.budget else { throw ApplyAgain(found: careful.found) }
            careful.savepoints += 1
            try await self.target.query("SAVEPOINT erpmes_apply")
        }
        do {
            let loaded = try await self.load(entity, filter: filter, rows: rows, excluded: excluded)
            guard loaded > 0 else {
                if careful.enabled { try await self.target.query("RELEASE SAVEPOINT erpmes_apply") }
                return 0
            }
            let applied = try requireRow(
                try await self.target.query(
                    "SELECT count(*) FILTER (WHERE outcome = 'applied') AS applied FROM erpmes.apply_entity($1)",
                    [entity]
                )
            ).decode("applied", as: Int.self)
            if careful.enabled { try await self.target.query("RELEASE SAVEPOINT erpmes_apply") }
            return applied
        } catch let error as PQError where error.code == .server {
            let kind = ErrorClass(error.sqlState?.rawValue)
            guard kind != .transient else { throw error }
            guard careful.enabled else { throw ApplyAgain(found: []) }
            try await self.target.query("ROLLBACK TO SAVEPOINT erpmes_apply")
            try await self.target.query("RELEASE SAVEPOINT erpmes_apply")
            if kind == .schema {
                try await self.pause(entity, error)
                careful.pausedNow.insert(entity)
                return 0
            }
            let keys = try await self.keys(entity, filter: filter, rows: rows, excluded: excluded)
            if keys.count == 1 {
                let bad = Quarantine(
                    entity: entity,
                    key: keys[0],
                    sqlState: error.sqlState?.rawValue ?? "",
                    message: Self.describe(error, entity: entity, key: keys[0]),
                    detail: error.detail
                )
                careful.found.append(bad)
                try await self.quarantine(bad)
                return 0
            }
            guard rows.count > 1 else { return 0 }
            let middle = rows.lowerBound + rows.count / 2 - 1
            let low = try await self.applyRange(
                entity,
                filter: filter,
                rows: rows.lowerBound...middle,
                excluded: excluded,
                careful: &careful
            )
            if careful.pausedNow.contains(entity) { return low }
            let high = try await self.applyRange(
                entity,
                filter: filter,
                rows: (middle + 1)...rows.upperBound,
                excluded: excluded,
                careful: &careful
            )
            return low + high
        }
    }

    /// Copies one entity's rows of a range and phase from the source's batch table into the
    /// target's `erpmes_batch`; returns how many.
    private func load(
        _ entity: String,
        filter: String,
        rows: ClosedRange<Int>,
        excluded: Set<String>
    ) async throws -> Int {
        let data = try await self.source.copyOut(
            "COPY (SELECT key, op, payload FROM erpmes_out WHERE n BETWEEN \(rows.lowerBound) AND \(rows.upperBound) AND entity = \(SQLQuote.literal(entity)) AND \(filter)\(Self.exclusion(excluded)) ORDER BY n) TO STDOUT"
        )
        try await self.target.query("TRUNCATE erpmes_batch")
        guard !data.isEmpty else { return 0 }
        return try await self.target.copyIn("COPY erpmes_batch (key, op, payload) FROM STDIN", data: data)
    }

    private func keys(
        _ entity: String,
        filter: String,
        rows: ClosedRange<Int>,
        excluded: Set<String>
    ) async throws -> [String] {
        try await self.source.query(
            "SELECT key::text AS key FROM erpmes_out WHERE n BETWEEN $1 AND $2 AND entity = $3 AND \(filter)\(Self.exclusion(excluded)) ORDER BY n",
            [rows.lowerBound, rows.upperBound, entity]
        ).map { try $0.decode("key", as: String.self) }
    }

    private static func exclusion(_ keys: Set<String>) -> String {
        keys.isEmpty ? "" : " AND key::text NOT IN (\(keys.sorted().map(SQLQuote.literal).joined(separator: ", ")))"
    }

    /// Records a key in the dead letter (or counts another attempt of one already there).
    private func quarantine(_ bad: Quarantine) async throws {
        try await self.target.query(
            """
            INSERT INTO erpmes.dead_letter AS d (consumer, entity, key, sqlstate, message, detail)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6)
            ON CONFLICT (entity, key) WHERE status IN ('open', 'retry', 'requeued') DO UPDATE
                SET status = 'open', attempts = d.attempts + 1, sqlstate = EXCLUDED.sqlstate,
                    message = EXCLUDED.message, detail = EXCLUDED.detail, last_failed_at = now()
            """,
            [self.consumer, bad.entity, bad.key, bad.sqlState, bad.message, bad.detail]
        )
        self.logger.error(
            "key quarantined",
            metadata: ["entity": "\(bad.entity)", "key": "\(bad.key)", LogKey.error: "\(bad.message)"]
        )
    }

    /// Pauses an entity after a schema error in its apply, folding this batch's keys of it.
    private func pause(_ entity: String, _ error: PQError) async throws {
        try await self.pause(
            entity,
            reason: "entity \(entity) paused: \(Self.describe(error, entity: entity, key: nil))",
            sqlState: error.sqlState?.rawValue
        )
    }

    /// Pauses an entity in the batch's transaction and folds this batch's keys of it.
    private func pause(_ entity: String, reason: String, sqlState: String?) async throws {
        let fingerprint = try await self.fingerprint(entity)
        try await self.target.query(
            "INSERT INTO erpmes.entity_pause (entity, consumer, sqlstate, reason, shapes) VALUES ($1, $2, $3, $4, to_jsonb($5::text)) ON CONFLICT (entity) DO UPDATE SET reason = EXCLUDED.reason, sqlstate = EXCLUDED.sqlstate, shapes = EXCLUDED.shapes",
            [entity, self.consumer, sqlState, reason, fingerprint]
        )
        try await self.fold(entity, filter: "true")
        self.logger.error("entity paused", metadata: ["entity": "\(entity)", LogKey.error: "\(reason)"])
    }

    /// Folds this batch's keys of an entity (the rows `filter` selects) into the pending-key
    /// table, keys only, so the queue rotates while the entity is paused.
    private func fold(_ entity: String, filter: String) async throws {
        let data = try await self.source.copyOut(
            "COPY (SELECT key, 'P', NULL FROM erpmes_out WHERE entity = \(SQLQuote.literal(entity)) AND \(filter)) TO STDOUT"
        )
        try await self.target.query("TRUNCATE erpmes_batch")
        guard !data.isEmpty else { return }
        _ = try await self.target.copyIn("COPY erpmes_batch (key, op, payload) FROM STDIN", data: data)
        try await self.target.query(
            "INSERT INTO erpmes.pending_key (consumer, entity, key) SELECT $1, $2, key FROM pg_temp.erpmes_batch ON CONFLICT DO NOTHING",
            [self.consumer, entity]
        )
    }

    /// The entity's current shapes on both sides, as `checkPauses` compares them.
    private func fingerprint(_ entity: String) async throws -> String {
        try await self.shapes([entity])[entity]?.fingerprint ?? ""
    }

    /// Per entity: the first drift found (source side first), and the fingerprint of its current
    /// shapes on both sides.
    private func shapes(_ entities: [String]) async throws -> [String: (problem: String?, fingerprint: String)] {
        var shapes: [String: (problem: String?, fingerprint: String)] = [:]
        for (connection, kind) in [(self.source, "publication"), (self.target, "subscription")] {
            for row in try await connection.query(
                "SELECT entity, problem, fingerprint FROM erpmes.drift($1::text[], $2)",
                [entities, kind]
            ) {
                let entity: String = try row.decode("entity")
                let problem: String? = try row.decode("problem")
                let side = kind == "publication" ? self.direction.source : self.direction.target
                let previous = shapes[entity]
                shapes[entity] = (
                    previous?.problem ?? problem.map { "\(side) side: \($0)" },
                    (previous?.fingerprint ?? "") + (try row.decode("fingerprint", as: String.self))
                )
            }
        }
        return shapes
    }

    /// An error in words that name the entity, the key, the column and the value where known.
    static func describe(_ error: PQError, entity: String, key: String?) -> String {
        var text = "entity \(entity)"
        if let key { text += " key \(key)" }
        text += ": \(error.message)"
        var facts: [String] = []
        if let sqlState = error.sqlState?.rawValue { facts.append("SQLSTATE \(sqlState)") }
        if let table = error.table { facts.append("table \(table)") }
        if let column = error.column { facts.append("column \(column)") }
        if let constraint = error.constraint { facts.append("constraint \(constraint)") }
        if !facts.isEmpty { text += " (\(facts.joined(separator: ", ")))" }
        if let detail = error.detail { text += "; \(detail)" }
        return text
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
