import Foundation
import LibPQ

/// One row of a target's append-only history: one attempt, repair or baseline.
public struct HistoryRecord: Sendable, Hashable {
    /// What kind of row this is.
    public enum Kind: String, Sendable, Codable {
        case versioned, repeatable, baseline, repair
    }

    /// How the attempt ended.
    public enum Status: String, Sendable, Codable {
        /// The file (or all its statements) applied.
        case applied
        /// The attempt failed; a transactional file left nothing behind.
        case failed
        /// A non-transactional file stopped after `statementsDone` of `statementsTotal`.
        case partial
        /// Everything up to `version` was declared present by `baseline`.
        case baseline
        /// `repair accept-checksum`: the file's current checksum is accepted as applied.
        case checksumAccepted = "checksum-accepted"
        /// `repair mark-applied`: the version counts as applied without running it.
        case markedApplied = "marked-applied"
        /// `repair resume`: the applied statements of a partial file are accepted as they now read.
        case resumeAccepted = "resume-accepted"
    }

    public var attempt: Int64
    public var version: MigrationVersion?
    public var description: String
    public var kind: Kind
    /// The file, relative to the migrations folder: `Migrations/erp/V1__init.sql`.
    public var script: String
    /// `sha256:<hex>`.
    public var checksum: String?
    public var status: Status
    public var statementsDone: Int?
    public var statementsTotal: Int?
    /// Checksums of each statement applied so far (non-transactional files), for resuming safely.
    public var statementChecksums: [String]?
    public var startedAt: Date
    public var finishedAt: Date
    public var installedBy: String
    public var toolVersion: String
    public var sqlState: String?
    public var message: String?
    public var reason: String?

    init(row: Row) throws {
        self.attempt = try row.decode("attempt")
        self.version = try row.decode("version", as: String?.self).flatMap(MigrationVersion.init)
        self.description = try row.decode("description")
        guard let kind = Kind(rawValue: try row.decode("kind")),
            let status = Status(rawValue: try row.decode("status"))
        else { throw PQError(code: .decoding, message: "unknown kind or status in history row \(self.attempt)") }
        self.kind = kind
        self.status = status
        self.script = try row.decode("script")
        self.checksum = try row.decode("checksum")
        self.statementsDone = try row.decode("statements_done")
        self.statementsTotal = try row.decode("statements_total")
        self.statementChecksums = try row.decode("statement_checksums")
        self.startedAt = try row.decode("started_at")
        self.finishedAt = try row.decode("finished_at")
        self.installedBy = try row.decode("installed_by")
        self.toolVersion = try row.decode("tool_version")
        self.sqlState = try row.decode("sqlstate")
        self.message = try row.decode("message")
        self.reason = try row.decode("reason")
    }
}
