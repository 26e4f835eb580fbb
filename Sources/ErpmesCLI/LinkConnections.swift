import ArgumentParser
import ErpmesCore
import Foundation
import LibPQ
import Logging

/// Options every command that works on the configured links shares.
struct LinkOptions: ParsableArguments {
    @Option(help: "Configuration file (TOML) with the [links.NAME] sections.")
    var config: String

    @Option(help: "Only this link (default: every configured link).")
    var link: String?

    /// The configured links, or exit 78 with the reason.
    func links(command: String) throws -> [RunConfiguration.Link] {
        let configuration = try loadRunConfiguration(self.config, command: command)
        guard let name = self.link else { return configuration.links }
        let chosen = configuration.links.filter { $0.name == name }
        guard !chosen.isEmpty else {
            printError(
                "erpmes \(command): no link named \(name) in \(self.config) (links: \(configuration.links.map(\.name).joined(separator: ", ")))"
            )
            throw ExitCode(ExitStatus.badConfiguration)
        }
        return chosen
    }
}

/// The configuration file with its `ERPMES_` overrides, or exit 78 with the reason.
func loadRunConfiguration(_ path: String, command: String) throws -> RunConfiguration {
    do {
        return try RunConfiguration.load(path: path, environment: ProcessInfo.processInfo.environment)
    } catch {
        printError("erpmes \(command): \(error)")
        throw ExitCode(ExitStatus.badConfiguration)
    }
}

/// Runs `body` with one connection to each database of a link ("erp" and "mes"), closing them
/// afterwards; a connection failure exits 70 naming the link and side (never the password).
func withLinkConnections<T>(
    _ link: RunConfiguration.Link,
    command: String,
    _ body: ([String: PQConnection]) async throws -> T
) async throws -> T {
    let logger = Logger(label: "erpmes.\(command)") { StreamLogHandler.standardError(label: $0) }
    var connections: [String: PQConnection] = [:]
    func closeAll() async {
        for connection in connections.values { await connection.close() }
    }
    for (side, conninfo) in [("erp", link.erp), ("mes", link.mes)] {
        do {
            connections[side] = try await PQConnection.connect(
                ConnectionConfiguration(conninfo: conninfo, applicationName: "erpmes-\(command) \(link.name)"),
                logger: logger
            )
        } catch {
            await closeAll()
            printError("erpmes \(command): link \(link.name), \(side) database: \(error)")
            throw ExitCode(ExitStatus.couldNotRun)
        }
    }
    do {
        let result = try await body(connections)
        await closeAll()
        return result
    } catch {
        await closeAll()
        throw error
    }
}
