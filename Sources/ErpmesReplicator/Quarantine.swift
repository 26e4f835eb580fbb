import ErpmesCore
import Foundation
import LibPQ

/// Which dead letters or conflicts a command acts on.
public struct KeyFilter: Sendable {
    public var entity: String?
    /// A key as JSON (`{"id": 42}`), compared as jsonb.
    public var key: String?
    /// Only this row (the number `list` shows).
    public var id: Int64?

    public init(entity: String? = nil, key: String? = nil, id: Int64? = nil) {
        self.entity = entity
        self.key = key
        self.id = id
    }

    /// The WHERE conditions, with parameters starting at `$first`.
    func sql(first: Int) -> (conditions: String, parameters: [(any PQEncodable)?]) {
        var conditions: [String] = []
        var parameters: [(any PQEncodable)?] = []
        if let entity = self.entity {
            parameters.append(entity)
            conditions.append("entity = $\(first + parameters.count - 1)")
        }
        if let key = self.key {
            parameters.append(key)
            conditions.append("key = $\(first + parameters.count - 1)::jsonb")
        }
        if let id = self.id {
            parameters.append(id)
            conditions.append("id = $\(first + parameters.count - 1)")
        }
        return (conditions.isEmpty ? "true" : conditions.joined(separator: " AND "), parameters)
    }
}

/// One row of `erpmes.dead_letter`, on the database where it failed to apply.
public struct DeadLetter: Sendable, Codable {
    public var side: String
    public var id: Int64
    public var link: String
    public var entity: String
    public var key: String
    public var status: String
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var blockedBy: String?
    public var attempts: Int
    public var heldChanges: Int
    public var firstFailedAt: String
    public var lastFailedAt: String
}

/// The dead-letter workflow (DESIGN 2.6): list, retry (re-read from the source by the running
/// replicator, never replayed from a stored payload), skip (give up; later changes flow again).
public enum DeadLetters {
    public static func list(
        _ connection: PQConnection,
        side: String,
        filter: KeyFilter,
        all: Bool = false
    )
        async throws -> [DeadLetter]
    {
        let (conditions, parameters) = filter.sql(first: 1)
        let rows = try await connection.query(
            """
            SELECT id, consumer, entity, key::text AS key, status, sqlstate, message, detail, blocked_by::text AS blocked_by,
                   attempts, held_changes, to_char(first_failed_at, 'YYYY-MM-DD HH24:MI:SSOF') AS first_failed_at,
                   to_char(last_failed_at, 'YYYY-MM-DD HH24:MI:SSOF') AS last_failed_at
            FROM erpmes.dead_letter
            WHERE \(conditions) \(all ? "" : "AND status IN ('open', 'retry', 'requeued')")
            ORDER BY id
            """,
            parameters
        )
        return try rows.map { row in
            DeadLetter(
                side: side,
                id: try row.decode("id"),
                link: (try row.decode("consumer", as: String.self)).split(separator: ":").first.map(String.init) ?? "",
                entity: try row.decode("entity"),
                key: try row.decode("key"),
                status: try row.decode("status"),
                sqlState: try row.decode("sqlstate"),
                message: try row.decode("message"),
                detail: try row.decode("detail"),
                blockedBy: try row.decode("blocked_by"),
                attempts: try row.decode("attempts"),
                heldChanges: try row.decode("held_changes"),
                firstFailedAt: try row.decode("first_failed_at"),
                lastFailedAt: try row.decode("last_failed_at")
            )
        }
    }

    /// Marks open dead letters for retry; the replicator queues their keys again on the source.
    /// Returns how many.
    public static func retry(_ connection: PQConnection, filter: KeyFilter) async throws -> Int {
        let (conditions, parameters) = filter.sql(first: 1)
        return try await connection.query(
            "UPDATE erpmes.dead_letter SET status = 'retry' WHERE status = 'open' AND \(conditions)",
            parameters
        ).affectedRows
    }

    /// Gives up on open dead letters: their keys flow again from their next change, and the keys
    /// that waited for them are retried. Returns how many.
    public static func skip(_ connection: PQConnection, filter: KeyFilter, reason: String) async throws -> Int {
        let (conditions, parameters) = filter.sql(first: 2)
        return try await connection.withTransaction { tx in
            let skipped = try await tx.query(
                """
                UPDATE erpmes.dead_letter SET status = 'skipped', closed_at = now(), closed_by = $1
                WHERE status IN ('open', 'retry', 'requeued') AND \(conditions)
                RETURNING entity, key
                """,
                [reason as (any PQEncodable)?] + parameters
            )
            for row in skipped {
                try await tx.query(
                    """
                    UPDATE erpmes.dead_letter SET status = 'retry'
                    WHERE status = 'open' AND blocked_by = jsonb_build_object('entity', $1::text, 'key', $2::jsonb)
                    """,
                    [try row.decode("entity", as: String.self), try row.decode("key", as: String.self)]
                )
            }
            return skipped.count
        }
    }
}

/// One conflict parked by the manual rule.
public struct ParkedConflict: Sendable, Codable {
    public var side: String
    public var id: Int64
    public var entity: String
    public var key: String
    public var sourceSide: String
    public var columns: [String]
    public var base: String?
    public var source: String?
    public var target: String?
    public var createdAt: String

    /// The version of `side` ("erp" or "mes"), as JSON text (nil: the row is absent there).
    public func version(of side: String) -> String? {
        side == self.sourceSide ? self.source : self.target
    }
}

/// Conflicts parked by the manual rule, and their resolution through the normal apply path.
public enum Conflicts {
    public static func list(
        _ connection: PQConnection,
        side: String,
        filter: KeyFilter
    ) async throws
        -> [ParkedConflict]
    {
        let (conditions, parameters) = filter.sql(first: 1)
        return try await connection.query(
            """
            SELECT id, entity, key::text AS key, source_side, columns, base::text AS base, source::text AS source,
                   target::text AS target, to_char(created_at, 'YYYY-MM-DD HH24:MI:SSOF') AS created_at
            FROM erpmes.conflict WHERE status = 'open' AND \(conditions) ORDER BY id
            """,
            parameters
        ).map { row in
            ParkedConflict(
                side: side,
                id: try row.decode("id"),
                entity: try row.decode("entity"),
                key: try row.decode("key"),
                sourceSide: try row.decode("source_side"),
                columns: try row.decode("columns"),
                base: try row.decode("base"),
                source: try row.decode("source"),
                target: try row.decode("target"),
                createdAt: try row.decode("created_at")
            )
        }
    }

    /// What to keep: one side's version, or a row given as JSON.
    public enum Take: Sendable, Equatable {
        case side(String)
        case payload(String)
    }

    /// Resolves a parked conflict: the chosen version is written on every side that receives the
    /// entity, through its apply function (forced: no merge), so both sides end equal and the
    /// bases record it (its capture is an echo). The side that parked it writes and closes the
    /// conflict in one transaction; run again after a failure, it does the rest.
    public static func resolve(
        _ conflict: ParkedConflict,
        take: Take,
        connections: [String: PQConnection],
        by who: String
    ) async throws {
        let chosen: String?
        switch take {
        case .side(let side): chosen = conflict.version(of: side)
        case .payload(let json): chosen = json
        }
        let order = connections.keys.filter { $0 != conflict.side }.sorted() + [conflict.side]
        for side in order {
            guard let connection = connections[side] else { continue }
            try await connection.withTransaction { tx in
                let subscribed = try await tx.query(
                    "SELECT 1 FROM erpmes.subscription WHERE entity = $1",
                    [conflict.entity]
                )
                if !subscribed.isEmpty {
                    try await tx.query(
                        "CREATE TEMP TABLE IF NOT EXISTS erpmes_batch (key jsonb, op \"char\", payload jsonb) ON COMMIT DELETE ROWS"
                    )
                    try await tx.query("TRUNCATE erpmes_batch")
                    try await tx.query(
                        "INSERT INTO erpmes_batch VALUES ($1::jsonb, $2, $3::jsonb)",
                        [conflict.key, chosen == nil ? "D" : "U", chosen]
                    )
                    let outcomes = try await tx.query(
                        "SELECT outcome, reason FROM erpmes.apply_entity($1, true) WHERE outcome NOT IN ('applied', 'skipped')",
                        [conflict.entity]
                    )
                    if let bad = outcomes.first {
                        throw PQError(
                            code: .client,
                            message:
                                "entity \(conflict.entity) key \(conflict.key): the \(side) side did not take the chosen version: \(bad["outcome"] ?? "?") \(bad["reason"] ?? "")"
                        )
                    }
                }
                if side == conflict.side {
                    try await tx.query(
                        """
                        UPDATE erpmes.conflict SET status = 'resolved', resolved_at = now(),
                            resolution = jsonb_build_object('take', $2::text, 'by', $3::text, 'row', $4::jsonb)
                        WHERE id = $1 AND status = 'open'
                        """,
                        [conflict.id, Self.describe(take), who, chosen]
                    )
                }
            }
        }
    }

    static func describe(_ take: Take) -> String {
        switch take {
        case .side(let side): side
        case .payload: "json"
        }
    }
}
