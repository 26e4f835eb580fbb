import Foundation

/// Another server session, as `pg_stat_activity` shows it: enough for a DBA to find it.
public struct PQSession: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int
    public var applicationName: String
    /// `client_addr`, or `local` for a unix-socket session.
    public var client: String
    public var state: String
    public var query: String

    public var description: String {
        let query = self.query.replacingOccurrences(of: "\n", with: " ")
        return "pid \(self.pid) (application_name '\(self.applicationName)', \(self.state)): \(query.prefix(120))"
    }
}

extension PQConnection {
    /// The session holding the two-key advisory lock `(classID, hashtext(name))` in this database,
    /// or nil when nobody holds it.
    public func advisoryLockHolder(classID: Int32, name: String) async throws -> PQSession? {
        try await self.sessions(
            """
            WHERE a.pid IN (SELECT l.pid FROM pg_catalog.pg_locks AS l
                            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::integer::oid
                              AND l.objid = hashtext($2)::oid AND l.objsubid = 2
                              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
            """,
            [classID, name]
        ).first
    }

    /// The sessions blocking backend `pid` right now (`pg_blocking_pids`).
    public func sessions(blocking pid: Int32) async throws -> [PQSession] {
        try await self.sessions("WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1::integer))", [Int(pid)])
    }

    private func sessions(_ condition: String, _ parameters: [(any PQEncodable)?]) async throws -> [PQSession] {
        let rows = try await self.query(
            """
            SELECT a.pid, coalesce(a.application_name, '') AS application_name,
                   coalesce(a.client_addr::text, 'local') AS client, coalesce(a.state, '') AS state,
                   coalesce(a.query, '') AS query
            FROM pg_catalog.pg_stat_activity AS a
            \(condition)
            ORDER BY a.pid
            """,
            parameters
        )
        return try rows.map { row in
            PQSession(
                pid: try row.decode("pid"),
                applicationName: try row.decode("application_name"),
                client: try row.decode("client"),
                state: try row.decode("state"),
                query: try row.decode("query")
            )
        }
    }
}
