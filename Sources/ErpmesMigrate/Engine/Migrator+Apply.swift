import Foundation
import LibPQ
import Logging

extension Migrator {
    /// Runs files in one transaction with their history rows; retries the whole transaction on
    /// SQLSTATE 55P03 with jittered backoff, recording each failed attempt.
    func applyInTransaction(
        _ files: [MigrationFile],
        _ target: MigrationTarget,
        _ store: HistoryStore,
        _ work: PQConnection,
        _ watcher: PQConnection
    ) async throws {
        let prepared = try files.map { ($0, try self.statements(of: $0)) }
        let lockTimeout =
            files.compactMap(\.directives.lockTimeout).max { $0.milliseconds < $1.milliseconds }
            ?? self.options.lockTimeout
        let names = files.map(\.name).joined(separator: ", ")
        for attempt in 1...max(self.options.lockAttempts, 1) {
            let startedAt = Date()
            self.say("applying \(names)" + (attempt > 1 ? " (attempt \(attempt))" : ""))
            do {
                try await work.query(
                    "SELECT set_config('application_name', $1, false)",
                    ["erpmes-migrate \(names)".prefix(63).description]
                )
                try await work.withTransaction { tx in
                    try await tx.query("SELECT set_config('lock_timeout', $1, true)", [lockTimeout.settingValue])
                    for (file, statements) in prepared {
                        for statement in statements {
                            do {
                                try await self.watchingBlockers(work, watcher) {
                                    try await tx.simpleQuery(statement.text)
                                }
                            } catch let error as PQError {
                                throw FailedStatement(file: file, statement: statement, error: error)
                            }
                        }
                        try await tx.run(store.insert(self.appliedEntry(file, statements, startedAt: nil)))
                    }
                }
                return
            } catch let failed as FailedStatement {
                let (file, statement, error) = (failed.file, failed.statement, failed.error)
                let failure = self.failure(error, target, file, statement)
                try? await self.recordFailure(store, file, statement, error, failure, startedAt, work, done: nil)
                if error.sqlState == .lockNotAvailable && attempt < self.options.lockAttempts {
                    try await self.backOff(failure, attempt: attempt)
                    continue
                }
                throw failure
            }
        }
    }

    /// Runs a `-- erpmes:transaction none` file one statement at a time, recording progress after
    /// each, and resumes after the last recorded statement, refusing if one of those was edited.
    func applyStatementByStatement(
        _ item: HistoryAnalysis.Work,
        _ target: MigrationTarget,
        _ store: HistoryStore,
        _ work: PQConnection,
        _ watcher: PQConnection
    ) async throws {
        let file = item.file
        let statements = try self.statements(of: file)
        let checksums = statements.map { Checksum(of: $0.text).description }
        for index in 0..<min(item.resumeAt, statements.count)
        where item.appliedStatementChecksums.indices.contains(index)
            && item.appliedStatementChecksums[index] != checksums[index]
        {
            var failure = MigrateFailure(
                .refused,
                target: target.name,
                "statement \(index + 1) of \(statements.count) was applied and has been edited since; refusing to resume",
                file: file.path,
                location: statements[index].location
            )
            failure.hint =
                "restore the statement, or accept it with `erpmes migrate repair resume \(file.version!) --reason ...`"
            throw failure
        }
        if item.resumeAt > 0 {
            self.say("resuming \(file.name) at statement \(item.resumeAt + 1) of \(statements.count)")
        }
        let lockTimeout = file.directives.lockTimeout ?? self.options.lockTimeout
        try await work.query(
            "SELECT set_config('application_name', $1, false)",
            ["erpmes-migrate \(file.name)".prefix(63).description]
        )
        try await work.query("SELECT set_config('lock_timeout', $1, false)", [lockTimeout.settingValue])
        defer { self.say("") }
        var index = item.resumeAt
        var attempt = 1
        while index < statements.count {
            let statement = statements[index]
            let startedAt = Date()
            do {
                try await self.dropInvalidIndexLeftBy(statement, on: work)
                self.say("  statement \(index + 1)/\(statements.count) at \(file.path):\(statement.location)")
                try await self.watchingBlockers(work, watcher) { try await work.simpleQuery(statement.text) }
                let done = index + 1
                var entry = self.appliedEntry(file, statements, startedAt: startedAt)
                entry.status = done == statements.count ? .applied : .partial
                entry.statementsDone = done
                entry.statementChecksums = Array(checksums[0..<done])
                try await work.run(store.insert(entry))
                index += 1
                attempt = 1
            } catch let error as PQError {
                let failure = self.failure(error, target, file, statement)
                try? await self.recordFailure(
                    store,
                    file,
                    statement,
                    error,
                    failure,
                    startedAt,
                    work,
                    done: (index, statements.count, Array(checksums[0..<index]))
                )
                if error.sqlState == .lockNotAvailable && attempt < self.options.lockAttempts {
                    try await self.backOff(failure, attempt: attempt)
                    attempt += 1
                    continue
                }
                var reported = failure
                let invalid = try await self.invalidIndexes(target, on: work)
                if !invalid.isEmpty {
                    reported.message +=
                        "; it left invalid index \(invalid.joined(separator: ", ")), which the next `up` drops before retrying"
                }
                reported.message += " (partial \(index)/\(statements.count))"
                throw reported
            }
        }
        try await work.query("RESET lock_timeout")
    }

    func appliedEntry(_ file: MigrationFile, _ statements: [SQLStatement], startedAt: Date?) -> HistoryStore.Entry {
        HistoryStore.Entry(
            version: file.version,
            description: file.description,
            kind: file.version == nil ? .repeatable : .versioned,
            script: file.path,
            checksum: file.checksum.description,
            status: .applied,
            statementsTotal: statements.count,
            startedAt: startedAt
        )
    }

    /// Records a failed attempt in its own transaction (the attempt's own was rolled back).
    private func recordFailure(
        _ store: HistoryStore,
        _ file: MigrationFile,
        _ statement: SQLStatement,
        _ error: PQError,
        _ failure: MigrateFailure,
        _ startedAt: Date,
        _ work: PQConnection,
        done: (Int, Int, [String])?
    ) async throws {
        guard await work.isOpen else { return }
        var entry = self.appliedEntry(file, [], startedAt: startedAt)
        entry.status = .failed
        entry.statementsDone = done?.0
        entry.statementsTotal = done?.1
        entry.statementChecksums = done?.2
        entry.sqlState = error.sqlState?.rawValue
        entry.message = "\(file.path):\(failure.location ?? statement.location): \(failure.message)"
        try await work.run(store.insert(entry))
    }

    /// Turns a server error into `file:line:col` with the SQLSTATE, detail and hint.
    func failure(
        _ error: PQError,
        _ target: MigrationTarget,
        _ file: MigrationFile,
        _ statement: SQLStatement
    )
        -> MigrateFailure
    {
        let location = error.position.map { statement.location(ofCharacter: $0) } ?? statement.location
        var failure = MigrateFailure(
            error.isConnectionError ? .connection : (error.sqlState == .lockNotAvailable ? .lockTimeout : .sql),
            target: target.name,
            error.message,
            file: file.path,
            location: location
        )
        failure.sqlState = error.sqlState
        failure.detail = error.detail
        failure.hint = error.hint
        return failure
    }

    /// Waits before retrying after a lock timeout: 0.5 s doubling to 8 s, times a random 0.5-1.5.
    private func backOff(_ failure: MigrateFailure, attempt: Int) async throws {
        let base = min(0.5 * pow(2, Double(attempt - 1)), 8)
        let delay = base * Double.random(in: 0.5...1.5)
        self.say(
            "  lock timeout (attempt \(attempt) of \(self.options.lockAttempts)): \(failure.message); retrying in "
                + String(format: "%.1f s", delay)
        )
        try await Task.sleep(for: .seconds(delay))
    }

    /// Runs `body` while the watcher connection polls `pg_blocking_pids` of the work connection,
    /// so a lock timeout can name the session that held the lock.
    @discardableResult
    func watchingBlockers<T: Sendable>(
        _ work: PQConnection,
        _ watcher: PQConnection,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let log = BlockerLog()
        let pid = work.backendPID
        do {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Task.sleep(for: .milliseconds(250))
                    while !Task.isCancelled {
                        if let blockers = try? await MigrationLock.blockers(of: pid, on: watcher), !blockers.isEmpty {
                            log.record(blockers)
                        }
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }
                defer { group.cancelAll() }
                return try await body()
            }
        } catch var error as PQError where error.sqlState == .lockNotAvailable {
            let blockers = log.last
            if !blockers.isEmpty {
                error.message += "; blocked by " + blockers.map(\.description).joined(separator: "; ")
            }
            throw error
        }
    }

    /// Invalid indexes in the target's schemas: what a failed `CREATE INDEX CONCURRENTLY` leaves.
    func invalidIndexes(_ target: MigrationTarget, on work: PQConnection) async throws -> [String] {
        guard await work.isOpen else { return [] }
        let rows = try await work.query(
            """
            SELECT format('%I.%I', n.nspname, c.relname) AS name
            FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND n.nspname = ANY ($1::text[]) ORDER BY 1
            """,
            [target.schemas]
        )
        return try rows.map { try $0.decode("name") }
    }

    /// Before re-running `CREATE INDEX CONCURRENTLY name`, drops an invalid index of that name
    /// (left by the failed attempt), which would otherwise make the retry fail with "already exists".
    private func dropInvalidIndexLeftBy(_ statement: SQLStatement, on work: PQConnection) async throws {
        guard NonTransactionalDetector.kind(of: statement.text) == .createIndexConcurrently,
            let name = Self.indexName(in: statement.text)
        else { return }
        let rows = try await work.query(
            """
            SELECT c.oid::regclass::text AS name FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
            WHERE i.indexrelid = to_regclass($1) AND NOT i.indisvalid
            """,
            [name]
        )
        guard let invalid = rows.first?["name"] else { return }
        self.say("  dropping invalid index \(invalid) left by the failed attempt")
        try await work.simpleQuery("DROP INDEX CONCURRENTLY IF EXISTS \(invalid)")
    }

    /// The index name of `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON ...`.
    static func indexName(in statement: String) -> String? {
        let words = statement.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let concurrently = words.firstIndex(where: { $0.uppercased() == "CONCURRENTLY" }) else { return nil }
        var index = concurrently + 1
        if words.count > index + 2, words[index].uppercased() == "IF", words[index + 1].uppercased() == "NOT" {
            index += 3
        }
        guard words.indices.contains(index), words[index].uppercased() != "ON" else { return nil }
        return words[index]
    }
}

/// A statement that failed inside a transaction, carried out of it so the failure can be recorded
/// after the rollback.
struct FailedStatement: Error {
    var file: MigrationFile
    var statement: SQLStatement
    var error: PQError
}
