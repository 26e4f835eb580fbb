import Foundation

/// The state of one target: every file against its history, the problems `validate` reports, and
/// the exit bits `status` returns (1 pending, 2 invalid, 4 failed or partial, 8 drift).
///
/// `--json` prints this value; its shape is documented in the README and pinned by golden files.
public struct MigrationStatus: Sendable, Codable, Equatable {
    /// One file, or one version the history knows and the files do not.
    public struct Entry: Sendable, Codable, Equatable {
        /// `versioned` or `repeatable`.
        public var kind: String
        public var version: String?
        public var description: String
        /// `Migrations/erp/V1__init.sql`.
        public var script: String
        /// `applied`, `pending`, `failed`, `partial`, `changed`, `missing`, `out-of-order`, `baseline`.
        public var state: String
        /// The file's checksum now (nil for `missing`).
        public var checksum: String?
        /// The checksum the history holds for it (nil if never applied).
        public var appliedChecksum: String?
        /// For a `partial` non-transactional file: statements applied and in the file.
        public var statementsDone: Int?
        public var statementsTotal: Int?
        /// When it was applied (ISO 8601, UTC).
        public var appliedAt: String?
        /// The last failure's SQLSTATE and message, for `failed` and `partial`.
        public var sqlState: String?
        public var message: String?
    }

    public var target: String
    /// The highest applied version, or nil.
    public var currentVersion: String?
    public var entries: [Entry]
    /// One line per problem: changed, missing, out-of-order, failed files; bad names; cycles.
    public var problems: [String]
    /// Catalog objects changed outside erpmes since the last run (nil when not checked).
    public var drift: CatalogFingerprint.Difference?
    public var exitBits: Int32

    /// Exit bit for pending files.
    public static let pendingBit: Int32 = 1
    /// Exit bit for files and history that disagree, or bad files.
    public static let invalidBit: Int32 = 2
    /// Exit bit for a failed or partially applied file.
    public static let failedBit: Int32 = 4
    /// Exit bit for catalog drift.
    public static let driftBit: Int32 = 8

    public var pending: [Entry] { self.entries.filter { $0.state == "pending" } }
}
