import Foundation
import LibPQ

extension Migrator {
    /// The exact SQL `up` would send, with its transaction boundaries and history rows, as a script
    /// `psql -v ON_ERROR_STOP=1 -f` can run. Reads the history; changes nothing.
    public func plan(
        _ target: MigrationTarget,
        to version: MigrationVersion? = nil,
        allowOutOfOrder: Set<MigrationVersion> = []
    ) async throws -> String {
        let scan = self.scan(target)
        if !scan.problems.isEmpty { throw self.invalid(target, scan.problems.map(\.description)) }
        let store = HistoryStore(target: target, toolVersion: self.options.toolVersion)
        let (exists, records, hasObjects) = try await self.withConnection(target, purpose: "plan \(target.name)") {
            connection in
            (
                try await store.exists(on: connection), try await store.records(on: connection),
                try await CatalogFingerprint.hasObjects(schemas: target.schemas, on: connection)
            )
        }
        if !exists && hasObjects {
            var failure = MigrateFailure(
                .refused,
                target: target.name,
                "schema holds objects but has no migration history"
            )
            failure.hint =
                "record the version it is at with `erpmes migrate baseline --target \(target.name) --version V`"
            throw failure
        }
        let analysis = HistoryAnalysis(
            target: target.name,
            versioned: scan.catalog.versioned,
            repeatables: scan.catalog.repeatables,
            history: records,
            allowOutOfOrder: allowOutOfOrder
        )
        if analysis.isInvalid { throw self.invalid(target, analysis.status.problems) }
        let pending = analysis.pendingVersioned.filter { version == nil || $0.file.version! <= version! }

        var out = "-- erpmes migrate plan for target \(target.name): \(pending.count) versioned"
        out += " and \(pending.count == analysis.pendingVersioned.count ? analysis.pendingRepeatable.count : 0)"
        out += " repeatable file(s)\n-- Run with: psql -v ON_ERROR_STOP=1 -f plan.sql\n"
        func emit(_ command: SQLCommand) { out += command.rendered + ";\n" }
        if !exists {
            out += "\n-- history table (first run)\nBEGIN;\n"
            store.bootstrap.forEach(emit)
            out += "COMMIT;\n"
        }
        for item in pending {
            let statements = try self.statements(of: item.file)
            out += "\n-- \(item.file.path)\n"
            emit(
                SQLCommand(
                    sql: "SELECT set_config('application_name', $1, false)",
                    parameters: ["erpmes-migrate \(item.file.name)"]
                )
            )
            let lockTimeout = (item.file.directives.lockTimeout ?? self.options.lockTimeout).settingValue
            if item.file.runsInTransaction {
                out += "BEGIN;\n"
                emit(SQLCommand(sql: "SELECT set_config('lock_timeout', $1, true)", parameters: [lockTimeout]))
                for statement in statements { out += statement.text + ";\n" }
                emit(store.insert(self.appliedEntry(item.file, statements, startedAt: nil)))
                out += "COMMIT;\n"
            } else {
                out += "-- -- erpmes:transaction none: one statement at a time, progress recorded after each\n"
                emit(SQLCommand(sql: "SELECT set_config('lock_timeout', $1, false)", parameters: [lockTimeout]))
                let checksums = statements.map { Checksum(of: $0.text).description }
                for index in item.resumeAt..<statements.count {
                    out += statements[index].text + ";\n"
                    var entry = self.appliedEntry(item.file, statements, startedAt: nil)
                    entry.status = index + 1 == statements.count ? .applied : .partial
                    entry.statementsDone = index + 1
                    entry.statementChecksums = Array(checksums[0...index])
                    emit(store.insert(entry))
                }
                out += "RESET lock_timeout;\n"
            }
        }
        if pending.count == analysis.pendingVersioned.count && !analysis.pendingRepeatable.isEmpty {
            let files = analysis.pendingRepeatable
            out += "\n-- repeatable: \(files.map(\.path).joined(separator: ", "))\n"
            emit(
                SQLCommand(
                    sql: "SELECT set_config('application_name', $1, false)",
                    parameters: ["erpmes-migrate \(files.map(\.name).joined(separator: ", "))".prefix(63).description]
                )
            )
            out += "BEGIN;\n"
            let lockTimeout =
                files.compactMap(\.directives.lockTimeout).max { $0.milliseconds < $1.milliseconds }
                ?? self.options.lockTimeout
            emit(SQLCommand(sql: "SELECT set_config('lock_timeout', $1, true)", parameters: [lockTimeout.settingValue]))
            for file in files {
                let statements = try self.statements(of: file)
                out += "-- \(file.path)\n"
                for statement in statements { out += statement.text + ";\n" }
                emit(store.insert(self.appliedEntry(file, statements, startedAt: nil)))
            }
            out += "COMMIT;\n"
        }
        out += "\n-- catalog fingerprint, for `erpmes migrate drift`\nBEGIN;\n"
        Self.fingerprintCommands(target).forEach(emit)
        out += "COMMIT;\n"
        return out
    }
}
