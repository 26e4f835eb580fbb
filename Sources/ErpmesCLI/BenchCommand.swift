import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import ErpmesReplicator
import Foundation
import LibPQ
import Logging

/// `erpmes bench`: end-to-end replication throughput beside a plain batched upsert of the same rows,
/// measured in the same run, so the ratio means something on a noisy machine.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure replication throughput against a plain batched upsert, in one run.",
        discussion: """
            Creates two scratch databases (their names start with erpmes_bench_) on the cluster that \
            --conninfo reaches, as a role that may create databases; installs the control schema and \
            an identity-mapped table from --dir; then writes --rows rows in --tx-size-row transactions \
            on the ERP side and measures until the MES side has converged. The baseline upserts the \
            same rows, in the same transactions, straight into a table on the MES side.
            """
    )

    @Option(help: "libpq conninfo of a role that may create databases (default: libpq's environment).")
    var conninfo: String = ""

    @Option(help: "Folder holding Migrations/ and Sql/ (the erpmes repository or its installed copy).")
    var dir: String = "."

    @Option(help: "Rows to write.")
    var rows: Int = 100_000

    @Option(help: "Rows per source transaction.")
    var txSize: Int = 100

    @Option(help: "Login the replicator uses (a member of erpmes_run; default: the --conninfo user).")
    var replicatorUser: String?

    func validate() throws {
        guard self.rows > 0, self.txSize > 0, self.txSize <= self.rows else {
            throw ValidationError("--rows and --tx-size must be positive, and --tx-size at most --rows.")
        }
    }

    func run() async throws {
        let logger = Logger(label: "erpmes.bench") { StreamLogHandler.standardError(label: $0) }
        let quiet = Logger(label: "erpmes.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let admin = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(self.conninfo)),
            logger: logger
        )
        let suffix = String(ProcessInfo.processInfo.processIdentifier)
        let erpName = "erpmes_bench_erp_\(suffix)"
        let mesName = "erpmes_bench_mes_\(suffix)"
        for name in [erpName, mesName] { try await admin.query("CREATE DATABASE \(SQLQuote.identifier(name))") }
        do {
            try await self.measure(erpName: erpName, mesName: mesName, logger: quiet)
        } catch {
            try? await self.drop([erpName, mesName], on: admin)
            throw error
        }
        try await self.drop([erpName, mesName], on: admin)
    }

    private func drop(_ names: [String], on admin: PQConnection) async throws {
        for name in names { try await admin.query("DROP DATABASE IF EXISTS \(SQLQuote.identifier(name)) WITH (FORCE)") }
    }

    /// `conninfo` with `dbname` (and `user`) set, as libpq reads it (later keywords win).
    private func conninfo(_ database: String, user: String? = nil) -> String {
        var text = self.conninfo.isEmpty ? "" : self.conninfo + " "
        text += "dbname=\(database)"
        if let user { text += " user=\(user)" }
        return text
    }

    private func measure(erpName: String, mesName: String, logger: Logger) async throws {
        let directory = URL(fileURLWithPath: self.dir)
        for name in [erpName, mesName] {
            for files in ["erpmes", "bench"] {
                let target = MigrationTarget(
                    name: files,
                    conninfo: Secret(self.conninfo(name)),
                    schemas: [files == "erpmes" ? "erpmes" : "public"]
                )
                try await Migrator(options: MigratorOptions(directory: directory), targets: [target], logger: logger)
                    .up(target)
            }
        }
        let erp = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(self.conninfo(erpName))),
            logger: logger
        )
        let mes = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(self.conninfo(mesName))),
            logger: logger
        )
        try await erp.query(
            "SELECT erpmes.publish('bench_item', 'public.bench_item', ARRAY['id'], 'public.bench_item_payload(jsonb[])')"
        )
        try await mes.query("SELECT erpmes.subscribe('bench_item', 'public.bench_item_apply()')")
        if let user = self.replicatorUser {
            try await mes.query(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON public.bench_item TO \(SQLQuote.identifier(user))"
            )
        }

        print("erpmes bench: \(self.rows) rows in \(self.rows / self.txSize) transactions of \(self.txSize)")
        // Baseline: the same transactions upserted straight into the MES database.
        let baseline = try await self.write(into: mes, table: "bench_plain")
        print(
            String(
                format: "  plain batched upsert   %8.2f s  %10.0f rows/s",
                baseline.seconds,
                Double(self.rows) / baseline.seconds
            )
        )

        var configuration = RunConfiguration(links: [
            RunConfiguration.Link(
                name: "bench",
                erp: Secret(self.conninfo(erpName, user: self.replicatorUser)),
                mes: Secret(self.conninfo(mesName, user: self.replicatorUser))
            )
        ])
        configuration.poll = .milliseconds(100)
        let service = LinkService(link: configuration.links[0], configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            while try await mes.query("SELECT count(*) FROM erpmes.apply_position WHERE owner_epoch > 0").first?[0]
                != "1"
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            let start = ContinuousClock.now
            _ = try await self.write(into: erp, table: "bench_item")
            while try await mes.query("SELECT count(*) FROM public.bench_item").first?.decode(0, as: Int.self)
                != self.rows
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            let replicated = (ContinuousClock.now - start).seconds
            print(
                String(
                    format: "  replicated end to end  %8.2f s  %10.0f rows/s",
                    replicated,
                    Double(self.rows) / replicated
                )
            )
            print(
                String(
                    format: "  ratio replicated/plain %8.2f",
                    (Double(self.rows) / replicated) / (Double(self.rows) / baseline.seconds)
                )
            )
            group.cancelAll()
        }
        await erp.close()
        await mes.close()
    }

    /// Writes the rows in `tx-size` transactions, one multi-row upsert each.
    private func write(into connection: PQConnection, table: String) async throws -> Duration {
        let start = ContinuousClock.now
        for first in stride(from: 1, through: self.rows, by: self.txSize) {
            try await connection.query(
                """
                INSERT INTO public.\(table) (id, code, qty, updated_at)
                SELECT g, 'ITEM-' || g, g * 0.5, '2026-01-01'::timestamp + g * interval '1 second'
                FROM generate_series($1::integer, $2::integer) AS g
                ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, qty = EXCLUDED.qty, updated_at = EXCLUDED.updated_at
                """,
                [first, min(first + self.txSize - 1, self.rows)]
            )
        }
        return ContinuousClock.now - start
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
