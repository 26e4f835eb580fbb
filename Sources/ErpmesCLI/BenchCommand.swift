import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import ErpmesReplicator
import Foundation
import LibPQ
import Logging

/// `erpmes bench`: end-to-end replication throughput beside a plain batched upsert of the same rows,
/// and the drain of a backlog beside PostgreSQL's native logical replication of the same rows,
/// measured in the same run, so the ratios mean something on a noisy machine.
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

            The backlog scenario writes --rows inserts, then --rows updates, while nothing replicates, \
            and measures the time from starting the replicator until the MES side equals the ERP side; \
            beside it, native logical replication of the same table on the same cluster (a \
            publication, a subscription kept disabled while writing, then enabled), when the server \
            runs with wal_level = logical and --conninfo is a superuser. Each scenario runs --repeat \
            times, the two systems in alternating order; the median, min and max are printed.
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

    @Option(help: "Scenarios to run, comma-separated: end-to-end, backlog.")
    var scenarios: String = "end-to-end,backlog"

    @Option(help: "Repetitions of the backlog scenario (median, min and max are printed).")
    var `repeat`: Int = 3

    @Option(help: "Keys per batch of the replicator (batch_keys).")
    var batchKeys: Int = 10_000

    func validate() throws {
        guard self.rows > 0, self.txSize > 0, self.txSize <= self.rows else {
            throw ValidationError("--rows and --tx-size must be positive, and --tx-size at most --rows.")
        }
        guard self.repeat > 0, self.batchKeys > 0 else {
            throw ValidationError("--repeat and --batch-keys must be positive.")
        }
        let known: Set<Substring> = ["end-to-end", "backlog"]
        for name in self.scenarios.split(separator: ",") where !known.contains(name) {
            throw ValidationError("unknown scenario '\(name)': choose from end-to-end, backlog.")
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
        let chosen = Set(self.scenarios.split(separator: ","))
        if chosen.contains("end-to-end") {
            try await self.endToEnd(erp: erp, mes: mes, erpName: erpName, mesName: mesName, logger: logger)
        }
        if chosen.contains("backlog") {
            try await self.backlog(erp: erp, mes: mes, erpName: erpName, mesName: mesName, logger: logger)
        }
        await erp.close()
        await mes.close()
    }

    private func configuration(erpName: String, mesName: String) -> RunConfiguration {
        var configuration = RunConfiguration(links: [
            RunConfiguration.Link(
                name: "bench",
                erp: Secret(self.conninfo(erpName, user: self.replicatorUser)),
                mes: Secret(self.conninfo(mesName, user: self.replicatorUser))
            )
        ])
        configuration.poll = .milliseconds(100)
        configuration.batchKeys = self.batchKeys
        return configuration
    }

    private func endToEnd(
        erp: PQConnection,
        mes: PQConnection,
        erpName: String,
        mesName: String,
        logger: Logger
    ) async throws {
        // Baseline: the same transactions upserted straight into the MES database.
        let baseline = try await self.write(into: mes, table: "bench_plain")
        print(
            String(
                format: "  plain batched upsert   %8.2f s  %10.0f rows/s",
                baseline.seconds,
                Double(self.rows) / baseline.seconds
            )
        )

        let configuration = self.configuration(erpName: erpName, mesName: mesName)
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
    }

    /// The backlog scenario: inserts, then updates, written while nothing replicates; then the time
    /// until the target equals the source, erpmes beside native logical replication.
    private func backlog(
        erp: PQConnection,
        mes: PQConnection,
        erpName: String,
        mesName: String,
        logger: Logger
    ) async throws {
        let native = try await self.nativeSetUp(erp: erp, mes: mes, erpName: erpName)
        if let why = native.skipped { print("  native logical replication: skipped (\(why))") }
        var erpmesRates: [String: [Double]] = [:]
        var nativeRates: [String: [Double]] = [:]
        let configuration = self.configuration(erpName: erpName, mesName: mesName)
        for round in 0..<self.repeat {
            // Fresh keys each round (after the end-to-end scenario's); the systems take turns first.
            let first = (round + 1) * self.rows + 1
            let order = round % 2 == 0 ? ["erpmes", "native"] : ["native", "erpmes"]
            for system in order where system == "erpmes" || native.skipped == nil {
                for phase in ["inserts", "updates"] {
                    let last = first + self.rows - 1
                    if system == "erpmes" {
                        try await self.writeBacklog(erp, table: "bench_item", first: first, phase: phase)
                        let seconds = try await self.drainWithErpmes(
                            mes,
                            configuration: configuration,
                            logger: logger,
                            last: last,
                            phase: phase
                        )
                        erpmesRates[phase, default: []].append(Double(self.rows) / seconds)
                    } else {
                        try await self.writeBacklog(erp, table: "bench_native", first: first, phase: phase)
                        let seconds = try await self.drainNatively(mes, last: last, phase: phase)
                        nativeRates[phase, default: []].append(Double(self.rows) / seconds)
                    }
                }
            }
        }
        try await self.checkEqual(erp, mes, "bench_item")
        if native.skipped == nil {
            try await self.checkEqual(erp, mes, "bench_native")
            try await mes.query("ALTER SUBSCRIPTION erpmes_bench DISABLE")
            try await mes.query("ALTER SUBSCRIPTION erpmes_bench SET (slot_name = NONE)")
            try await mes.query("DROP SUBSCRIPTION erpmes_bench")
            try await erp.query("SELECT pg_drop_replication_slot('\(native.slot)')")
        }
        print("  backlog of \(self.rows) keys, \(self.repeat) round(s), rows/s median [min-max]:")
        for phase in ["inserts", "updates"] {
            let ours = Self.summary(erpmesRates[phase] ?? [])
            var line = String(format: "    %-8@ erpmes %@", phase as NSString, ours.text as NSString)
            if let theirs = nativeRates[phase], !theirs.isEmpty {
                let summary = Self.summary(theirs)
                line += String(
                    format: "   native %@   erpmes/native %.2f",
                    summary.text as NSString,
                    ours.median / summary.median
                )
            }
            print(line)
        }
    }

    /// Inserts (ids `first`...) or updates them, in `tx-size` transactions, on the source.
    private func writeBacklog(_ erp: PQConnection, table: String, first: Int, phase: String) async throws {
        guard phase == "updates" else {
            try await self.write(into: erp, table: table, first: first)
            return
        }
        let last = first + self.rows - 1
        for low in stride(from: first, through: last, by: self.txSize) {
            try await erp.query(
                "UPDATE public.\(table) SET qty = qty + 1, updated_at = updated_at + interval '1 day' WHERE id BETWEEN $1 AND $2",
                [low, min(low + self.txSize - 1, last)]
            )
        }
    }

    /// The last key is the last to arrive for both systems (erpmes applies in key order, native in
    /// commit order, and the last transaction holds the highest keys).
    private static func arrived(_ mes: PQConnection, _ table: String, last: Int, phase: String) async throws -> Bool {
        let expected = phase == "inserts" ? "\(Double(last) * 0.5)" : "\(Double(last) * 0.5 + 1)"
        let value = try await mes.query("SELECT qty::float8::text FROM public.\(table) WHERE id = $1", [last]).first?[0]
        return value.map { Double($0) == Double(expected) } ?? false
    }

    private func drainWithErpmes(
        _ mes: PQConnection,
        configuration: RunConfiguration,
        logger: Logger,
        last: Int,
        phase: String
    ) async throws -> Double {
        let service = LinkService(link: configuration.links[0], configuration: configuration, logger: logger)
        let start = ContinuousClock.now
        let task = Task { try await service.run() }
        while try await !Self.arrived(mes, "bench_item", last: last, phase: phase) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).seconds
        task.cancel()
        _ = try? await task.value
        return seconds
    }

    private func drainNatively(_ mes: PQConnection, last: Int, phase: String) async throws -> Double {
        let start = ContinuousClock.now
        try await mes.query("ALTER SUBSCRIPTION erpmes_bench ENABLE")
        while try await !Self.arrived(mes, "bench_native", last: last, phase: phase) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).seconds
        try await mes.query("ALTER SUBSCRIPTION erpmes_bench DISABLE")
        // The apply worker stops on its own once disabled; wait for it, so writing starts clean.
        while try await mes.query(
            "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'erpmes_bench' AND pid IS NOT NULL"
        ).first?[0] != "0" {
            try await Task.sleep(for: .milliseconds(20))
        }
        return seconds
    }

    /// A publication of bench_native on the ERP database and a disabled subscription on the MES one
    /// (the slot made beforehand: a subscription cannot create one on its own cluster).
    private func nativeSetUp(
        erp: PQConnection,
        mes: PQConnection,
        erpName: String
    ) async throws -> (skipped: String?, slot: String) {
        let slot = "erpmes_bench_\(ProcessInfo.processInfo.processIdentifier)"
        guard
            let facts = try await erp.query(
                """
                SELECT current_setting('wal_level') AS wal_level,
                       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                       current_setting('port') AS port,
                       split_part(current_setting('unix_socket_directories'), ',', 1) AS socket
                """
            ).first
        else { return ("the server's settings could not be read", slot) }
        guard try facts.decode("wal_level", as: String.self) == "logical" else {
            return (
                "the server runs with wal_level = \(try facts.decode("wal_level", as: String.self)), not logical", slot
            )
        }
        guard try facts.decode("superuser", as: Bool.self) else {
            return ("creating a subscription needs a superuser", slot)
        }
        try await erp.query("CREATE PUBLICATION erpmes_bench FOR TABLE public.bench_native")
        try await erp.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot])
        let source =
            "host=\(try facts.decode("socket", as: String.self)) port=\(try facts.decode("port", as: String.self)) dbname=\(erpName) user=postgres"
        try await mes.query(
            """
            CREATE SUBSCRIPTION erpmes_bench CONNECTION \(SQLQuote.literal(source)) PUBLICATION erpmes_bench
            WITH (create_slot = false, slot_name = \(SQLQuote.literal(slot)), enabled = false, copy_data = false)
            """
        )
        return (nil, slot)
    }

    /// Fails the bench when a drained table does not equal its source (count and sum of quantities).
    private func checkEqual(_ erp: PQConnection, _ mes: PQConnection, _ table: String) async throws {
        let query = "SELECT count(*)::text || ' ' || coalesce(sum(qty), 0)::text FROM public.\(table)"
        let source = try await erp.query(query).first?[0]
        let target = try await mes.query(query).first?[0]
        guard source == target else {
            throw ValidationError("\(table) differs after the drain: source \(source ?? "?"), target \(target ?? "?")")
        }
    }

    private static func summary(_ rates: [Double]) -> (median: Double, text: String) {
        guard !rates.isEmpty else { return (0, "-") }
        let sorted = rates.sorted()
        let median =
            sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return (median, String(format: "%8.0f [%.0f-%.0f]", median, sorted.first!, sorted.last!))
    }

    /// Writes the rows with ids from `first` on (`rows` of them) in `tx-size` transactions, one
    /// multi-row upsert each.
    @discardableResult
    private func write(into connection: PQConnection, table: String, first: Int = 1) async throws -> Duration {
        let start = ContinuousClock.now
        let last = first + self.rows - 1
        for low in stride(from: first, through: last, by: self.txSize) {
            try await connection.query(
                """
                INSERT INTO public.\(table) (id, code, qty, updated_at)
                SELECT g, 'ITEM-' || g, g * 0.5, '2026-01-01'::timestamp + g * interval '1 second'
                FROM generate_series($1::integer, $2::integer) AS g
                ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, qty = EXCLUDED.qty, updated_at = EXCLUDED.updated_at
                """,
                [low, min(low + self.txSize - 1, last)]
            )
        }
        return ContinuousClock.now - start
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
