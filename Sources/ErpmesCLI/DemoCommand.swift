import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import ErpmesReplicator
import Foundation
import LibPQ
import Logging

/// `erpmes demo`: the embedded default. A private cluster, the reference ERP and MES databases
/// migrated and seeded, the replicator and a simulated shop floor, shown live.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run erpmes end to end on a private PostgreSQL cluster, or seed a plant.",
        discussion: """
            `erpmes demo` (the same as `erpmes demo run`) needs nothing but PostgreSQL's server \
            binaries: it starts its own cluster in a temporary folder, creates an ERP and an MES \
            database, migrates both (Migrations/ and Sql/ of --dir), seeds a plant, runs the \
            replicator and a simulated shop floor, and shows what flows where until Ctrl-C or \
            --duration. `erpmes demo seed` fills existing reference databases with a plant.
            """,
        subcommands: [DemoRun.self, DemoSeed.self, DemoStop.self],
        defaultSubcommand: DemoRun.self
    )
}

/// Where the SQL of the demo lives, checked before anything starts.
private func repository(_ dir: String) throws -> URL {
    let url = URL(fileURLWithPath: dir).standardizedFileURL
    for needed in ["Migrations/erp", "Migrations/mes", "Sql/demo"]
    where !FileManager.default.fileExists(atPath: url.appendingPathComponent(needed).path) {
        printError(
            "erpmes demo: \(url.path) has no \(needed): run it from the erpmes source folder, or pass --dir with that folder"
        )
        throw ExitCode(ExitStatus.usage)
    }
    return url
}

struct DemoRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a private cluster, migrate, seed, replicate and show it live (the default)."
    )

    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).")
    var duration: Int?

    @Option(help: "Plant size: 1 is a small plant (about 20 products and 50 orders).")
    var scale = 1

    @Option(help: "Seed of the generated data and the simulated shop floor (same seed, same plant).")
    var seed = 42

    @Flag(help: "Print plain periodic lines instead of redrawing the screen (the default when not a terminal).")
    var plain = false

    @Flag(help: "Leave the cluster running at the end, to look at the data with psql.")
    var keep = false

    @Option(help: "TCP port for the cluster (default: a free one).")
    var port: Int?

    @Option(help: "Folder for the cluster (default: a new temporary folder).")
    var dataDir: String?

    @Option(help: "The erpmes source folder, holding Migrations/ and Sql/.")
    var dir = "."

    @Option(help: "Seconds between two refreshes of the live view.")
    var refresh: Double = 1

    func run() async throws {
        let root = try repository(self.dir)
        let plain = self.plain || isatty(STDOUT_FILENO) != 1
        let out = DemoOutput(plain: plain)
        out.line("erpmes demo: starting a private PostgreSQL cluster...")
        let cluster: PrivateCluster
        do {
            cluster = try PrivateCluster.start(directory: self.dataDir, port: self.port) { out.line($0) }
        } catch {
            printError("erpmes demo: \(error)")
            throw ExitCode(ExitStatus.couldNotRun)
        }
        out.line("  PostgreSQL on port \(cluster.port), socket and data in \(cluster.directory)")
        var failure: (any Error)?
        do {
            try await self.demo(cluster, root: root, out: out)
        } catch is CancellationError {
        } catch {
            failure = error
        }
        if let failure {
            printError("erpmes demo: \(failure)")
            printError("  the server log is \(cluster.logFile)")
        }
        if self.keep {
            out.line("")
            out.line("The cluster keeps running. Look at the data:")
            out.line("  psql \"\(cluster.conninfo(database: "erp"))\"")
            out.line("  psql \"\(cluster.conninfo(database: "mes"))\"")
            out.line("  e.g. SELECT * FROM erpmes.replication_health;  \\dv report.*")
            out.line("Stop it: erpmes demo stop --data-dir \(cluster.directory)")
        } else {
            cluster.stop()
            out.line("Cluster stopped and removed. (--keep leaves it running for psql.)")
        }
        if failure != nil { throw ExitCode(ExitStatus.couldNotRun) }
    }

    private func demo(_ cluster: PrivateCluster, root: URL, out: DemoOutput) async throws {
        let logger = Logger(label: "erpmes.demo") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .critical
            return handler
        }
        let admin = try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(cluster.conninfo(database: "postgres")),
                applicationName: "erpmes-demo"
            ),
            logger: logger
        )
        for statement in [
            "CREATE ROLE erpmes_owner NOLOGIN", "CREATE ROLE erpmes_run LOGIN", "CREATE ROLE erpmes_migrate LOGIN",
            "CREATE ROLE app_writer LOGIN", "CREATE DATABASE erp", "CREATE DATABASE mes",
        ] {
            try await admin.query(statement)
        }
        await admin.close()

        out.line("Migrating the ERP and MES databases (erpmes migrate up)...")
        for (database, names) in [("erp", ["erpmes", "erp", "demo"]), ("mes", ["erpmes", "mes", "demo"])] {
            let targets = names.map { name in
                MigrationTarget(name: name, conninfo: Secret(cluster.conninfo(database: database)), schemas: [name])
            }
            let migrator = Migrator(
                options: MigratorOptions(directory: root),
                targets: targets,
                logger: logger,
                say: { _ in }
            )
            for target in targets {
                let applied = try await migrator.up(target)
                out.line("  \(database): target \(target.name), \(applied.count) file(s)")
            }
        }

        let erp = try await self.connect(cluster, "erp", logger)
        let mes = try await self.connect(cluster, "mes", logger)

        // The replicator first: a link carries the changes made after it registered.
        let link = RunConfiguration.Link(
            name: "demo",
            erp: Secret(cluster.conninfo(database: "erp", user: "erpmes_run")),
            mes: Secret(cluster.conninfo(database: "mes", user: "erpmes_run")),
            timezone: "Europe/Berlin"
        )
        var configuration = RunConfiguration(links: [link])
        configuration.poll = .milliseconds(500)
        configuration.reconnectMax = .seconds(2)
        let service = LinkService(link: link, configuration: configuration, logger: logger)
        let replicator = Task { try await service.run() }
        try await Self.waitFor("the replicator to start", seconds: 60) {
            let erpReady = try await erp.query("SELECT count(*) FROM erpmes.apply_position").first?[0] ?? "0"
            let mesReady = try await mes.query("SELECT count(*) FROM erpmes.apply_position").first?[0] ?? "0"
            return erpReady != "0" && mesReady != "0"
        }
        out.line("Replicator started (link demo, plant time Europe/Berlin).")

        try await DemoSeed.seedERP(erp, scale: self.scale, seed: self.seed, out: out)
        // The MES side's activity needs the orders the replicator brings: wait until they stop coming.
        out.line("Waiting for master data and orders to reach the MES...")
        var last = "-1"
        var steady = 0
        try await Self.waitFor("the orders to reach the MES", seconds: 180) {
            let now = try await mes.query("SELECT count(*) FROM mes.orders_order").first?[0] ?? "0"
            steady = now == last && now != "0" ? steady + 1 : 0
            last = now
            return steady >= 4
        }
        out.line("  \(last) orders in the MES")
        try await DemoSeed.seedMES(mes, scale: self.scale, seed: self.seed, out: out)

        let start = ContinuousClock.now
        let duration = self.duration
        let work = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let duration {
                    group.addTask { try await Task.sleep(for: .seconds(duration)) }
                }
                group.addTask {
                    try await self.live(erp: erp, mes: mes, link: link, start: start, out: out)
                }
                try await group.next()
                group.cancelAll()
            }
        }
        // Ctrl-C or SIGTERM ends the live part; the cluster is still stopped cleanly afterwards.
        let stoppers = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { work.cancel() }
            source.resume()
            return source
        }
        do {
            try await work.value
        } catch is CancellationError {
        } catch let error as PQError where error.code == .cancelled {
        }
        for source in stoppers { source.cancel() }
        replicator.cancel()
        _ = await replicator.result
        let statuses = try await LinkStatus.read(link, erp: erp, mes: mes)
        out.finish()
        out.line("")
        out.line("Replicated in \(Self.clock(ContinuousClock.now - start)):")
        for line in Self.table(statuses) { out.line(line) }
        await erp.close()
        await mes.close()
    }

    /// Polls `check` every half second until it holds, or fails naming what it waited for.
    static func waitFor(_ what: String, seconds: Int, _ check: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw PrivateCluster.Failure(description: "gave up waiting \(seconds) s for \(what)")
    }

    private func connect(_ cluster: PrivateCluster, _ database: String, _ logger: Logger) async throws -> PQConnection {
        try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(cluster.conninfo(database: database)),
                applicationName: "erpmes-demo shop floor"
            ),
            logger: logger
        )
    }

    /// The simulated shop floor and the live view, until cancelled.
    private func live(
        erp: PQConnection,
        mes: PQConnection,
        link: RunConfiguration.Link,
        start: ContinuousClock.Instant,
        out: DemoOutput
    ) async throws {
        var tick = 0
        var events: [String] = []
        var lastPlain = ContinuousClock.now - .seconds(60)
        while !Task.isCancelled {
            tick += 1
            var happened: [String] = []
            for (connection, function) in [(erp, "demo.erp_tick"), (mes, "demo.mes_tick")] {
                let rows = try await connection.query(
                    "SELECT event FROM \(function)($1, $2) AS e(event)",
                    [self.seed * 100_000 + tick, max(1, self.scale)]
                )
                happened += rows.compactMap { $0[0] }
            }
            let narration = try await Self.narrate(erp: erp, mes: mes)
            happened += narration
            events = Array((events + happened).suffix(8))
            let statuses = try await LinkStatus.read(link, erp: erp, mes: mes)
            let elapsed = Self.clock(ContinuousClock.now - start)
            if out.plain {
                for event in happened { out.line("  \(event)") }
                if ContinuousClock.now - lastPlain >= .seconds(5) {
                    lastPlain = ContinuousClock.now
                    for line in Self.summary(statuses, elapsed: elapsed) { out.line(line) }
                }
            } else {
                var screen = ["erpmes demo · link demo · \(elapsed) · Ctrl-C stops", ""]
                screen += Self.table(statuses)
                screen += ["", "What just happened:"]
                screen += events.map { "  " + String($0.prefix(76)) }
                out.redraw(screen)
            }
            try await Task.sleep(for: .milliseconds(Int(self.refresh * 1000)))
        }
    }

    /// Narration lines of rows the replicator brought since the last call (demo.narrate on each side).
    static func narrate(erp: PQConnection, mes: PQConnection) async throws -> [String] {
        var lines: [String] = []
        for connection in [erp, mes] {
            let rows = try await connection.query("SELECT line FROM demo.narrate() AS n(line)")
            lines += rows.compactMap { $0[0] }
        }
        return lines
    }

    /// Per entity and direction: applied in the last hour, pending, lag, dead letters, conflicts.
    static func table(_ statuses: [EntityStatus]) -> [String] {
        let header = ["ENTITY", "DIR", "APPLIED", "PEND", "LAG", "DEAD", "CONFL", "STATUS"]
        let rows = statuses.sorted { ($0.direction, $0.entity) < ($1.direction, $1.entity) }.map { status in
            [
                status.entity, status.direction, "\(status.appliedLastHour)", "\(status.pending)",
                String(format: "%.1fs", status.lagSeconds), "\(status.deadLetters)", "\(status.openConflicts)",
                status.status,
            ]
        }
        return alignedColumns([header] + rows)
    }

    /// The plain view's periodic lines, each within 80 columns.
    static func summary(_ statuses: [EntityStatus], elapsed: String) -> [String] {
        let applied = statuses.reduce(0) { $0 + $1.appliedLastHour }
        let pending = statuses.reduce(0) { $0 + $1.pending }
        let lag = statuses.map(\.lagSeconds).max() ?? 0
        let dead = statuses.reduce(0) { $0 + $1.deadLetters }
        let conflicts = statuses.reduce(0) { $0 + $1.openConflicts }
        var lines = [
            "[\(elapsed)] applied \(applied), pending \(pending), max lag \(String(format: "%.1f", lag)) s, "
                + "dead letters \(dead), conflicts \(conflicts)"
        ]
        var line = "  flowing:"
        for entity in Set(statuses.filter { $0.appliedLastHour > 0 }.map(\.entity)).sorted() {
            if line.count + entity.count + 1 > 78 {
                lines.append(line)
                line = "   "
            }
            line += " " + entity
        }
        lines.append(line)
        return lines
    }

    static func clock(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return String(format: "%02d:%02d", seconds / 60, seconds % 60)
    }
}

/// `erpmes demo seed`: a plant in existing reference databases.
struct DemoSeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Fill reference ERP and MES databases with a generated plant (deterministic with --seed).",
        discussion: """
            The ERP side gets master data, BOMs, routings, work centers, equipment and orders in every \
            state; the MES side gets shop-floor activity over simulated shifts for the orders it has \
            (with --standalone, it first makes its own master data and orders, for benchmarks without \
            the replicator). Both databases need the reference schema and the demo functions: \
            `erpmes migrate up --target erp` (or mes) and `--target demo`.
            """
    )

    @Option(help: "libpq conninfo of the ERP database (omit to seed only the MES).")
    var erp: String?

    @Option(help: "libpq conninfo of the MES database (omit to seed only the ERP).")
    var mes: String?

    @Option(help: "Plant size: 1 is small; 100 is about a million rows.")
    var scale = 1

    @Option(help: "Seed of the generated data.")
    var seed = 42

    @Flag(help: "MES: make its own master data and orders instead of using replicated ones.")
    var standalone = false

    @Flag(help: "Plain progress lines instead of a progress bar.")
    var plain = false

    func run() async throws {
        guard self.erp != nil || self.mes != nil else {
            printError("erpmes demo seed: give --erp, --mes or both")
            throw ExitCode(ExitStatus.usage)
        }
        let out = DemoOutput(plain: self.plain || isatty(STDOUT_FILENO) != 1)
        let logger = Logger(label: "erpmes.demo") { StreamLogHandler.standardError(label: $0) }
        do {
            if let conninfo = self.erp {
                let connection = try await PQConnection.connect(
                    ConnectionConfiguration(conninfo: Secret(conninfo), applicationName: "erpmes-demo-seed"),
                    logger: logger
                )
                try await Self.seedERP(connection, scale: self.scale, seed: self.seed, out: out)
                await connection.close()
            }
            if let conninfo = self.mes {
                let connection = try await PQConnection.connect(
                    ConnectionConfiguration(conninfo: Secret(conninfo), applicationName: "erpmes-demo-seed"),
                    logger: logger
                )
                try await Self.seedMES(
                    connection,
                    scale: self.scale,
                    seed: self.seed,
                    standalone: self.standalone,
                    out: out
                )
                await connection.close()
            }
        } catch let error as PQError {
            printError("erpmes demo seed: \(error)")
            throw ExitCode(ExitStatus.couldNotRun)
        }
    }

    /// Runs the steps `stepsSQL` lists, each chunk by chunk, drawing progress.
    static func seed(
        _ connection: PQConnection,
        side: String,
        stepsSQL: String,
        stepsParameters: [(any PQEncodable)?],
        stepSQL: String,
        stepParameters: @escaping (String, Int) -> [(any PQEncodable)?],
        out: DemoOutput
    ) async throws {
        let steps = try await connection.query(stepsSQL, stepsParameters).map {
            (try $0.decode("step", as: String.self), try $0.decode("units", as: Int.self))
        }
        let total = max(1, steps.reduce(0) { $0 + $1.1 })
        var done = 0
        let started = ContinuousClock.now
        for (step, _) in steps {
            var chunk = 0
            while true {
                let rows =
                    try await connection.query(stepSQL, stepParameters(step, chunk)).first?[0].flatMap(Int.init) ?? 0
                if rows == 0 { break }
                done += rows
                chunk += 1
                out.progress("seeding \(side)", step: step, done: done, total: total)
            }
        }
        out.finish()
        let seconds =
            Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        out.line("  \(side): \(done) rows in \(String(format: "%.1f", seconds)) s")
    }

    static func seedERP(_ connection: PQConnection, scale: Int, seed: Int, out: DemoOutput) async throws {
        try await Self.seed(
            connection,
            side: "erp",
            stepsSQL: "SELECT step, units FROM demo.seed_steps($1)",
            stepsParameters: [scale],
            stepSQL: "SELECT demo.seed_step($1, $2, $3, $4)",
            stepParameters: { step, chunk in [step, scale, seed, chunk] },
            out: out
        )
    }

    /// `standalone` nil: the MES makes its own master data and orders only when it has none.
    static func seedMES(
        _ connection: PQConnection,
        scale: Int,
        seed: Int,
        standalone: Bool? = nil,
        out: DemoOutput
    ) async throws {
        try await Self.seed(
            connection,
            side: "mes",
            stepsSQL: "SELECT step, units FROM demo.mes_seed_steps($1, standalone => $2)",
            stepsParameters: [scale, standalone],
            stepSQL: "SELECT demo.mes_seed_step($1, $2, $3, $4, standalone => $5)",
            stepParameters: { step, chunk in [step, scale, seed, chunk, standalone] },
            out: out
        )
    }
}

/// `erpmes demo stop --data-dir DIR`: stops a cluster a `demo --keep` left running.
struct DemoStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop and remove a demo cluster left running by --keep."
    )

    @Option(help: "The folder `erpmes demo --keep` printed.")
    var dataDir: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: self.dataDir + "/data/PG_VERSION") else {
            printError("erpmes demo stop: \(self.dataDir) is not a demo cluster folder (no data/PG_VERSION)")
            throw ExitCode(ExitStatus.usage)
        }
        let cluster = PrivateCluster(directory: self.dataDir, port: 0, binDirectory: try PrivateCluster.findBinaries())
        cluster.stop()
        print("stopped and removed \(self.dataDir)")
    }
}

/// The demo's terminal output: a progress bar and a redrawn screen on a terminal, plain lines
/// otherwise.
final class DemoOutput: Sendable {
    let plain: Bool

    init(plain: Bool) { self.plain = plain }

    func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    func progress(_ label: String, step: String, done: Int, total: Int) {
        let fraction = min(1, Double(done) / Double(total))
        if self.plain {
            return
        }
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\r  \(label) [\(bar)] \(Int(fraction * 100))%  \(step)"
        print(text.padding(toLength: 79, withPad: " ", startingAt: 0), terminator: "")
        fflush(nil)
    }

    /// Ends a progress bar's line.
    func finish() {
        if !self.plain { print("") }
    }

    func redraw(_ lines: [String]) {
        print("\u{1B}[H\u{1B}[2J" + lines.map { String($0.prefix(80)) }.joined(separator: "\n"))
        fflush(nil)
    }
}
