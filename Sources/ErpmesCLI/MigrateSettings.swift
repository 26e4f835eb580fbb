import ErpmesCore
import ErpmesMigrate
import Foundation
import LibPQ

/// The `[migrate]` section of the configuration file:
///
/// ```toml
/// [migrate]
/// dir = "db"                        # holds Migrations/ and Sql/; relative to this file
/// order = ["control_erp", "erp"]    # what --target all runs, in order
/// lock_wait = "60s"
/// lock_timeout = "3s"
///
/// [migrate.placeholders]
/// plant_tz = "Europe/Berlin"
///
/// [migrate.targets.erp]
/// conninfo = "service=erp"
/// files = "erp"                     # Migrations/erp, Sql/erp (default: the target's name)
/// schemas = ["public"]              # what drift and the empty-schema check look at
/// requires = { control_erp = "1" }  # minimum versions of other targets
/// ```
struct MigrateSettings {
    var directory: String?
    var lockWait: String?
    var lockTimeout: String?
    var placeholders: [String: String] = [:]
    var targets: [MigrationTarget] = []
    var order: [String] = []

    static func load(path: String, environment: [String: String]) throws -> MigrateSettings {
        let root = try ConfigReader.load(contentsOfFile: path, environment: environment)
        let migrate = try root.table("migrate")
        try migrate.rejectUnknownKeys(allowed: ["dir", "order", "lock_wait", "lock_timeout", "placeholders", "targets"])
        var settings = MigrateSettings()
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        settings.directory =
            try migrate.optionalString("dir").map { dir in
                dir.hasPrefix("/") ? dir : base.appendingPathComponent(dir).standardizedFileURL.path
            } ?? base.standardizedFileURL.path
        settings.lockWait = try migrate.optionalDuration("lock_wait").map { "\($0.components.seconds)s" }
        settings.lockTimeout = try migrate.optionalDuration("lock_timeout").map { "\(Self.milliseconds($0))ms" }
        if let placeholders = try migrate.optionalTable("placeholders") {
            for key in placeholders.keys { settings.placeholders[key] = try placeholders.string(key) }
        }
        for target in try migrate.tables("targets") {
            try target.rejectUnknownKeys(allowed: ["conninfo", "files", "schemas", "requires"])
            let name = target.name ?? ""
            var requires: [(target: String, version: MigrationVersion)] = []
            if let table = try target.optionalTable("requires") {
                for key in table.keys {
                    let text = try table.string(key)
                    guard let version = MigrationVersion(text.hasPrefix("V") ? String(text.dropFirst()) : text) else {
                        throw ConfigError(
                            code: .invalidValue,
                            file: path,
                            keyPath: table.keyPath(key),
                            message: "'\(text)' is not a version"
                        )
                    }
                    requires.append((key, version))
                }
            }
            settings.targets.append(
                MigrationTarget(
                    name: name,
                    conninfo: try target.secret("conninfo"),
                    files: try target.optionalString("files"),
                    schemas: try target.optionalStringArray("schemas") ?? ["public"],
                    requires: requires
                )
            )
        }
        settings.order = try migrate.optionalStringArray("order") ?? settings.targets.map(\.name)
        for name in settings.order where !settings.targets.contains(where: { $0.name == name }) {
            throw ConfigError(
                code: .invalidValue,
                file: path,
                keyPath: "migrate.order",
                message: "names target '\(name)', which has no [migrate.targets.\(name)] section"
            )
        }
        return settings
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
