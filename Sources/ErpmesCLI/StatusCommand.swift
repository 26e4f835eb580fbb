import ArgumentParser
import ErpmesCore
import ErpmesReplicator
import Foundation
import LibPQ
import Logging

/// `erpmes status`: pending changes, lag and last batch per link, direction and entity.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show replication health per link, direction and entity; exit 1 on WARN, 2 on CRIT.",
        discussion: """
            Per entity: keys pending on the source and the lag (age of the oldest change committed on \
            the source and not yet applied on the target: 0 when the link is idle), the apply rate, \
            dead letters, open conflicts, a pause, the replicator's heartbeat, and a status against \
            the thresholds in erpmes.health_threshold on the target database (OK, WARN, CRIT; a paused \
            entity or a link that needs a resync is CRIT). The same figures are in the view \
            erpmes.replication_health on each database. Exit status: 0 OK, 1 WARN, 2 CRIT, 70 when a \
            database cannot be read, 78 for a bad configuration.
            """
    )

    @Option(help: "Configuration file (TOML) with the [links.NAME] sections.")
    var config: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Redraw every N seconds (at least 0.5) until interrupted (Ctrl-C).")
    var watch: Double?

    func validate() throws {
        if let watch = self.watch, !(watch >= 0.5) {
            throw ValidationError("--watch takes seconds between redraws, at least 0.5 (got \(watch)).")
        }
    }

    func run() async throws {
        var logger = Logger(label: "erpmes.status") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let configuration = try loadRunConfiguration(self.config, command: "status")
        guard let interval = self.watch else {
            let statuses = try await Self.read(configuration, logger: logger)
            self.show(statuses)
            throw ExitCode(Self.exitCode(statuses))
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        while !Task.isCancelled {
            let statuses = try await Self.read(configuration, logger: logger)
            if terminal { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print("erpmes status at \(ISO8601DateFormatter().string(from: Date())), every \(interval) s (Ctrl-C stops)")
            self.show(statuses)
            fflush(nil)
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }

    static func read(_ configuration: RunConfiguration, logger: Logger) async throws -> [EntityStatus] {
        var statuses: [EntityStatus] = []
        for link in configuration.links {
            do {
                statuses += try await LinkStatus.read(link, logger: logger)
            } catch {
                printError("erpmes status: link \(link.name): \(error)")
                throw ExitCode(ExitStatus.couldNotRun)
            }
        }
        return statuses
    }

    /// 0 when everything is OK, 1 with a WARN, 2 with a CRIT.
    static func exitCode(_ statuses: [EntityStatus]) -> Int32 {
        if statuses.contains(where: { $0.status == "CRIT" }) { return 2 }
        if statuses.contains(where: { $0.status == "WARN" }) { return 1 }
        return 0
    }

    func show(_ statuses: [EntityStatus]) {
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: (try? encoder.encode(statuses)) ?? Data(), as: UTF8.self))
            return
        }
        let header = ["LINK", "DIRECTION", "ENTITY", "PENDING", "LAG", "RATE", "DEAD", "CONFL", "STATUS", "REASON"]
        let rows = statuses.map { status in
            [
                status.link, status.direction, status.entity, "\(status.pending)",
                String(format: "%.1f s", status.lagSeconds), String(format: "%.0f/s", status.applyRate),
                "\(status.deadLetters)", "\(status.openConflicts)", status.status, status.reason ?? "",
            ]
        }
        for line in alignedColumns([header] + rows) { print(line) }
        if rows.isEmpty { print("(no link has run yet)") }
    }
}
