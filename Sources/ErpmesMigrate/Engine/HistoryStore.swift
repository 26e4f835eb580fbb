import Foundation
import LibPQ

/// Reads and writes one target's history table in `erpmes_migrate`.
///
/// The table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE): a failed attempt
/// stays on record, and repairs add rows rather than rewrite them.
struct HistoryStore: Sendable {
    let target: MigrationTarget
    let toolVersion: String

    /// The DDL that creates the history schema, table, append-only trigger and catalog table.
    /// Idempotent, so it is safe to send whenever the table is missing.
    var bootstrap: [SQLCommand] {
        let schema = SQLQuote.identifier(MigrationTarget.historySchema)
        let history = self.target.historyTable
        let catalog = self.target.catalogTable
        let triggerName = SQLQuote.identifier("\(self.target.name)_history_append_only")
        let truncateName = SQLQuote.identifier("\(self.target.name)_history_no_truncate")
        return [
            SQLCommand(sql: "CREATE SCHEMA IF NOT EXISTS \(schema)"),
            SQLCommand(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(history) (
                        attempt bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        version text,
                        description text NOT NULL,
                        kind text NOT NULL CHECK (kind IN ('versioned', 'repeatable', 'baseline', 'repair')),
                        script text NOT NULL,
                        checksum text,
                        status text NOT NULL CHECK (status IN ('applied', 'failed', 'partial', 'baseline',
                            'checksum-accepted', 'marked-applied', 'resume-accepted')),
                        statements_done integer,
                        statements_total integer,
                        statement_checksums text[],
                        started_at timestamptz NOT NULL,
                        finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                        installed_by text NOT NULL DEFAULT current_user,
                        client text,
                        tool_version text NOT NULL,
                        sqlstate text,
                        message text,
                        reason text
                    )
                    """
            ),
            SQLCommand(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(catalog) (
                        taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                        fingerprint jsonb NOT NULL
                    )
                    """
            ),
            SQLCommand(
                sql: """
                    CREATE OR REPLACE FUNCTION \(schema).refuse_history_change() RETURNS trigger
                    LANGUAGE plpgsql AS $fn$
                    BEGIN
                        RAISE EXCEPTION 'erpmes migrate history is append-only'
                            USING HINT = 'erpmes migrate repair adds a row instead of changing one';
                    END $fn$
                    """
            ),
            SQLCommand(
                sql: """
                    CREATE OR REPLACE TRIGGER \(triggerName) BEFORE UPDATE OR DELETE ON \(history)
                    FOR EACH ROW EXECUTE FUNCTION \(schema).refuse_history_change()
                    """
            ),
            SQLCommand(
                sql: """
                    CREATE OR REPLACE TRIGGER \(truncateName) BEFORE TRUNCATE ON \(history)
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema).refuse_history_change()
                    """
            ),
        ]
    }

    /// Whether the history table exists yet.
    func exists(on connection: PQConnection) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [self.target.historyTable]
        )
        return try rows.first?.decode("present", as: Bool.self) ?? false
    }

    /// Every row, oldest first; empty when the table does not exist yet.
    func records(on connection: PQConnection) async throws -> [HistoryRecord] {
        guard try await self.exists(on: connection) else { return [] }
        let rows = try await connection.query("SELECT * FROM \(self.target.historyTable) ORDER BY attempt")
        return try rows.map(HistoryRecord.init(row:))
    }

    /// A new history row. `startedAt` nil means the transaction's start (`now()`).
    struct Entry: Sendable {
        var version: MigrationVersion?
        var description: String
        var kind: HistoryRecord.Kind
        var script: String
        var checksum: String?
        var status: HistoryRecord.Status
        var statementsDone: Int? = nil
        var statementsTotal: Int? = nil
        var statementChecksums: [String]? = nil
        var startedAt: Date? = nil
        var sqlState: String? = nil
        var message: String? = nil
        var reason: String? = nil
    }

    /// The INSERT of one history row.
    func insert(_ entry: Entry) -> SQLCommand {
        SQLCommand(
            sql: """
                INSERT INTO \(self.target.historyTable) (version, description, kind, script, checksum, status, \
                statements_done, statements_total, statement_checksums, started_at, client, tool_version, \
                sqlstate, message, reason) VALUES ($1, $2, $3, $4, $5, $6, $7::integer, $8::integer, $9::text[], \
                coalesce($10::timestamptz, now()), $11, $12, $13, $14, $15)
                """,
            parameters: [
                entry.version?.description, entry.description, entry.kind.rawValue, entry.script, entry.checksum,
                entry.status.rawValue, entry.statementsDone.map(String.init), entry.statementsTotal.map(String.init),
                entry.statementChecksums?.pqText ?? nil, entry.startedAt?.pqText ?? nil, Self.client,
                self.toolVersion, entry.sqlState, entry.message, entry.reason,
            ]
        )
    }

    /// `user@host` of the process running the migration, for the history's "who".
    static let client: String = {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }()
}
