import ArgumentParser
import ErpmesCore
import ErpmesReplicator
import Foundation
import LibPQ

/// `erpmes deadletter list|show|retry|skip`: keys that could not be applied.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadletter",
        abstract: "List, show, retry or skip keys that could not be applied.",
        discussion: """
            A key whose change fails with a data error (a value that does not map, a constraint, a \
            mapping function's rejection) goes to erpmes.dead_letter on the database it was applied \
            to; its later changes and the rows that depend on it wait there ("held", "blocked by") \
            while every other key keeps flowing. Fix the cause (the mapping, the master data), then \
            `retry`: the running replicator re-reads the key's current state from its source and \
            applies it through the normal path, then releases what waited. `skip` gives up on a key.
            """,
        subcommands: [List.self, Show.self, Retry.self, Skip.self]
    )

    struct Filter: ParsableArguments {
        @Option(help: "Only this entity.")
        var entity: String?

        @Option(help: #"Only this key, as JSON (for example '{"id": 42}')."#)
        var key: String?

        var keyFilter: KeyFilter { KeyFilter(entity: self.entity, key: self.key) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters (open ones unless --all).")
        @OptionGroup var links: LinkOptions
        @OptionGroup var filter: Filter
        @Flag(help: "Include resolved and skipped ones.")
        var all = false
        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            var letters: [DeadLetter] = []
            for link in try self.links.links(command: "deadletter") {
                letters += try await withLinkConnections(link, command: "deadletter") { connections in
                    var found: [DeadLetter] = []
                    for side in ["erp", "mes"] {
                        found += try await DeadLetters.list(
                            connections[side]!,
                            side: side,
                            filter: self.filter.keyFilter,
                            all: self.all
                        )
                    }
                    return found
                }
            }
            if self.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(letters), as: UTF8.self))
                return
            }
            guard !letters.isEmpty else {
                print("no dead letters")
                return
            }
            let header = ["ID", "LINK", "ENTITY", "KEY", "STATUS", "TRIES", "HELD", "REASON"]
            let rows = letters.map { letter in
                [
                    "\(letter.side):\(letter.id)", letter.link, letter.entity, letter.key, letter.status,
                    "\(letter.attempts)", "\(letter.heldChanges)", String(letter.message.prefix(60)),
                ]
            }
            for line in alignedColumns([header] + rows) { print(line) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter in full.")
        @OptionGroup var links: LinkOptions
        @Argument(help: "The ID `list` shows, as side:number (for example mes:12).")
        var id: String

        func run() async throws {
            let (side, number) = try parseID(self.id)
            for link in try self.links.links(command: "deadletter") {
                let letters = try await withLinkConnections(link, command: "deadletter") { connections in
                    try await DeadLetters.list(connections[side]!, side: side, filter: KeyFilter(id: number), all: true)
                }
                guard let letter = letters.first else { continue }
                let lines: [(String, String?)] = [
                    ("id", "\(side):\(letter.id)"), ("link", letter.link), ("entity", letter.entity),
                    ("key", letter.key), ("status", letter.status), ("sqlstate", letter.sqlState),
                    ("message", letter.message), ("detail", letter.detail), ("blocked by", letter.blockedBy),
                    ("attempts", "\(letter.attempts)"), ("held changes", "\(letter.heldChanges)"),
                    ("first failed", letter.firstFailedAt), ("last failed", letter.lastFailedAt),
                ]
                for (name, value) in lines where value != nil {
                    print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + value!)
                }
                return
            }
            printError("erpmes deadletter: no dead letter \(self.id)")
            throw ExitCode(1)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read keys from their source and apply them again (through the running replicator)."
        )
        @OptionGroup var links: LinkOptions
        @OptionGroup var filter: Filter
        @Argument(help: "Dead-letter IDs as side:number; with none, every open one the filters select.")
        var ids: [String] = []

        func run() async throws {
            let total = try await forEachSelected(self.links, self.filter, self.ids) { connection, filter in
                try await DeadLetters.retry(connection, filter: filter)
            }
            print("\(total) key(s) marked for retry; the running replicator re-reads them from their source")
        }
    }

    struct Skip: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on keys: their later changes flow again, what waited for them is retried."
        )
        @OptionGroup var links: LinkOptions
        @OptionGroup var filter: Filter
        @Option(help: "Why, kept with the dead letter.")
        var reason = "skipped by hand"
        @Argument(help: "Dead-letter IDs as side:number; with none, every open one the filters select.")
        var ids: [String] = []

        func run() async throws {
            guard !self.ids.isEmpty || self.filter.entity != nil || self.filter.key != nil else {
                printError("erpmes deadletter skip: name IDs, --entity or --key (refusing to skip everything)")
                throw ExitCode(ExitStatus.usage)
            }
            let total = try await forEachSelected(self.links, self.filter, self.ids) { connection, filter in
                try await DeadLetters.skip(connection, filter: filter, reason: self.reason)
            }
            print("\(total) key(s) skipped")
        }
    }
}

/// `mes:12` → ("mes", 12).
func parseID(_ text: String) throws -> (String, Int64) {
    let parts = text.split(separator: ":")
    guard parts.count == 2, ["erp", "mes"].contains(parts[0]), let number = Int64(parts[1]) else {
        printError("erpmes: \(text) is not an ID like mes:12 (side erp or mes, then the number)")
        throw ExitCode(ExitStatus.usage)
    }
    return (String(parts[0]), number)
}

/// Runs `action` on both databases of every selected link, per ID or with the filters.
private func forEachSelected(
    _ links: LinkOptions,
    _ filter: DeadLetterCommand.Filter,
    _ ids: [String],
    _ action: @escaping (PQConnection, KeyFilter) async throws -> Int
) async throws -> Int {
    let parsed = try ids.map(parseID)
    var total = 0
    for link in try links.links(command: "deadletter") {
        total += try await withLinkConnections(link, command: "deadletter") { connections in
            var count = 0
            if parsed.isEmpty {
                for side in ["erp", "mes"] { count += try await action(connections[side]!, filter.keyFilter) }
            } else {
                for (side, number) in parsed {
                    count += try await action(connections[side]!, KeyFilter(id: number))
                }
            }
            return count
        }
    }
    return total
}
