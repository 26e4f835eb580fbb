import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import ErpmesReplicator
import Foundation
import LibPQ
import Logging
import ServiceLifecycle
import UnixSignals

/// `erpmes run`: the replicator service.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Replicate every configured link until SIGTERM or SIGINT.",
        discussion: """
            Reads [run] and [links.NAME] from the configuration file (ERPMES_<SECTION>_<KEY> variables \
            override it). Refuses to start while the configured migrations are pending, failed or \
            drifted. A second process for the same link waits as a hot standby. Exit status: 0 after a \
            graceful stop, 70 when a link halts or cannot start, 78 for a bad configuration.
            """
    )

    @Option(help: "Configuration file (TOML).")
    var config: String

    @Option(help: "Run only this link (default: every link in the file).")
    var link: String?

    @Option(help: "Log level: trace, debug, info (one line per batch), notice, warning, error.")
    var logLevel: String = "notice"

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func run() async throws {
        var logger = Logger(label: "erpmes.run") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .notice
        let environment = ProcessInfo.processInfo.environment
        var configuration = try loadRunConfiguration(self.config, command: "run")
        if let name = self.link {
            guard let chosen = configuration.links.first(where: { $0.name == name }) else {
                printError(
                    "erpmes run: no link '\(name)' in \(self.config) (links: \(configuration.links.map(\.name).joined(separator: ", ")))"
                )
                throw ExitCode(ExitStatus.badConfiguration)
            }
            configuration.links = [chosen]
        }
        try await self.requireMigrated(environment: environment)
        let services = configuration.links.map { LinkService(link: $0, configuration: configuration, logger: logger) }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) } + [.init(service: HangupNotice(logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.notice(
            "erpmes run started",
            metadata: ["links": "\(configuration.links.map(\.name).joined(separator: ","))"]
        )
        do {
            try await group.run()
        } catch {
            printError("erpmes run: \(error)")
            throw ExitCode(ExitStatus.couldNotRun)
        }
    }

    /// With a [migrate] section in the same file, refuses to start while any target is pending,
    /// failed, partial or drifted, naming them.
    private func requireMigrated(environment: [String: String]) async throws {
        let text = (try? String(contentsOfFile: self.config, encoding: .utf8)) ?? ""
        guard text.contains("[migrate") else { return }
        let options = try MigrateOptions.parse(["--config", self.config])
        try await reportingFailures {
            let (migrator, targets) = try options.setup(say: { _ in })
            try await migrator.requireReady(targets)
        }
    }
}
