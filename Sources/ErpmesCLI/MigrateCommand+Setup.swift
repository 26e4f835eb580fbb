import ArgumentParser
import ErpmesCore
import ErpmesMigrate
import Foundation
import LibPQ
import Logging

extension MigrateOptions {
    /// The migrator and the targets this invocation acts on, in order.
    func setup(say: @escaping @Sendable (String) -> Void = { print($0) }) throws -> (Migrator, [MigrationTarget]) {
        var logger = Logger(label: "erpmes.migrate") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = self.verbose ? .debug : .warning
        let environment = ProcessInfo.processInfo.environment
        var placeholders: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix("ERPMES_PLACEHOLDER_") {
            placeholders[String(key.dropFirst("ERPMES_PLACEHOLDER_".count)).lowercased()] = value
        }
        var directory = self.dir
        var lockWait = self.lockWait
        var lockTimeout = self.lockTimeout
        var targets: [MigrationTarget] = []
        var order: [String] = []
        if let path = self.config {
            let settings = try MigrateSettings.load(path: path, environment: environment)
            directory = directory ?? settings.directory
            lockWait = lockWait ?? settings.lockWait
            lockTimeout = lockTimeout ?? settings.lockTimeout
            placeholders.merge(settings.placeholders) { environmentValue, _ in environmentValue }
            targets = settings.targets
            order = settings.order
        }
        for placeholder in self.placeholders {
            let parts = placeholder.split(separator: "=", maxSplits: 1).map(String.init)
            placeholders[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        if let conninfo = self.conninfo ?? environment["ERPMES_MIGRATE_CONNINFO"], self.target != "all" {
            if let index = targets.firstIndex(where: { $0.name == self.target }) {
                targets[index].conninfo = Secret(conninfo)
            } else {
                let schemas = self.target == "erpmes" ? ["erpmes"] : ["public"]
                targets.append(MigrationTarget(name: self.target, conninfo: Secret(conninfo), schemas: schemas))
            }
        }
        var options = MigratorOptions(
            directory: URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath)
        )
        options.placeholders = placeholders
        if let lockWait {
            guard let duration = parseDuration(lockWait) else {
                throw ValidationError("--lock-wait: '\(lockWait)' is not a duration like 30s or 5min.")
            }
            options.lockWait = duration
        }
        if let lockTimeout {
            guard let value = LockTimeout(parsing: lockTimeout) else {
                throw ValidationError("--lock-timeout: '\(lockTimeout)' is not a duration like 3s or 500ms.")
            }
            options.lockTimeout = value
        }
        options.toolVersion = Erpmes.configuration.version
        let migrator = Migrator(options: options, targets: targets, logger: logger, say: say)
        let selected: [MigrationTarget]
        if self.target == "all" {
            let names = order.isEmpty ? targets.map(\.name) : order
            selected = try names.map { try migrator.target($0) }
        } else {
            selected = [try migrator.target(self.target)]
        }
        return (migrator, selected)
    }
}

/// `500ms`, `3s`, `5min`, `2h`.
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("min", 60), ("s", 1), ("h", 3600), ("d", 86_400)]
    for (suffix, seconds) in units where text.hasSuffix(suffix) {
        guard let value = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value >= 0 else {
            return nil
        }
        return .milliseconds(Int64(value * seconds * 1000))
    }
    return Double(text).map { .milliseconds(Int64($0 * 1000)) }
}

/// Runs `body`, turning migration failures into a printed message and an exit code: 2 invalid,
/// 4 a file failed, 70 could not run (connection, lock wait), 78 bad configuration.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as MigrateFailure {
        printError("erpmes migrate: \(failure)")
        switch failure.code {
        case .invalid, .refused, .requirement: throw ExitCode(2)
        case .sql: throw ExitCode(4)
        default: throw ExitCode(ExitStatus.couldNotRun)
        }
    } catch let error as ConfigError {
        printError("erpmes migrate: \(error)")
        throw ExitCode(ExitStatus.badConfiguration)
    } catch let error as PQError {
        printError("erpmes migrate: \(error)")
        throw ExitCode(ExitStatus.couldNotRun)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
