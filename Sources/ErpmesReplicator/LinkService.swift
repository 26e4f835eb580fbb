import ErpmesCore
import Foundation
import LibPQ
import Logging
import ServiceLifecycle

/// Runs one link, both directions, until the service group shuts down.
///
/// Takes the link's advisory lock on both databases first; a second `erpmes run` for the same link
/// waits there as a hot standby and takes over when the first dies. Connection losses restart the
/// link after a backoff (0.1 s doubling to `reconnect_max`, with jitter); all state is in the
/// databases, so it resumes where it left off.
public struct LinkService: Service {
    let link: RunConfiguration.Link
    let configuration: RunConfiguration
    let logger: Logger

    public init(link: RunConfiguration.Link, configuration: RunConfiguration, logger: Logger) {
        self.link = link
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: LogKey.link] = "\(link.name)"
        self.logger = logger
    }

    public func run() async throws {
        let initial = 0.1
        var backoff = initial
        let maximum = Double(self.configuration.reconnectMax.components.seconds) + 0.001
        let connected = Connected()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await self.runConnected(connected)
                return
            } catch let error as ReplicationError
                where error.code == .sourceChanged || error.code == .notMigrated || error.code == .needsResync
            {
                self.logger.error("link halted", metadata: [LogKey.error: "\(error.message)"])
                throw error
            } catch is CancellationError {
                return
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                // A link that was up (both directions running) starts its backoff anew: only
                // failures in a row make the wait grow.
                if await connected.take() { backoff = initial }
                let delay = backoff * Double.random(in: 0.5...1.5)
                self.logger.warning(
                    "link interrupted; reconnecting",
                    metadata: [LogKey.error: "\(error)", "retry.seconds": "\(String(format: "%.2f", delay))"]
                )
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(delay)) }
                } catch {
                    return
                }
                backoff = min(backoff * 2, maximum)
            }
        }
    }

    private func connect(_ conninfo: Secret, _ role: String) async throws -> PQConnection {
        try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: conninfo,
                applicationName: "erpmes-run \(self.link.name) \(role)",
                // A killed replicator's backend must not hold locks or run on for long.
                settings: [("client_connection_check_interval", "1s")]
            ),
            logger: self.logger
        )
    }

    private func runConnected(_ connected: Connected) async throws {
        let opened = OpenConnections()
        do {
            try await self.runConnected(opened, connected)
        } catch {
            await opened.closeAll()
            throw error
        }
        await opened.closeAll()
    }

    private func runConnected(_ opened: OpenConnections, _ connected: Connected) async throws {
        let erpListener = try await opened.add(self.connect(self.link.erp, "erp listener"))
        let mesListener = try await opened.add(self.connect(self.link.mes, "mes listener"))
        try await self.checkControlSchema(erpListener, side: "erp")
        try await self.checkControlSchema(mesListener, side: "mes")
        try await self.acquireLinkLock(erpListener, side: "erp")
        try await self.acquireLinkLock(mesListener, side: "mes")

        let erpSource = try await opened.add(self.connect(self.link.erp, "erp>mes source"))
        let mesTarget = try await opened.add(self.connect(self.link.mes, "erp>mes target"))
        let mesSource = try await opened.add(self.connect(self.link.mes, "mes>erp source"))
        let erpTarget = try await opened.add(self.connect(self.link.erp, "mes>erp target"))
        let toMES = try await DirectionReplicator.start(
            link: self.link,
            direction: .erpToMES,
            source: erpSource,
            target: mesTarget,
            lockTimeout: self.configuration.lockTimeout,
            chunkKeys: self.configuration.batchKeys,
            logger: self.logger
        )
        let toERP = try await DirectionReplicator.start(
            link: self.link,
            direction: .mesToERP,
            source: mesSource,
            target: erpTarget,
            lockTimeout: self.configuration.lockTimeout,
            chunkKeys: self.configuration.batchKeys,
            logger: self.logger
        )
        let erpWaker = Waker(connection: erpListener, poll: self.configuration.poll, notify: self.configuration.notify)
        let mesWaker = Waker(connection: mesListener, poll: self.configuration.poll, notify: self.configuration.notify)
        try await erpWaker.start()
        try await mesWaker.start()
        await connected.set()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let configuration = self.configuration
                group.addTask { try await Self.loop(toMES, erpWaker, configuration) }
                group.addTask { try await Self.loop(toERP, mesWaker, configuration) }
                // The first direction to stop (shutdown or error) stops the other.
                try await group.next()
                group.cancelAll()
                try await group.waitForAll()
            }
        } catch  where Task.isShuttingDownGracefully || Task.isCancelled {
            // The other direction was cancelled mid-statement by the shutdown: nothing to report.
        }
        self.logger.notice("link stopped")
    }

    /// Batches while there are changes; when there are none, goes idle, takes one more fresh tick,
    /// and then waits for NOTIFY or the poll timer. Shutdown finishes the batch in flight.
    private static func loop(
        _ start: DirectionReplicator,
        _ waker: Waker,
        _ configuration: RunConfiguration
    ) async throws {
        var replicator = start
        var idle = false
        var lastRotation = ContinuousClock.now - .seconds(60)
        var lastPrune = ContinuousClock.now - .seconds(3600)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Queue hygiene on the source, a step every few seconds, busy or idle.
            if ContinuousClock.now - lastRotation >= .seconds(2) {
                lastRotation = ContinuousClock.now
                let step = try await replicator.rotate(
                    rows: configuration.rotateRows,
                    interval: configuration.rotateInterval,
                    retention: configuration.retention
                )
                replicator.logger.debug(
                    "queue rotation",
                    metadata: ["rotation.step": "\(step)", "side": "\(replicator.direction.source)"]
                )
            }
            if ContinuousClock.now - lastPrune >= .seconds(60) {
                lastPrune = ContinuousClock.now
                try await replicator.prune(retention: configuration.retention)
            }
            let moved: Int?
            do {
                moved = try await replicator.runBatch()
            } catch {
                // What stops this direction shows in status and health until it moves again.
                if !(error is CancellationError) && !Task.isCancelled { await replicator.report(error) }
                throw error
            }
            if moved != nil {
                if idle {
                    try await waker.busy()
                    idle = false
                }
                continue
            }
            if !idle {
                try await waker.idle()
                idle = true
                continue  // the fresh tick after going idle
            }
            // Not cancelled on graceful shutdown: the wait ends within one poll interval anyway.
            do {
                try await waker.wait()
            } catch is CancellationError {
                return
            }
        }
    }

    private func checkControlSchema(_ connection: PQConnection, side: String) async throws {
        let rows = try await connection.query(
            "SELECT to_regprocedure('erpmes.tick(text,pg_snapshot)') IS NOT NULL AS ready"
        )
        guard try rows.first?.decode("ready", as: Bool.self) == true else {
            throw ReplicationError(
                .notMigrated,
                link: self.link.name,
                "the \(side) database has no erpmes control schema; run `erpmes migrate up --target erpmes` on it first"
            )
        }
    }

    /// Waits as a hot standby until this process holds the link's lock on `connection`'s database.
    private func acquireLinkLock(_ connection: PQConnection, side: String) async throws {
        var reported = false
        while true {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock($1::integer, hashtext($2)) AS locked",
                [AdvisoryLock.link, self.link.name]
            )
            if try rows.first?.decode("locked", as: Bool.self) == true {
                if reported { self.logger.notice("took over the link", metadata: [LogKey.side: "\(side)"]) }
                return
            }
            if !reported {
                let holder = try await connection.advisoryLockHolder(classID: AdvisoryLock.link, name: self.link.name)
                self.logger.notice(
                    "standing by: another erpmes run holds the link",
                    metadata: [
                        LogKey.side: "\(side)", "holder.pid": "\(holder.map { "\($0.pid)" } ?? "?")",
                        "holder.application": "\(holder?.applicationName ?? "?")",
                        "holder.client": "\(holder?.client ?? "?")",
                    ]
                )
                reported = true
            }
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}

/// Whether the link came all the way up since the flag was last taken (it resets the backoff).
actor Connected {
    private var value = false
    func set() { self.value = true }
    func take() -> Bool {
        defer { self.value = false }
        return self.value
    }
}

/// The connections of one run of a link, closed together when it ends (which releases its locks).
actor OpenConnections {
    private var connections: [PQConnection] = []

    func add(_ connection: PQConnection) -> PQConnection {
        self.connections.append(connection)
        return connection
    }

    func closeAll() async {
        for connection in self.connections { await connection.close() }
        self.connections = []
    }
}
