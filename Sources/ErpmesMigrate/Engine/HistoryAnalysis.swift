import Foundation

/// Compares a target's files with its history: what is applied, pending, failed, partial,
/// changed, missing or out of order. Pure: no database, so every rule is tested on its own.
struct HistoryAnalysis: Sendable {
    /// What the history says about one version, after replaying every row in order.
    struct VersionState: Sendable {
        var applied = false
        var checksum: String?
        var failed = false
        var partial = false
        var statementsDone = 0
        var statementsTotal: Int?
        var statementChecksums: [String] = []
        var script = ""
        var description = ""
        var appliedAt: Date?
        var sqlState: String?
        var message: String?
    }

    /// A versioned file that `up` must run, and where to start in it.
    struct Work: Sendable {
        var file: MigrationFile
        /// Statements already applied (non-transactional files that stopped part way).
        var resumeAt: Int
        /// Checksums of the statements recorded as applied, to refuse resuming an edited file.
        var appliedStatementChecksums: [String]
    }

    let target: String
    var versions: [MigrationVersion: VersionState] = [:]
    var repeatableChecksums: [String: String] = [:]
    var repeatableFailures: [String: (checksum: String?, sqlState: String?, message: String?)] = [:]
    var baseline: MigrationVersion?
    var status: MigrationStatus
    var pendingVersioned: [Work] = []
    var pendingRepeatable: [MigrationFile] = []

    init(
        target: String,
        versioned: [MigrationFile],
        repeatables: [MigrationFile],
        history: [HistoryRecord],
        allowOutOfOrder: Set<MigrationVersion> = []
    ) {
        self.target = target
        self.status = MigrationStatus(
            target: target,
            currentVersion: nil,
            entries: [],
            problems: [],
            drift: nil,
            exitBits: 0
        )
        self.replay(history)
        self.compare(versioned, allowOutOfOrder: allowOutOfOrder)
        self.compareRepeatables(repeatables)
    }

    private mutating func replay(_ history: [HistoryRecord]) {
        for record in history {
            if record.kind == .repeatable {
                if record.status == .applied {
                    self.repeatableChecksums[record.script] = record.checksum
                    self.repeatableFailures[record.script] = nil
                } else if record.status == .failed {
                    self.repeatableFailures[record.script] = (record.checksum, record.sqlState, record.message)
                }
                continue
            }
            guard let version = record.version else { continue }
            if record.kind == .baseline {
                self.baseline = max(self.baseline ?? version, version)
                continue
            }
            var state = self.versions[version] ?? VersionState()
            state.script = record.script
            state.description = record.description
            switch record.status {
            case .applied, .markedApplied:
                state.applied = true
                state.failed = false
                state.partial = false
                state.checksum = record.checksum
                state.appliedAt = record.finishedAt
                state.statementsDone = record.statementsTotal ?? 0
                state.statementChecksums = record.statementChecksums ?? []
            case .checksumAccepted:
                state.checksum = record.checksum
            case .failed:
                if !state.applied {
                    state.failed = true
                    state.partial = (record.statementsDone ?? 0) > 0
                    state.statementsDone = record.statementsDone ?? 0
                    state.statementsTotal = record.statementsTotal
                    state.statementChecksums = record.statementChecksums ?? []
                }
                state.sqlState = record.sqlState
                state.message = record.message
            case .partial:
                state.partial = true
                state.failed = false
                state.statementsDone = record.statementsDone ?? 0
                state.statementsTotal = record.statementsTotal
                state.statementChecksums = record.statementChecksums ?? []
            case .resumeAccepted:
                state.statementChecksums = record.statementChecksums ?? []
            case .baseline:
                break
            }
            self.versions[version] = state
        }
    }

    private mutating func compare(_ files: [MigrationFile], allowOutOfOrder: Set<MigrationVersion>) {
        let highestApplied = self.versions.filter { $0.value.applied }.keys.max()
        let current = [highestApplied, self.baseline].compactMap { $0 }.max()
        self.status.currentVersion = current?.description
        var seen: Set<MigrationVersion> = []
        for file in files {
            guard let version = file.version else { continue }
            seen.insert(version)
            var entry = MigrationStatus.Entry(
                kind: "versioned",
                version: version.description,
                description: file.description,
                script: file.path,
                state: "pending",
                checksum: file.checksum.description
            )
            let state = self.versions[version]
            entry.appliedChecksum = state?.checksum
            entry.appliedAt = state?.appliedAt.map { ISO8601DateFormatter().string(from: $0) }
            if let state, state.applied {
                if state.checksum == file.checksum.description {
                    entry.state = "applied"
                } else {
                    entry.state = "changed"
                    self.problem(
                        MigrationStatus.invalidBit,
                        "\(file.path): changed after it was applied (applied \(state.checksum ?? "none"), file now "
                            + "\(file.checksum)); fix forward with a new version, or run `repair accept-checksum "
                            + "\(version)` if the change is cosmetic"
                    )
                }
            } else if let baseline = self.baseline, version <= baseline {
                entry.state = "baseline"
            } else if let state, state.partial || state.failed {
                entry.state = state.partial ? "partial" : "failed"
                entry.statementsDone = state.partial ? state.statementsDone : nil
                entry.statementsTotal = state.partial ? (state.statementsTotal ?? file.statements.count) : nil
                entry.sqlState = state.sqlState
                entry.message = state.message
                let progress = state.partial ? " (partial \(state.statementsDone)/\(entry.statementsTotal ?? 0))" : ""
                self.problem(
                    MigrationStatus.failedBit,
                    "\(file.path): last attempt failed\(progress)"
                        + (state.sqlState.map { ": ERROR \($0): " } ?? ": ") + (state.message ?? "")
                )
                self.pendingVersioned.append(
                    Work(
                        file: file,
                        resumeAt: state.partial ? state.statementsDone : 0,
                        appliedStatementChecksums: state.statementChecksums
                    )
                )
            } else if let current, version < current, !allowOutOfOrder.contains(version) {
                entry.state = "out-of-order"
                self.problem(
                    MigrationStatus.invalidBit,
                    "\(file.path): version \(version) is older than the applied \(current); run it with "
                        + "--allow-out-of-order \(version) if that is intended"
                )
            } else {
                self.status.exitBits |= MigrationStatus.pendingBit
                self.pendingVersioned.append(Work(file: file, resumeAt: 0, appliedStatementChecksums: []))
            }
            self.status.entries.append(entry)
        }
        for (version, state) in self.versions.sorted(by: { $0.key < $1.key }) where !seen.contains(version) {
            guard state.applied || state.partial else { continue }
            self.status.entries.append(
                MigrationStatus.Entry(
                    kind: "versioned",
                    version: version.description,
                    description: state.description,
                    script: state.script,
                    state: "missing",
                    checksum: nil,
                    appliedChecksum: state.checksum
                )
            )
            self.problem(
                MigrationStatus.invalidBit,
                "\(state.script): applied as version \(version) but the file is missing"
            )
        }
        self.status.entries.sort { lhs, rhs in
            (lhs.version.flatMap(MigrationVersion.init) ?? MigrationVersion("0")!)
                < (rhs.version.flatMap(MigrationVersion.init) ?? MigrationVersion("0")!)
        }
    }

    private mutating func compareRepeatables(_ files: [MigrationFile]) {
        for file in files {
            let applied = self.repeatableChecksums[file.path]
            var entry = MigrationStatus.Entry(
                kind: "repeatable",
                version: nil,
                description: file.description,
                script: file.path,
                state: applied == file.checksum.description ? "applied" : "pending",
                checksum: file.checksum.description,
                appliedChecksum: applied
            )
            if entry.state == "pending" {
                if let failure = self.repeatableFailures[file.path], failure.checksum == file.checksum.description {
                    entry.state = "failed"
                    entry.sqlState = failure.sqlState
                    entry.message = failure.message
                    self.problem(
                        MigrationStatus.failedBit,
                        "\(file.path): last attempt failed" + (failure.sqlState.map { ": ERROR \($0): " } ?? ": ")
                            + (failure.message ?? "")
                    )
                } else {
                    self.status.exitBits |= MigrationStatus.pendingBit
                }
                self.pendingRepeatable.append(file)
            }
            self.status.entries.append(entry)
        }
    }

    private mutating func problem(_ bit: Int32, _ message: String) {
        self.status.exitBits |= bit
        self.status.problems.append(message)
    }

    /// True when `validate` found something `up` must not run over.
    var isInvalid: Bool { self.status.exitBits & MigrationStatus.invalidBit != 0 }
}
