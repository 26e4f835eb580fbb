import LibPQ

/// One database that `erpmes migrate` manages: its connection, which files it takes, which schemas
/// it owns, and where its history lives.
///
/// Two targets may share a database (the ERP tables and the erpmes control schema on the ERP
/// database): each still has its own history table and its own lock.
public struct MigrationTarget: Sendable {
    /// The target's name, as `--target` and the configuration spell it: `erp`, `mes`, ...
    public var name: String
    /// libpq conninfo or URI.
    public var conninfo: Secret
    /// The folder name under `Migrations/` and `Sql/` holding this target's files (default: `name`).
    public var files: String
    /// Schemas whose objects `drift` and the "non-empty schema" check look at.
    public var schemas: [String]
    /// Minimum versions of other targets that must be applied before this one migrates.
    public var requires: [(target: String, version: MigrationVersion)]

    public init(
        name: String,
        conninfo: Secret,
        files: String? = nil,
        schemas: [String] = ["public"],
        requires: [(target: String, version: MigrationVersion)] = []
    ) {
        self.name = name
        self.conninfo = conninfo
        self.files = files ?? name
        self.schemas = schemas
        self.requires = requires
    }

    /// The schema holding every target's history and catalog fingerprints.
    public static let historySchema = "erpmes_migrate"

    /// `erpmes_migrate."<name>_history"`, quoted.
    var historyTable: String { SQLQuote.qualified(Self.historySchema, "\(self.name)_history") }
    /// `erpmes_migrate."<name>_catalog"`, quoted: catalog fingerprints taken after each change.
    var catalogTable: String { SQLQuote.qualified(Self.historySchema, "\(self.name)_catalog") }
}
