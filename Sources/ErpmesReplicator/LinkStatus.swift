import ErpmesCore
import Foundation
import LibPQ
import Logging

/// What `erpmes status` shows for one entity in one direction of a link.
public struct EntityStatus: Sendable, Codable, Equatable {
    public var link: String
    public var direction: String
    public var entity: String
    /// Keys committed on the source and not applied on the target.
    public var pending: Int
    /// Age of the oldest pending change in seconds; 0 when nothing is pending.
    public var lagSeconds: Double
    /// When the link last applied a batch in this direction (ISO 8601), if ever.
    public var lastBatch: String?
    /// Keys applied in this direction since the link started.
    public var appliedKeys: Int
    /// Keys applied per second over the last minute.
    public var applyRate: Double = 0
    /// Keys of this entity applied in the last hour.
    public var appliedLastHour: Int = 0
    /// Keys of the entity waiting in the target's dead letter.
    public var deadLetters: Int = 0
    /// Conflicts of the entity parked for a person on the target.
    public var openConflicts: Int = 0
    /// Why the entity is paused on the target, if it is.
    public var paused: String?
    /// 0 while a replicator holds the link; else seconds since it was last seen.
    public var heartbeatSeconds: Double = 0
    /// OK, WARN or CRIT against the target's erpmes.health_threshold.
    public var status: String = "OK"
    /// What made the status WARN or CRIT.
    public var reason: String?
    /// The error that keeps this direction from making progress: stage, SQLSTATE, since when.
    public var error: String?
    /// While a backlog larger than one batch is applied: keys of the open window done so far, and
    /// how many it has.
    public var windowDone: Int?
    public var windowKeys: Int?
}

/// Reads pending changes, lag and the last batch for every direction of a link.
public enum LinkStatus {
    public static func read(_ link: RunConfiguration.Link, logger: Logger) async throws -> [EntityStatus] {
        let erp = try await self.connect(link.erp, link: link.name, logger: logger)
        let mes: PQConnection
        do {
            mes = try await self.connect(link.mes, link: link.name, logger: logger)
        } catch {
            await erp.close()
            throw error
        }
        do {
            let statuses = try await self.read(link, erp: erp, mes: mes)
            await erp.close()
            await mes.close()
            return statuses
        } catch {
            await erp.close()
            await mes.close()
            throw error
        }
    }

    /// The same, on connections the caller keeps open.
    public static func read(
        _ link: RunConfiguration.Link,
        erp: PQConnection,
        mes: PQConnection
    ) async throws
        -> [EntityStatus]
    {
        var statuses: [EntityStatus] = []
        for direction in Direction.allCases {
            let (source, target) = direction == .erpToMES ? (erp, mes) : (mes, erp)
            let consumer = direction.consumer(link: link.name)
            let positions = try await target.query(
                """
                SELECT snapshot::text AS snapshot, applied_at, applied_keys, window_keys, window_done
                FROM erpmes.apply_position WHERE consumer = $1
                """,
                [consumer]
            )
            // The error stored by the replicator, on whichever side could take it.
            var error: String?
            for connection in [target, source] where error == nil {
                error = try await connection.query("SELECT erpmes.link_error_text($1) AS error", [consumer])
                    .first?.decode("error", as: String?.self)
            }
            let subscribed = Set(
                try await target.query("SELECT entity FROM erpmes.subscription").map {
                    try $0.decode("entity", as: String.self)
                }
            )
            guard let position = positions.first else {
                // Never ran: what it will send when it first starts (from where it was declared).
                statuses += try await self.notStarted(
                    link,
                    direction,
                    source: source,
                    subscribed: subscribed,
                    error: error
                )
                continue
            }
            let rows = try await source.query(
                "SELECT entity, pending, extract(epoch FROM lag)::float8 AS lag FROM erpmes.pending($1::pg_snapshot)",
                [try position.decode("snapshot", as: String.self)]
            )
            let health = try await target.query(
                """
                SELECT entity, apply_rate::float8 AS apply_rate, applied_last_hour::bigint AS applied, dead_letters, open_conflicts, paused,
                       heartbeat_seconds::float8 AS heartbeat, oldest_xact_seconds::float8 AS oldest,
                       notification_queue::float8 AS notification_queue
                FROM erpmes.replication_health WHERE role = 'target' AND link = $1 AND direction = $2
                """,
                [link.name, direction.rawValue]
            )
            var byEntity: [String: Row] = [:]
            for row in health { byEntity[try row.decode("entity")] = row }
            let sourceSide = try await source.query(
                """
                SELECT bool_or(needs_resync) AS resync, max(oldest_xact_seconds)::float8 AS oldest,
                       max(notification_queue)::float8 AS notification_queue
                FROM erpmes.replication_health WHERE role = 'source' AND link = $1 AND direction = $2
                """,
                [link.name, direction.rawValue]
            ).first
            for row in rows where subscribed.contains(try row.decode("entity", as: String.self)) {
                let entity: String = try row.decode("entity")
                var status = EntityStatus(
                    link: link.name,
                    direction: direction.rawValue,
                    entity: entity,
                    pending: try row.decode("pending"),
                    lagSeconds: try row.decode("lag"),
                    lastBatch: try position.decode("applied_at", as: Date?.self).map {
                        ISO8601DateFormatter().string(from: $0)
                    },
                    appliedKeys: try position.decode("applied_keys")
                )
                if let health = byEntity[entity] {
                    status.applyRate = try health.decode("apply_rate", as: Double?.self) ?? 0
                    status.appliedLastHour = try health.decode("applied", as: Int?.self) ?? 0
                    status.deadLetters = try health.decode("dead_letters")
                    status.openConflicts = try health.decode("open_conflicts")
                    status.paused = try health.decode("paused")
                    status.heartbeatSeconds = try health.decode("heartbeat", as: Double?.self) ?? 0
                }
                let oldest = max(
                    try byEntity[entity]?.decode("oldest", as: Double?.self) ?? 0,
                    try sourceSide?.decode("oldest", as: Double?.self) ?? 0
                )
                let queue = max(
                    try byEntity[entity]?.decode("notification_queue", as: Double?.self) ?? 0,
                    try sourceSide?.decode("notification_queue", as: Double?.self) ?? 0
                )
                // The precise lag (against the target's applied position) decides, with the
                // target's thresholds.
                let verdict = try requireRow(
                    try await target.query(
                        "SELECT status, reason FROM erpmes.health_status($1::numeric, $2::numeric, $3::bigint, $4::bigint, $5::numeric, $6::float8, $7, $8, $9)",
                        [
                            status.lagSeconds, status.heartbeatSeconds, status.deadLetters, status.openConflicts,
                            oldest, queue, status.paused, try sourceSide?.decode("resync", as: Bool?.self) ?? false,
                            error,
                        ]
                    )
                )
                status.status = try verdict.decode("status")
                status.reason = try verdict.decode("reason")
                status.error = error
                status.windowKeys = try position.decode("window_keys")
                status.windowDone = try position.decode("window_done")
                statuses.append(status)
            }
        }
        return statuses
    }

    /// A direction whose replicator never ran: the changes queued since its entities were
    /// declared, which its first run sends. WARN while any are waiting.
    private static func notStarted(
        _ link: RunConfiguration.Link,
        _ direction: Direction,
        source: PQConnection,
        subscribed: Set<String>,
        error: String?
    ) async throws -> [EntityStatus] {
        var statuses: [EntityStatus] = []
        for row in try await source.query(
            "SELECT entity, pending, extract(epoch FROM lag)::float8 AS lag FROM erpmes.pending(NULL)"
        ) where subscribed.contains(try row.decode("entity", as: String.self)) {
            var status = EntityStatus(
                link: link.name,
                direction: direction.rawValue,
                entity: try row.decode("entity"),
                pending: try row.decode("pending"),
                lagSeconds: try row.decode("lag"),
                lastBatch: nil,
                appliedKeys: 0
            )
            status.error = error
            if let error {
                status.status = "CRIT"
                status.reason = error
            } else if status.pending > 0 {
                status.status = "WARN"
                status.reason = "not started: `erpmes run` has not run for this link yet"
            }
            statuses.append(status)
        }
        return statuses
    }

    private static func connect(_ conninfo: Secret, link: String, logger: Logger) async throws -> PQConnection {
        try await PQConnection.connect(
            ConnectionConfiguration(conninfo: conninfo, applicationName: "erpmes-status \(link)"),
            logger: logger
        )
    }
}
