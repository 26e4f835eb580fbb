import ArgumentParser
import ErpmesCore
import ErpmesReplicator
import Foundation
import LibPQ

/// `erpmes conflicts list|show|resolve`: conflicts the manual rule parked for a person.
struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List, show or resolve conflicts parked by the manual rule.",
        discussion: """
            An entity subscribed with the manual rule parks a key changed on both sides since the last \
            synchronisation in erpmes.conflict, with the base and both versions; the key then stays put \
            on both sides until someone resolves it. `resolve ID --take erp|mes|JSON` writes the chosen \
            version on both sides through their apply functions and closes the conflict. Every decision \
            any rule takes is in erpmes.conflict_log.
            """,
        subcommands: [List.self, Show.self, Resolve.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open conflicts.")
        @OptionGroup var links: LinkOptions
        @Option(help: "Only this entity.")
        var entity: String?
        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            var conflicts: [ParkedConflict] = []
            for link in try self.links.links(command: "conflicts") {
                conflicts += try await withLinkConnections(link, command: "conflicts") { connections in
                    var found: [ParkedConflict] = []
                    for side in ["erp", "mes"] {
                        found += try await Conflicts.list(
                            connections[side]!,
                            side: side,
                            filter: KeyFilter(entity: self.entity)
                        )
                    }
                    return found
                }
            }
            if self.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(conflicts), as: UTF8.self))
                return
            }
            guard !conflicts.isEmpty else {
                print("no open conflicts")
                return
            }
            let header = ["ID", "ENTITY", "KEY", "COLUMNS", "SINCE"]
            let rows = conflicts.map {
                ["\($0.side):\($0.id)", $0.entity, $0.key, $0.columns.joined(separator: ","), $0.createdAt]
            }
            for line in alignedColumns([header] + rows) { print(line) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a conflict: base and both versions.")
        @OptionGroup var links: LinkOptions
        @Argument(help: "The ID `list` shows, as side:number.")
        var id: String

        func run() async throws {
            let conflict = try await findConflict(self.links, self.id)
            print("conflict \(conflict.side):\(conflict.id) entity \(conflict.entity) key \(conflict.key)")
            print("columns  \(conflict.columns.joined(separator: ", "))")
            print("base     \(conflict.base ?? "(none)")")
            print("erp      \(conflict.version(of: "erp") ?? "(no row)")")
            print("mes      \(conflict.version(of: "mes") ?? "(no row)")")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a conflict: keep the ERP version, the MES version, or a row given as JSON."
        )
        @OptionGroup var links: LinkOptions
        @Argument(help: "The ID `list` shows, as side:number.")
        var id: String
        @Option(help: "erp, mes, or the row to keep as a JSON object in the entity's neutral form.")
        var take: String

        func run() async throws {
            let take: Conflicts.Take
            switch self.take {
            case "erp", "mes": take = .side(self.take)
            default:
                guard let data = self.take.data(using: .utf8),
                    (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
                else {
                    printError("erpmes conflicts resolve: --take must be erp, mes or a JSON object")
                    throw ExitCode(ExitStatus.usage)
                }
                take = .payload(self.take)
            }
            let (side, number) = try parseID(self.id)
            for link in try self.links.links(command: "conflicts") {
                let done = try await withLinkConnections(link, command: "conflicts") { connections in
                    guard
                        let conflict = try await Conflicts.list(
                            connections[side]!,
                            side: side,
                            filter: KeyFilter(id: number)
                        )
                        .first
                    else { return false }
                    do {
                        try await Conflicts.resolve(
                            conflict,
                            take: take,
                            connections: connections,
                            by: ProcessInfo.processInfo.environment["USER"] ?? "erpmes"
                        )
                    } catch {
                        printError("erpmes conflicts resolve: \(error)")
                        throw ExitCode(1)
                    }
                    print(
                        "conflict \(self.id) resolved: entity \(conflict.entity) key \(conflict.key) takes \(self.take)"
                    )
                    return true
                }
                if done { return }
            }
            printError("erpmes conflicts: no open conflict \(self.id)")
            throw ExitCode(1)
        }
    }
}

private func findConflict(_ links: LinkOptions, _ id: String) async throws -> ParkedConflict {
    let (side, number) = try parseID(id)
    for link in try links.links(command: "conflicts") {
        let found = try await withLinkConnections(link, command: "conflicts") { connections in
            try await Conflicts.list(connections[side]!, side: side, filter: KeyFilter(id: number)).first
        }
        if let found { return found }
    }
    printError("erpmes conflicts: no open conflict \(id)")
    throw ExitCode(1)
}
