import Foundation
import LibPQ
import Logging
import Synchronization

extension Migrator {
    /// Applies every pending versioned file in order (up to `version` when given), then every
    /// changed repeatable file in one transaction, under the target's migration lock.
    /// - Returns: the paths of the files applied, in order.
    /// - Throws: ``MigrateFailure``: `invalid` when `validate` finds problems, `sql` naming
    ///   `file:line:col` when a statement fails, `lockTimeout`, `refused`, `requirement`.
    @discardableResult
    public func up(
        _ target: MigrationTarget,
        to version: MigrationVersion? = nil,
        allowOutOfOrder: Set<MigrationVersion> = []
    ) async throws -> [String] {
        let scan = self.scan(target)
        if !scan.problems.isEmpty { throw self.invalid(target, scan.problems.map(\.description)) }
        return try await self.withLock(target) { work, watcher in
            try await self.upLocked(target, scan.catalog, to: version, allowOutOfOrder: allowOutOfOrder, work, watcher)
        }
    }

    /// Takes the target's migration lock on a connection of its own and runs `body` with a work
    /// connection and the lock connection (which watches for blockers while statements run).
    func withLock<T: Sendable>(
        _ target: MigrationTarget,
        _ body: (PQConnection, PQConnection) async throws -> T
    ) async throws -> T {
        try await self.withConnection(target, purpose: "lock \(target.name)") { lockConnection in
            let lock = MigrationLock(connection: lockConnection, target: target.name)
            let say = self.say
            try await lock.acquire(wait: self.options.lockWait) { holder in
                say("waiting for the migration lock of target \(target.name), held by \(holder.map { "\($0)" } ?? "?")")
            }
            do {
                let result = try await self.withConnection(target, purpose: target.name) { work in
                    try await body(work, lockConnection)
                }
                await lock.release()
                return result
            } catch {
                await lock.release()
                throw error
            }
        }
    }

    private func upLocked(
        _ target: MigrationTarget,
        _ catalog: MigrationCatalog,
        to version: MigrationVersion?,
        allowOutOfOrder: Set<MigrationVersion>,
        _ work: PQConnection,
        _ watcher: PQConnection
    ) async throws -> [String] {
        let store = HistoryStore(target: target, toolVersion: self.options.toolVersion)
        try await self.prepareHistory(target, store, on: work)
        let analysis = HistoryAnalysis(
            target: target.name,
            versioned: catalog.versioned,
            repeatables: catalog.repeatables,
            history: try await store.records(on: work),
            allowOutOfOrder: allowOutOfOrder
        )
        if analysis.isInvalid { throw self.invalid(target, analysis.status.problems) }
        let pending = analysis.pendingVersioned.filter { version == nil || $0.file.version! <= version! }
        try await self.checkRequirements(target, files: pending.map(\.file) + analysis.pendingRepeatable)
        var applied: [String] = []
        for item in pending {
            if item.file.runsInTransaction {
                try await self.applyInTransaction([item.file], target, store, work, watcher)
            } else {
                try await self.applyStatementByStatement(item, target, store, work, watcher)
            }
            applied.append(item.file.path)
        }
        let allVersionedApplied = pending.count == analysis.pendingVersioned.count
        if allVersionedApplied && !analysis.pendingRepeatable.isEmpty {
            try await self.applyInTransaction(analysis.pendingRepeatable, target, store, work, watcher)
            applied += analysis.pendingRepeatable.map(\.path)
        }
        let hasFingerprint = try await self.drift(target, on: work) != nil
        if !applied.isEmpty || !hasFingerprint {
            try await self.storeFingerprint(target, on: work)
        }
        return applied
    }

    /// Creates the history table on first use; a non-empty schema without history is refused,
    /// since running version 1 over existing tables would fail half way or, worse, succeed.
    func prepareHistory(_ target: MigrationTarget, _ store: HistoryStore, on work: PQConnection) async throws {
        guard try await !store.exists(on: work) else { return }
        if try await CatalogFingerprint.hasObjects(schemas: target.schemas, on: work) {
            var failure = MigrateFailure(
                .refused,
                target: target.name,
                "schema \(target.schemas.joined(separator: ", ")) already holds objects but has no migration history"
            )
            failure.hint =
                "record the version it is at with `erpmes migrate baseline --target \(target.name) --version V`"
            throw failure
        }
        try await work.withTransaction { tx in
            for command in store.bootstrap { try await tx.run(command) }
        }
    }

    /// Stores the live catalog fingerprint, computed by the server, for `drift`.
    func storeFingerprint(_ target: MigrationTarget, on work: PQConnection) async throws {
        try await work.withTransaction { tx in
            for command in Self.fingerprintCommands(target) { try await tx.run(command) }
        }
    }

    static func fingerprintCommands(_ target: MigrationTarget) -> [SQLCommand] {
        [
            SQLCommand(sql: "SET LOCAL search_path = pg_catalog"),
            SQLCommand(
                sql:
                    "INSERT INTO \(target.catalogTable) (fingerprint) SELECT fingerprint FROM (\(CatalogFingerprint.query)) AS f",
                parameters: [target.schemas.pqText ?? "{}"]
            ),
        ]
    }

    /// Files that say `-- erpmes:requires-target mes >= 3`, and the target's configured
    /// requirements, need the other target at that version first.
    private func checkRequirements(_ target: MigrationTarget, files: [MigrationFile]) async throws {
        var needs = target.requires
        for file in files {
            needs += file.directives.requiredTargets.map { ($0.target, $0.minimumVersion) }
        }
        for (name, minimum) in needs {
            let other = try self.target(name)
            let store = HistoryStore(target: other, toolVersion: self.options.toolVersion)
            let records = try await self.withConnection(other, purpose: "requires \(other.name)") { connection in
                try await store.records(on: connection)
            }
            let scan = self.scan(other)
            let current = HistoryAnalysis(
                target: other.name,
                versioned: scan.catalog.versioned,
                repeatables: [],
                history: records
            ).status.currentVersion.flatMap(MigrationVersion.init)
            guard let current, current >= minimum else {
                throw MigrateFailure(
                    .requirement,
                    target: target.name,
                    "target \(target.name) needs target \(name) at version \(minimum) or later; it is at "
                        + "\(current?.description ?? "no version"); migrate \(name) first"
                )
            }
        }
    }

    /// Statements with placeholders substituted.
    func statements(of file: MigrationFile) throws -> [SQLStatement] {
        let placeholders = Placeholders(self.options.placeholders)
        do throws(MigrationError) {
            return try file.statements.map { statement throws(MigrationError) in
                try placeholders.apply(to: statement, file: file.path)
            }
        } catch {
            throw MigrateFailure(.invalid, target: "", error.description)
        }
    }

    func invalid(_ target: MigrationTarget, _ problems: [String]) -> MigrateFailure {
        var failure = MigrateFailure(
            .invalid,
            target: target.name,
            "validation failed; nothing was applied:\n  " + problems.joined(separator: "\n  ")
        )
        failure.hint = "`erpmes migrate validate --target \(target.name)` lists the same problems"
        return failure
    }
}

/// The sessions seen blocking a migration statement, shared with the watcher task.
final class BlockerLog: Sendable {
    private let seen = Mutex<[MigrationLock.Holder]>([])
    func record(_ holders: [MigrationLock.Holder]) { self.seen.withLock { $0 = holders } }
    func reset() { self.seen.withLock { $0 = [] } }
    var last: [MigrationLock.Holder] { self.seen.withLock { $0 } }
}
