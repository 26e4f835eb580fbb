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
        abstract: "Show pending changes, lag and the last batch per link, direction and entity.",
        discussion: """
            Lag is the age of the oldest change committed on the source and not yet applied on the \
            target: 0 when the link is idle. Exit status: 0 shown, 70 when a database cannot be read, \
            78 for a bad configuration.
            """
    )

    @Option(help: "Configuration file (TOML) with the [links.NAME] sections.")
    var config: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        var logger = Logger(label: "erpmes.status") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let configuration: RunConfiguration
        do {
            configuration = try RunConfiguration.load(
                path: self.config,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            printError("erpmes status: \(error)")
            throw ExitCode(ExitStatus.badConfiguration)
        }
        var statuses: [EntityStatus] = []
        for link in configuration.links {
            do {
                statuses += try await LinkStatus.read(link, logger: logger)
            } catch {
                printError("erpmes status: link \(link.name): \(error)")
                throw ExitCode(ExitStatus.couldNotRun)
            }
        }
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
            return
        }
        let header = ["LINK", "DIRECTION", "ENTITY", "PENDING", "LAG", "LAST BATCH"]
        let rows = statuses.map { status in
            [
                status.link, status.direction, status.entity, "\(status.pending)",
                String(format: "%.1f s", status.lagSeconds), status.lastBatch ?? "never",
            ]
        }
        for line in alignedColumns([header] + rows) { print(line) }
        if rows.isEmpty { print("(no link has run yet)") }
    }
}
