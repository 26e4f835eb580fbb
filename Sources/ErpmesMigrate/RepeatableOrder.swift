/// The order repeatable files run in: each after every file it names in `-- erpmes:requires`.
///
/// Among files that do not depend on each other the order is alphabetical, so it is the same on every
/// machine and in every run, and `plan` output does not change unless the files do.
public enum RepeatableOrder {
    /// Sorts repeatable files topologically by their `requires` lines.
    /// - Parameter files: The repeatable files of one target.
    /// - Returns: The files, each after the files it requires; alphabetical where free to choose.
    /// - Throws: ``MigrationError`` `.missingDependency` at the `requires` line naming a file that is not
    ///   there, or `.dependencyCycle` listing the cycle (`a.sql -> b.sql -> a.sql`).
    public static func sorted(_ files: [MigrationFile]) throws(MigrationError) -> [MigrationFile] {
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let names = byName.keys.sorted()
        var requires: [String: [String]] = [:]
        for name in names {
            let file = byName[name]!
            var seen = Set<String>()
            for requirement in file.directives.requires where seen.insert(requirement.name).inserted {
                guard byName[requirement.name] != nil else {
                    let folder = file.path.split(separator: "/").dropLast().joined(separator: "/")
                    throw MigrationError(
                        code: .missingDependency,
                        file: file.path,
                        at: requirement.location,
                        message: "requires \(requirement.name), which is not in \(folder)/"
                    )
                }
                requires[name, default: []].append(requirement.name)
            }
        }

        // Kahn's algorithm, always taking the alphabetically first file that is ready.
        var waitingOn = names.reduce(into: [String: Int]()) { $0[$1] = requires[$1]?.count ?? 0 }
        var dependents: [String: [String]] = [:]
        for name in names {
            for required in requires[name] ?? [] { dependents[required, default: []].append(name) }
        }
        var ready = names.filter { waitingOn[$0] == 0 }
        var order: [String] = []
        while !ready.isEmpty {
            let name = ready.removeFirst()
            order.append(name)
            for dependent in dependents[name] ?? [] {
                waitingOn[dependent]! -= 1
                if waitingOn[dependent] == 0 {
                    ready.insert(dependent, at: ready.firstIndex { $0 > dependent } ?? ready.endIndex)
                }
            }
        }
        if order.count < names.count {
            throw Self.cycleError(among: Set(names).subtracting(order), requires: requires, files: byName)
        }
        return order.map { byName[$0]! }
    }

    /// Follows `requires` from the first file left over by Kahn's algorithm until a file repeats.
    /// Every leftover file requires another leftover file, so the walk always closes a cycle.
    private static func cycleError(
        among leftover: Set<String>,
        requires: [String: [String]],
        files: [String: MigrationFile]
    ) -> MigrationError {
        var path = [leftover.min()!]
        while true {
            let next = requires[path.last!]!.filter(leftover.contains).min()!
            if let start = path.firstIndex(of: next) {
                let cycle = Array(path[start...]) + [next]
                let file = files[cycle[0]]!
                let requirement = file.directives.requires.first { $0.name == cycle[1] }!
                return MigrationError(
                    code: .dependencyCycle,
                    file: file.path,
                    at: requirement.location,
                    message: "requires form a cycle: \(cycle.joined(separator: " -> "))"
                )
            }
            path.append(next)
        }
    }
}
