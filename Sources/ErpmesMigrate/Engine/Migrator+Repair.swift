import Foundation
import LibPQ

extension Migrator {
    /// Records that the schema already holds everything up to `version`, so `up` starts after it.
    /// Refused when the target already has history rows for versions.
    public func baseline(_ target: MigrationTarget, version: MigrationVersion, reason: String?) async throws {
        try await self.withLock(target) { work, _ in
            let store = HistoryStore(target: target, toolVersion: self.options.toolVersion)
            if try await store.exists(on: work),
                try await store.records(on: work).contains(where: { $0.kind == .versioned || $0.kind == .baseline })
            {
                throw MigrateFailure(
                    .refused,
                    target: target.name,
                    "target \(target.name) already has migration history; baseline is for a first run"
                )
            }
            try await work.withTransaction { tx in
                for command in store.bootstrap { try await tx.run(command) }
                try await tx.run(
                    store.insert(
                        HistoryStore.Entry(
                            version: version,
                            description: "baseline",
                            kind: .baseline,
                            script: "<baseline>",
                            checksum: nil,
                            status: .baseline,
                            reason: reason
                        )
                    )
                )
            }
            try await self.storeFingerprint(target, on: work)
            self.say("target \(target.name) baselined at version \(version)")
        }
    }

    /// What `repair` should record.
    public enum Repair: Sendable {
        /// The file's current checksum becomes the applied one (a cosmetic edit).
        case acceptChecksum(MigrationVersion)
        /// The version counts as applied without running it (it was applied by hand).
        case markApplied(MigrationVersion)
        /// A partial non-transactional file may resume although applied statements were edited.
        case resume(MigrationVersion)
    }

    /// Adds a repair row to the history; nothing is ever updated or deleted. Needs a reason.
    public func repair(_ target: MigrationTarget, _ repair: Repair, reason: String) async throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw MigrateFailure(
                .refused,
                target: target.name,
                "repair needs --reason: the history keeps why it was changed"
            )
        }
        let scan = self.scan(target)
        let version: MigrationVersion
        switch repair {
        case .acceptChecksum(let v), .markApplied(let v), .resume(let v): version = v
        }
        guard let file = scan.catalog.versioned.first(where: { $0.version == version }) else {
            throw MigrateFailure(.refused, target: target.name, "no file for version \(version) in \(target.files)")
        }
        try await self.withLock(target) { work, _ in
            let store = HistoryStore(target: target, toolVersion: self.options.toolVersion)
            try await self.prepareHistory(target, store, on: work)
            let analysis = HistoryAnalysis(
                target: target.name,
                versioned: scan.catalog.versioned,
                repeatables: [],
                history: try await store.records(on: work)
            )
            let state = analysis.versions[version]
            var entry = HistoryStore.Entry(
                version: version,
                description: file.description,
                kind: .repair,
                script: file.path,
                checksum: file.checksum.description,
                status: .checksumAccepted,
                reason: reason
            )
            switch repair {
            case .acceptChecksum:
                guard state?.applied == true else {
                    throw MigrateFailure(
                        .refused,
                        target: target.name,
                        "version \(version) is not applied; nothing to accept"
                    )
                }
            case .markApplied:
                guard state?.applied != true else {
                    throw MigrateFailure(.refused, target: target.name, "version \(version) is already applied")
                }
                entry.status = .markedApplied
                entry.statementsTotal = file.statements.count
            case .resume:
                guard let state, state.partial else {
                    throw MigrateFailure(.refused, target: target.name, "version \(version) is not partially applied")
                }
                let statements = try self.statements(of: file)
                entry.status = .resumeAccepted
                entry.statementsDone = state.statementsDone
                entry.statementsTotal = statements.count
                entry.statementChecksums = statements.prefix(state.statementsDone).map {
                    Checksum(of: $0.text).description
                }
            }
            try await work.run(store.insert(entry))
            self.say("recorded \(entry.status.rawValue) for version \(version) of target \(target.name)")
        }
    }

    /// Creates the next versioned file for `target`: `V<next>__<description>.sql`, with a header.
    /// - Returns: the new file's URL.
    public func newFile(_ target: MigrationTarget, description: String) throws -> URL {
        let words = description.lowercased().split { !($0.isLetter || $0.isNumber) }
        guard !words.isEmpty else {
            throw MigrateFailure(.refused, target: target.name, "the description needs letters or digits")
        }
        let scan = self.scan(target)
        if let problem = scan.problems.first {
            throw MigrateFailure(.invalid, target: target.name, problem.description)
        }
        let next =
            (scan.catalog.versioned.compactMap { $0.version?.description }.compactMap {
                Int($0.split(separator: ".").first ?? "")
            }.max() ?? 0) + 1
        let folder = self.options.directory.appendingPathComponent("Migrations/\(target.files)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("V\(next)__\(words.joined(separator: "_")).sql")
        let header =
            "-- \(description)\n-- Applied once, in one transaction, by `erpmes migrate up --target \(target.name)`.\n\n"
        guard FileManager.default.createFile(atPath: url.path, contents: Data(header.utf8)) else {
            throw MigrateFailure(.refused, target: target.name, "cannot create \(url.path)")
        }
        return url
    }
}
