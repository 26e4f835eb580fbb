import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import Foundation
import LibPQ
import Logging

extension MigrateCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show applied, pending, failed and changed migrations of each target.",
            discussion: """
                Exit status is a bitmap over all targets: 0 up to date, 1 pending, 2 invalid, 4 failed or \
                partial, 8 drift; 70 when it could not run, 78 for a bad configuration.
                """
        )
        @OptionGroup var options: MigrateOptions
        @Flag(help: "Print JSON (schema in the README) instead of a table.")
        var json = false

        func run() async throws {
            var bits: Int32 = 0
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                var statuses: [MigrationStatus] = []
                for target in targets {
                    let status = try await migrator.status(target)
                    bits |= status.exitBits
                    statuses.append(status)
                }
                print(
                    self.json
                        ? MigrationStatusFormat.json(statuses)
                        : statuses.map(MigrationStatusFormat.table).joined(separator: "\n")
                )
            }
            if bits != 0 { throw ExitCode(bits) }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check files against the history: changed, missing, out-of-order, misnamed, duplicate or failed files.",
            discussion:
                "Exit status: 0 valid, 2 invalid, 4 a file failed or is partial (bits combine); `up` runs this first."
        )
        @OptionGroup var options: MigrateOptions
        @Option(
            name: .customLong("allow-out-of-order"),
            help: "A version allowed to run although a later one is applied; repeatable."
        )
        var allowOutOfOrder: [String] = []

        func run() async throws {
            var bits: Int32 = 0
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                let allowed = try versions(self.allowOutOfOrder)
                for target in targets {
                    let status = try await migrator.status(target, allowOutOfOrder: allowed)
                    let relevant = status.exitBits & (MigrationStatus.invalidBit | MigrationStatus.failedBit)
                    bits |= relevant
                    if status.problems.isEmpty {
                        print("target \(target.name): valid (\(status.entries.count) files)")
                    } else {
                        print("target \(target.name): \(status.problems.count) problem(s)")
                        for problem in status.problems { print("  \(problem)") }
                    }
                }
            }
            if bits != 0 { throw ExitCode(bits) }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the exact SQL `up` would send, with transaction boundaries, runnable with psql."
        )
        @OptionGroup var options: MigrateOptions
        @Option(help: "Stop after this version.")
        var to: String?
        @Option(name: .customLong("allow-out-of-order"), help: "A version allowed to run out of order; repeatable.")
        var allowOutOfOrder: [String] = []

        func run() async throws {
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                for target in targets {
                    print(
                        try await migrator.plan(
                            target,
                            to: try self.to.map(version),
                            allowOutOfOrder: try versions(self.allowOutOfOrder)
                        )
                    )
                }
            }
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending versioned files in order, then changed repeatable files in one transaction.",
            discussion: """
                Validates first and applies nothing if validation fails. Exit status: 0 done, 2 invalid or \
                refused, 4 a file failed (its error is printed as file:line:col), 70 could not run.
                """
        )
        @OptionGroup var options: MigrateOptions
        @Option(help: "Stop after this version.")
        var to: String?
        @Option(
            name: .customLong("allow-out-of-order"),
            help: "A version allowed to run although a later one is applied; repeatable."
        )
        var allowOutOfOrder: [String] = []

        func run() async throws {
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                for target in targets {
                    let applied = try await migrator.up(
                        target,
                        to: try self.to.map(version),
                        allowOutOfOrder: try versions(self.allowOutOfOrder)
                    )
                    print(
                        "target \(target.name): "
                            + (applied.isEmpty ? "up to date" : "applied \(applied.count) file(s)")
                    )
                }
            }
        }
    }

    struct Baseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that an existing schema is at a version, so `up` starts after it."
        )
        @OptionGroup var options: MigrateOptions
        @Option(help: "The version the schema is at.")
        var version: String
        @Option(help: "Why, for the history.")
        var reason: String?

        func run() async throws {
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                for target in targets {
                    try await migrator.baseline(
                        target,
                        version: try ErpmesCLI.version(self.version),
                        reason: self.reason
                    )
                }
            }
        }
    }

    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the live catalog with the fingerprint stored after the last migration.",
            discussion: "Exit status: 0 no drift, 8 drift; 70 when it could not run."
        )
        @OptionGroup var options: MigrateOptions

        func run() async throws {
            var bits: Int32 = 0
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                for target in targets {
                    guard let drift = try await migrator.drift(target) else {
                        print("target \(target.name): no fingerprint stored yet (run `up` or `baseline` first)")
                        continue
                    }
                    if drift.isEmpty {
                        print("target \(target.name): no drift")
                    } else {
                        bits |= MigrationStatus.driftBit
                        print("target \(target.name): drift")
                        for object in drift.added { print("  added    \(object)") }
                        for object in drift.removed { print("  removed  \(object)") }
                        for object in drift.changed { print("  changed  \(object)") }
                    }
                }
            }
            if bits != 0 { throw ExitCode(bits) }
        }
    }

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the next versioned file of a target: Migrations/<target>/V<n>__<description>.sql."
        )
        @Option(help: "Folder holding Migrations/ and Sql/.")
        var dir: String = "."
        @Argument(help: "The target (its folder under Migrations/).")
        var target: String
        @Argument(help: "What the migration does, e.g. \"add lot expiry\".")
        var description: String

        func run() async throws {
            try await reportingFailures {
                let migrator = Migrator(
                    options: MigratorOptions(directory: URL(fileURLWithPath: self.dir)),
                    targets: [],
                    logger: .init(label: "erpmes.migrate")
                )
                let url = try migrator.newFile(
                    .init(name: self.target, conninfo: .init("")),
                    description: self.description
                )
                print(url.path)
            }
        }
    }
}

extension MigrateCommand {
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a repair in the history (rows are added, never changed or deleted).",
            subcommands: [AcceptChecksum.self, MarkApplied.self, Resume.self]
        )
    }

    /// What every repair subcommand takes: the version and the reason, which the history keeps.
    struct RepairArguments: ParsableArguments {
        @OptionGroup var options: MigrateOptions
        @Argument(help: "The version.") var version: String
        @Option(help: "Why (required; kept in the history).") var reason: String

        /// Records `repair` for the version on every selected target.
        func record(_ repair: (MigrationVersion) -> Migrator.Repair) async throws {
            try await reportingFailures {
                let (migrator, targets) = try self.options.setup()
                let version = try ErpmesCLI.version(self.version)
                for target in targets { try await migrator.repair(target, repair(version), reason: self.reason) }
            }
        }
    }

    struct AcceptChecksum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept-checksum",
            abstract: "Accept the current checksum of an applied file that was edited harmlessly."
        )
        @OptionGroup var arguments: RepairArguments

        func run() async throws { try await self.arguments.record { .acceptChecksum($0) } }
    }

    struct MarkApplied: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark-applied",
            abstract: "Record a version as applied without running it (it was applied by hand)."
        )
        @OptionGroup var arguments: RepairArguments

        func run() async throws { try await self.arguments.record { .markApplied($0) } }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a partial non-transactional file resume although its applied statements were edited."
        )
        @OptionGroup var arguments: RepairArguments

        func run() async throws { try await self.arguments.record { .resume($0) } }
    }
}

func version(_ text: String) throws -> MigrationVersion {
    let trimmed = text.hasPrefix("V") || text.hasPrefix("v") ? String(text.dropFirst()) : text
    guard let version = MigrationVersion(trimmed) else {
        throw ValidationError("'\(text)' is not a version like 7, V7 or 1.2.")
    }
    return version
}

func versions(_ texts: [String]) throws -> Set<MigrationVersion> { Set(try texts.map(version)) }
