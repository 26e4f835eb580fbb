import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Synchronization

@testable import ErpmesMigrate

/// Folders of fixtures, removed at exit too: a fixture a failed expectation keeps alive is not
/// deinitialised before the test process ends.
private let fixtureFolders = Mutex<[String]>([])
private let removeFoldersAtExit: Void = {
    atexit {
        fixtureFolders.withLock { paths in
            for path in paths { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}()

/// A temporary migrations folder and a migrator pointed at the test's database, target `app`.
final class MigrationFixture: Sendable {
    let directory: URL
    let conninfo: String
    let lines = Mutex<[String]>([])

    init() async throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "erpmes-migrate-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.conninfo = try await TestDatabase.conninfo()
        _ = removeFoldersAtExit
        let path = self.directory.path
        fixtureFolders.withLock { $0.append(path) }
    }

    deinit { try? FileManager.default.removeItem(at: self.directory) }

    /// Writes `text` to `path` (relative to the folder), creating folders.
    func write(_ path: String, _ text: String) throws {
        let url = self.directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func remove(_ path: String) throws {
        try FileManager.default.removeItem(at: self.directory.appendingPathComponent(path))
    }

    var target: MigrationTarget { MigrationTarget(name: "app", conninfo: Secret(self.conninfo)) }

    func migrator(
        lockTimeout: Int = 3000,
        lockWait: Duration = .seconds(30),
        placeholders: [String: String] = [:],
        targets: [MigrationTarget]? = nil
    ) -> Migrator {
        var options = MigratorOptions(directory: self.directory)
        options.lockTimeout = LockTimeout(milliseconds: lockTimeout)!
        options.lockWait = lockWait
        options.placeholders = placeholders
        return Migrator(
            options: options,
            targets: targets ?? [self.target],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            say: { line in self.lines.withLock { $0.append(line) } }
        )
    }

    /// What the migrator printed so far.
    var output: [String] { self.lines.withLock { $0 } }

    func history(_ connection: PQConnection, target: String = "app") async throws -> [HistoryRecord] {
        try await connection.query(
            "SELECT * FROM erpmes_migrate.\(SQLQuote.identifier("\(target)_history")) ORDER BY attempt"
        )
        .map(HistoryRecord.init(row:))
    }
}
