import ErpmesMigrate
import Foundation
import LibPQ
import Logging

/// The throwaway PostgreSQL cluster of this test run.
///
/// `make test` starts one with `scripts/pg-sandbox run` and exports `ERPMES_TEST_HOST` and
/// `ERPMES_TEST_PORT`; a bare `swift test` starts its own through the same script and stops it
/// when the process exits. Tests never share a database: each clones the template.
public actor TestCluster {
    public static let shared = TestCluster()

    /// Where the server listens: a unix-socket folder and a TCP port on 127.0.0.1.
    public struct Endpoint: Sendable {
        public var socketDirectory: String
        public var port: Int
        /// Folder of the server binaries (initdb, pg_ctl), for tests that run their own cluster.
        public var binDirectory: String?
    }

    private var endpoint: Endpoint?
    private var admin: PQConnection?
    private var counter = 0
    private var templateReady: Task<Void, any Error>?
    private var referenceReady: [String: Task<Void, any Error>] = [:]

    /// The name of the database every test database is cloned from.
    public static let templateName = "erpmes_template"

    public func current() throws -> Endpoint {
        if let endpoint = self.endpoint { return endpoint }
        let environment = ProcessInfo.processInfo.environment
        let endpoint: Endpoint
        if let host = environment["ERPMES_TEST_HOST"], let port = environment["ERPMES_TEST_PORT"].flatMap(Int.init) {
            endpoint = Endpoint(socketDirectory: host, port: port, binDirectory: environment["ERPMES_TEST_BINDIR"])
        } else {
            endpoint = try Self.startOwnCluster()
        }
        self.endpoint = endpoint
        return endpoint
    }

    /// A conninfo for `database` as `user` over the unix socket (trust authentication).
    public func conninfo(database: String, user: String = "postgres") throws -> String {
        let endpoint = try self.current()
        return "host=\(endpoint.socketDirectory) port=\(endpoint.port) dbname=\(database) user=\(user)"
    }

    /// The repository, for `Migrations/` and `Sql/`.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Installs the erpmes control schema into the template once per run, so every test database
    /// starts migrated (as `erpmes migrate up --target erpmes` would leave it).
    private func prepareTemplate() async throws {
        // One migration for all callers: the actor is reentrant while it awaits.
        if let ready = self.templateReady { return try await ready.value }
        let conninfo = try self.conninfo(database: Self.templateName)
        let ready = Task { try await Self.migrateTemplate(conninfo: conninfo) }
        self.templateReady = ready
        try await ready.value
    }

    private static func migrateTemplate(conninfo: String) async throws {
        let target = MigrationTarget(
            name: "erpmes",
            conninfo: Secret(conninfo),
            schemas: ["erpmes"]
        )
        let migrator = Migrator(
            options: MigratorOptions(directory: Self.repositoryRoot),
            targets: [target],
            logger: Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await migrator.up(target)
    }

    /// Creates a new database cloned from the template and returns its name.
    public func createDatabase() async throws -> String {
        try await self.prepareTemplate()
        return try await self.clone(Self.templateName)
    }

    /// Creates a new database holding one side of the reference plant: the control schema plus
    /// target `side` (`erp` or `mes`) migrated from the repository, i.e. `Migrations/<side>` and the
    /// mapping pack and views in `Sql/<side>`. Cloned from a template built once per run.
    public func createReferenceDatabase(_ side: String) async throws -> String {
        try await self.prepareTemplate()
        let template = "\(Self.templateName)_\(side)"
        // Stored before the first suspension: the actor is reentrant, and a second caller must
        // wait for this build rather than start its own.
        let ready: Task<Void, any Error>
        if let existing = self.referenceReady[side] {
            ready = existing
        } else {
            let conninfo = try self.conninfo(database: template)
            ready = Task { [self] in
                let admin = try await self.adminConnection()
                try await admin.query("DROP DATABASE IF EXISTS \(SQLQuote.identifier(template))")
                try await admin.query(
                    "CREATE DATABASE \(SQLQuote.identifier(template)) TEMPLATE \(SQLQuote.identifier(Self.templateName))"
                )
                let target = MigrationTarget(name: side, conninfo: Secret(conninfo))
                let migrator = Migrator(
                    options: MigratorOptions(directory: Self.repositoryRoot),
                    targets: [target],
                    logger: Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
                )
                try await migrator.up(target)
            }
            self.referenceReady[side] = ready
        }
        try await ready.value
        return try await self.clone(template)
    }

    private func clone(_ template: String) async throws -> String {
        self.counter += 1
        let name = "test_\(ProcessInfo.processInfo.processIdentifier)_\(self.counter)"
        let admin = try await self.adminConnection()
        try await admin.query(
            "CREATE DATABASE \(SQLQuote.identifier(name)) TEMPLATE \(SQLQuote.identifier(template))"
        )
        return name
    }

    /// Drops a test database, ending any session still connected to it.
    public func dropDatabase(_ name: String) async throws {
        let admin = try await self.adminConnection()
        try await admin.query("DROP DATABASE IF EXISTS \(SQLQuote.identifier(name)) WITH (FORCE)")
    }

    /// A superuser connection to the `postgres` database, shared by the cluster's housekeeping.
    public func adminConnection() async throws -> PQConnection {
        if let admin = self.admin, await admin.isOpen { return admin }
        let connection = try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(try self.conninfo(database: "postgres")),
                applicationName: "erpmes-tests"
            ),
            logger: Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        self.admin = connection
        return connection
    }

    /// Starts a cluster with `scripts/pg-sandbox start` and stops it at process exit.
    private static func startOwnCluster() throws -> Endpoint {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/pg-sandbox").path
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("erpmes-pg.\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.removeItem(atPath: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "start", directory]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PQError(
                code: .connectionFailed,
                message: "scripts/pg-sandbox start failed; run the tests with `make test`"
            )
        }
        sandboxCleanup = "/bin/bash '\(script)' stop '\(directory)'"
        atexit {
            if let command = sandboxCleanup { _ = system(command) }
        }
        let env = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var values: [String: String] = [:]
        for line in env.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 {
                values[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            }
        }
        guard let host = values["ERPMES_TEST_HOST"], let port = values["ERPMES_TEST_PORT"].flatMap(Int.init) else {
            throw PQError(code: .connectionFailed, message: "pg-sandbox wrote no endpoint to \(directory)/env")
        }
        return Endpoint(socketDirectory: host, port: port, binDirectory: values["ERPMES_TEST_BINDIR"])
    }
}

/// The command that stops the cluster this process started; read once, at exit.
nonisolated(unsafe) private var sandboxCleanup: String?
