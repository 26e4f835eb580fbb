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

    private static func read(
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
                "SELECT snapshot::text AS snapshot, applied_at, applied_keys FROM erpmes.apply_position WHERE consumer = $1",
                [consumer]
            )
            guard let position = positions.first else { continue }  // this direction never ran
            let subscribed = Set(
                try await target.query("SELECT entity FROM erpmes.subscription").map {
                    try $0.decode("entity", as: String.self)
                }
            )
            let rows = try await source.query(
                "SELECT entity, pending, extract(epoch FROM lag)::float8 AS lag FROM erpmes.pending($1::pg_snapshot)",
                [try position.decode("snapshot", as: String.self)]
            )
            for row in rows where subscribed.contains(try row.decode("entity", as: String.self)) {
                statuses.append(
                    EntityStatus(
                        link: link.name,
                        direction: direction.rawValue,
                        entity: try row.decode("entity"),
                        pending: try row.decode("pending"),
                        lagSeconds: try row.decode("lag"),
                        lastBatch: try position.decode("applied_at", as: Date?.self).map {
                            ISO8601DateFormatter().string(from: $0)
                        },
                        appliedKeys: try position.decode("applied_keys")
                    )
                )
            }
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
