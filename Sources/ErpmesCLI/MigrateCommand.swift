import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import Foundation
import LibPQ
import Logging

/// `erpmes migrate`: schema versions of each database.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Manage schema versions: versioned files in Migrations/, repeatable SQL in Sql/.",
        discussion: """
            Each target (a database and the folder of files it takes) has its own history table \
            (erpmes_migrate.<target>_history) and its own advisory lock. Targets come from --config \
            ([migrate.targets.<name>] sections) or, for one target, from --target and --conninfo.
            """,
        subcommands: [
            Status.self, Validate.self, Plan.self, Up.self, Baseline.self, Repair.self, Drift.self, New.self,
        ]
    )
}

/// Options every `migrate` subcommand takes.
struct MigrateOptions: ParsableArguments {
    @Option(help: "Configuration file (TOML) naming the targets.")
    var config: String?

    @Option(help: "Folder holding Migrations/ and Sql/ (default: the configuration's, else the current folder).")
    var dir: String?

    @Option(help: "Target to act on, or 'all' for every configured target in the configured order.")
    var target: String = "all"

    @Option(help: "libpq conninfo or URI of the target's database, for a target not in a configuration file.")
    var conninfo: String?

    @Option(help: "How long to wait for another run's migration lock, e.g. 60s or 5min.")
    var lockWait: String?

    @Option(
        help: "Default lock_timeout for each file, e.g. 3s; a file may set its own with an erpmes:lock_timeout line."
    )
    var lockTimeout: String?

    @Option(name: .customLong("placeholder"), help: "A ${erpmes:name} value, as name=value; repeatable.")
    var placeholders: [String] = []

    @Flag(help: "Log each statement and connection (to stderr).")
    var verbose = false

    func validate() throws {
        if self.config == nil && self.conninfo == nil
            && ProcessInfo.processInfo.environment["ERPMES_MIGRATE_CONNINFO"] == nil
        {
            throw ValidationError(
                "name the targets with --config FILE, or one target with --target NAME --conninfo CONNINFO."
            )
        }
        if self.config == nil && self.target == "all" {
            throw ValidationError(
                "--conninfo needs --target NAME: the name picks the files (Migrations/NAME, Sql/NAME) and the history table."
            )
        }
        for placeholder in self.placeholders where !placeholder.contains("=") {
            throw ValidationError("--placeholder takes name=value, got '\(placeholder)'.")
        }
    }
}
