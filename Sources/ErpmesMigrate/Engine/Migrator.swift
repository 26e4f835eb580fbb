import Foundation
import LibPQ
import Logging

/// Settings of a migration run that are not per target.
public struct MigratorOptions: Sendable {
    /// The folder holding `Migrations/` and `Sql/` (`--dir`).
    public var directory: URL
    /// How long to wait for another run's migration lock (`--lock-wait`).
    public var lockWait: Duration
    /// `lock_timeout` for each file unless it says `-- erpmes:lock_timeout`.
    public var lockTimeout: LockTimeout
    /// Attempts on SQLSTATE 55P03 (lock not available) before giving up, each recorded in history.
    public var lockAttempts: Int
    /// Values for `${erpmes:name}` placeholders.
    public var placeholders: [String: String]
    /// Written to every history row.
    public var toolVersion: String

    public init(
        directory: URL,
        lockWait: Duration = .seconds(60),
        lockTimeout: LockTimeout = LockTimeout(milliseconds: 3000)!,
        lockAttempts: Int = 5,
        placeholders: [String: String] = [:],
        toolVersion: String = "0.1.0"
    ) {
        self.directory = directory
        self.lockWait = lockWait
        self.lockTimeout = lockTimeout
        self.lockAttempts = lockAttempts
        self.placeholders = placeholders
        self.toolVersion = toolVersion
    }
}

/// The migration engine behind `erpmes migrate`: reads a target's files, compares them with its
/// history, and applies what is pending under the target's advisory lock.
///
/// Every change is recorded in the history table in the same transaction that makes it, so a
/// crash or `kill -9` never leaves a half-recorded migration; non-transactional files record
/// progress after each statement and resume there.
public struct Migrator: Sendable {
    public let options: MigratorOptions
    /// Every configured target, so `requires` can look at the others.
    public let targets: [MigrationTarget]
    let logger: Logger
    /// Progress lines for the person running the command (stdout in the CLI).
    let say: @Sendable (String) -> Void

    public init(
        options: MigratorOptions,
        targets: [MigrationTarget],
        logger: Logger,
        say: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.options = options
        self.targets = targets
        self.logger = logger
        self.say = say
    }

    /// The target called `name`.
    public func target(_ name: String) throws -> MigrationTarget {
        guard let target = self.targets.first(where: { $0.name == name }) else {
            throw MigrateFailure(
                .refused,
                target: name,
                "no target \(name) is configured (known: \(self.targets.map(\.name).joined(separator: ", ")))"
            )
        }
        return target
    }

    /// Reads the target's files; every bad file is a problem, never skipped.
    func scan(_ target: MigrationTarget) -> MigrationCatalog.Scan {
        MigrationCatalog.scan(directory: self.options.directory, target: target.files)
    }

    /// Opens a connection for `target`; server notices are shown to the person running the command.
    func connect(_ target: MigrationTarget, purpose: String) async throws -> PQConnection {
        let say = self.say
        do {
            return try await PQConnection.connect(
                ConnectionConfiguration(
                    conninfo: target.conninfo,
                    applicationName: "erpmes-migrate \(purpose)",
                    // A killed `erpmes migrate` must not leave its backend running a long statement
                    // (and holding the migration lock): the server checks the client every second.
                    settings: [("client_connection_check_interval", "1s")],
                    onNotice: { notice in say("  \(notice.severity): \(notice.message)") }
                ),
                logger: self.logger
            )
        } catch let error as PQError {
            var failure = MigrateFailure(.connection, target: target.name, "cannot connect: \(error.message)")
            failure.sqlState = error.sqlState
            throw failure
        }
    }

    /// Runs `body` with a new connection and closes it afterwards, also on error.
    func withConnection<T: Sendable>(
        _ target: MigrationTarget,
        purpose: String,
        _ body: (PQConnection) async throws -> T
    ) async throws -> T {
        let connection = try await self.connect(target, purpose: purpose)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Compares files and history without changing anything. Checks drift when a fingerprint has
    /// been stored.
    public func status(
        _ target: MigrationTarget,
        allowOutOfOrder: Set<MigrationVersion> = []
    ) async throws
        -> MigrationStatus
    {
        let scan = self.scan(target)
        let store = HistoryStore(target: target, toolVersion: self.options.toolVersion)
        let (records, drift) = try await self.withConnection(target, purpose: "status \(target.name)") { connection in
            (try await store.records(on: connection), try await self.drift(target, on: connection))
        }
        var analysis = HistoryAnalysis(
            target: target.name,
            versioned: scan.catalog.versioned,
            repeatables: scan.catalog.repeatables,
            history: records,
            allowOutOfOrder: allowOutOfOrder
        )
        for problem in scan.problems {
            analysis.status.problems.append(problem.description)
            analysis.status.exitBits |= MigrationStatus.invalidBit
        }
        if let drift {
            analysis.status.drift = drift
            if !drift.isEmpty { analysis.status.exitBits |= MigrationStatus.driftBit }
        }
        return analysis.status
    }

    /// The difference between the live catalog and the fingerprint stored after the last run, or
    /// nil when none was stored yet.
    public func drift(_ target: MigrationTarget) async throws -> CatalogFingerprint.Difference? {
        try await self.withConnection(target, purpose: "drift \(target.name)") { connection in
            try await self.drift(target, on: connection)
        }
    }

    func drift(_ target: MigrationTarget, on connection: PQConnection) async throws -> CatalogFingerprint.Difference? {
        let present = try await connection.query("SELECT to_regclass($1) IS NOT NULL AS present", [target.catalogTable])
        guard try present.first?.decode("present", as: Bool.self) == true else { return nil }
        let stored = try await connection.query(
            "SELECT fingerprint FROM \(target.catalogTable) ORDER BY taken_at DESC LIMIT 1"
        )
        guard let row = stored.first else { return nil }
        let old = try CatalogFingerprint(json: try row.decode("fingerprint", as: PQJSON.self))
        let live = try await CatalogFingerprint.live(schemas: target.schemas, on: connection)
        return live.difference(from: old)
    }
}

extension Migrator {
    /// Refuses when any of `targets` has pending, failed, partial, invalid or drifted migrations;
    /// `erpmes run` calls this before it starts, so it never replicates into a half-migrated schema.
    /// - Throws: ``MigrateFailure`` `refused`, naming each target and file that is not ready.
    public func requireReady(_ targets: [MigrationTarget]) async throws {
        var reasons: [String] = []
        for target in targets {
            let status = try await self.status(target)
            for entry in status.entries where entry.state != "applied" && entry.state != "baseline" {
                var state = entry.state
                if let done = entry.statementsDone, let total = entry.statementsTotal { state += " \(done)/\(total)" }
                reasons.append("target \(target.name): \(entry.script) is \(state)")
            }
            if let drift = status.drift, !drift.isEmpty {
                let objects = drift.added + drift.removed + drift.changed
                reasons.append("target \(target.name): schema drift in \(objects.joined(separator: ", "))")
            }
            // Problems not tied to a listed file: misnamed or duplicate files, dependency cycles.
            let scripts = status.entries.map(\.script)
            reasons += status.problems.filter { problem in !scripts.contains { problem.hasPrefix($0) } }
                .map { "target \(target.name): \($0)" }
        }
        guard reasons.isEmpty else {
            var failure = MigrateFailure(
                .refused,
                target: targets.map(\.name).joined(separator: ", "),
                "migrations are not complete:\n  " + reasons.joined(separator: "\n  ")
            )
            failure.hint = "run `erpmes migrate status` and `erpmes migrate up` first"
            throw failure
        }
    }
}
