import ArgumentParser
import ErpmesCore
import Foundation
import LibPQ
import Logging

/// `erpmes demo`: for now checks the throwaway cluster it is given and prints what the full demo
/// will do; the replicating demo arrives with the replicator (issue 8).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo against a throwaway PostgreSQL cluster (started by `make demo`).",
        discussion: """
            Connects with libpq's usual environment (PGHOST, PGPORT, PGUSER) unless --conninfo is \
            given, creates the demo's ERP and MES databases, and reports what the demo runs on them.
            """
    )

    @Option(help: "libpq conninfo or URI of a superuser connection to the cluster (default: libpq's environment).")
    var conninfo: String = ""

    func run() async throws {
        let logger = Logger(label: "erpmes.demo")
        let admin: PQConnection
        do {
            admin = try await PQConnection.connect(
                ConnectionConfiguration(conninfo: Secret(self.conninfo), applicationName: "erpmes-demo"),
                logger: logger
            )
        } catch let error as PQError {
            print("erpmes demo: cannot connect to PostgreSQL: \(error.message)")
            print("Run it with `make demo`, which starts a throwaway cluster first.")
            throw ExitCode(ExitStatus.couldNotRun)
        }
        let version = try await admin.query("SHOW server_version").first?[0] ?? "?"
        print("PostgreSQL \(version) is up (server process \(admin.backendPID)).")
        for database in ["erpmes_demo_erp", "erpmes_demo_mes"] {
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
            if exists.isEmpty { try await admin.query("CREATE DATABASE \(SQLQuote.identifier(database))") }
            print("  database \(database) ready")
        }
        print(
            """

            The full demo will, on these two databases:
              1. migrate the reference ERP (Odoo-like) and MES (qcadoo-like) schemas  (erpmes migrate)
              2. seed a plant: items, BOMs, routings, work centers, orders             (erpmes demo seed)
              3. run the replicator between them                                       (erpmes run)
              4. simulate a shop floor and show each flow's changes, lag and errors live
            erpmes migrate, run, status and bench work today (see the README); the
            reference schemas, the plant generator and this live view are still to come.
            """
        )
        await admin.close()
    }
}
