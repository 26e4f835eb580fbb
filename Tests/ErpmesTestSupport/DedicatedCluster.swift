import ErpmesMigrate
import Foundation
import LibPQ
import Logging

/// A PostgreSQL cluster of one test's own, for tests that restart a server, crash it with an
/// immediate shutdown, or need two clusters (two `system_identifier`s).
///
/// Started with `scripts/pg-sandbox start` (roles and template as in ``TestCluster``) and stopped
/// with `scripts/pg-sandbox stop`; use ``with(_:)`` so it is stopped also when the test fails.
/// Tests that use one belong in a `.serialized` suite: each cluster costs a server and an initdb.
public struct DedicatedCluster: Sendable {
    /// The folder holding `data/`, the unix socket, `postgres.log` and `env`.
    public let directory: String
    public let port: Int
    public let binDirectory: String

    /// How ``restart(_:)`` stops the server.
    public enum ShutdownMode: String, Sendable {
        /// Disconnects every session and checkpoints, as on a planned restart.
        case fast
        /// Kills the server without a checkpoint: recovery replays the WAL, as after a crash.
        case immediate
    }

    /// Starts a new cluster, runs `body`, and stops and removes the cluster afterwards.
    public static func with<T: Sendable>(_ body: (DedicatedCluster) async throws -> T) async throws -> T {
        let cluster = try await Self.start()
        do {
            let result = try await body(cluster)
            try await cluster.stop()
            return result
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// Starts a new cluster in a fresh temporary folder.
    public static func start() async throws -> DedicatedCluster {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "erpmes-dedicated.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8))"
            )
            .path
        try await ChildProcess.run("/bin/bash", [Self.script, "start", directory])
        let env = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var values: [String: String] = [:]
        for line in env.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 {
                values[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            }
        }
        guard let port = values["ERPMES_TEST_PORT"].flatMap(Int.init), let bin = values["ERPMES_TEST_BINDIR"] else {
            throw PQError(code: .connectionFailed, message: "pg-sandbox wrote no endpoint to \(directory)/env")
        }
        return DedicatedCluster(directory: directory, port: port, binDirectory: bin)
    }

    /// Stops the server and removes its folder.
    public func stop() async throws {
        try await ChildProcess.run("/bin/bash", [Self.script, "stop", self.directory])
    }

    /// A conninfo for `database` as `user` over the cluster's unix socket (trust authentication).
    public func conninfo(database: String, user: String = "postgres") -> String {
        "host=\(self.directory) port=\(self.port) dbname=\(database) user=\(user)"
    }

    /// Creates `name` and installs the erpmes control schema into it, as
    /// `erpmes migrate up --target erpmes` would.
    public func createMigratedDatabase(_ name: String) async throws {
        let admin = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(self.conninfo(database: "postgres"))),
            logger: Self.quiet
        )
        try await admin.query("CREATE DATABASE \(SQLQuote.identifier(name))")
        await admin.close()
        let target = MigrationTarget(
            name: "erpmes",
            conninfo: Secret(self.conninfo(database: name)),
            schemas: ["erpmes"]
        )
        let migrator = Migrator(
            options: MigratorOptions(directory: TestCluster.repositoryRoot),
            targets: [target],
            logger: Self.quiet
        )
        try await migrator.up(target)
    }

    /// Restarts the server on the same port with `pg_ctl restart -m mode`; returns once it accepts
    /// connections again. Every session is cut; `.immediate` makes the restart a crash recovery.
    public func restart(_ mode: ShutdownMode) async throws {
        try await Self.asOwner(
            "\(self.binDirectory)/pg_ctl",
            [
                "-D", "\(self.directory)/data", "-l", "\(self.directory)/postgres.log", "-m", mode.rawValue, "-w", "-t",
                "60",
                "restart",
            ]
        )
    }

    /// The server's `system_identifier`.
    public func systemIdentifier() async throws -> String? {
        let admin = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(self.conninfo(database: "postgres"))),
            logger: Self.quiet
        )
        let identifier = try await admin.query("SELECT system_identifier FROM pg_control_system()").first?[0]
        await admin.close()
        return identifier
    }

    private static let quiet = Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    private static var script: String { TestCluster.repositoryRoot.appendingPathComponent("scripts/pg-sandbox").path }

    /// Runs a server binary as the cluster's OS user: `postgres` when we are root (the server
    /// refuses to run as root), else ourselves; from `/`, which that user can always read.
    private static func asOwner(_ executable: String, _ arguments: [String]) async throws {
        let owner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        try await ChildProcess.run("/bin/sh", ["-c", "cd / && exec \"$@\"", "sh"] + owner + [executable] + arguments)
    }
}
