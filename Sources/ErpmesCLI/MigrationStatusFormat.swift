import ErpmesMigrate
import Foundation

/// How `migrate status` prints: a table for people, JSON for scripts.
enum MigrationStatusFormat {
    /// `{"targets": [MigrationStatus...]}`, keys sorted, so output is stable for golden files.
    static func json(_ statuses: [MigrationStatus]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        struct Document: Encodable {
            var targets: [MigrationStatus]
            var exitCode: Int32
        }
        let document = Document(targets: statuses, exitCode: statuses.reduce(0) { $0 | $1.exitBits })
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
    }

    static func table(_ status: MigrationStatus) -> String {
        var lines = ["target \(status.target): at version \(status.currentVersion ?? "none")"]
        let rows = status.entries.map { entry -> [String] in
            var state = entry.state
            if let done = entry.statementsDone, let total = entry.statementsTotal { state += " \(done)/\(total)" }
            return [entry.version ?? "R", state, entry.description, entry.appliedAt ?? ""]
        }
        let header = ["VERSION", "STATE", "DESCRIPTION", "APPLIED AT"]
        lines += alignedColumns([header] + rows).map { "  " + $0 }
        if rows.isEmpty { lines.append("  (no migration files)") }
        if let drift = status.drift, !drift.isEmpty {
            lines.append(
                "  drift: \(drift.added.count) added, \(drift.removed.count) removed, \(drift.changed.count) changed (see `erpmes migrate drift`)"
            )
        }
        for problem in status.problems { lines.append("  ! \(problem)") }
        return lines.joined(separator: "\n")
    }
}
