import ArgumentParser

/// The `erpmes` command and its subcommands.
public struct Erpmes: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "erpmes",
        abstract: "Keeps an ERP and an MES PostgreSQL database in step.",
        discussion: """
            Exit status: 0 success, 64 bad usage, 70 could not run (cannot connect, internal error), \
            78 bad configuration.
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self, StatusCommand.self, MigrateCommand.self, DeadLetterCommand.self, ConflictsCommand.self,
            BenchCommand.self, DemoCommand.self,
        ]
    )

    public init() {}
}
