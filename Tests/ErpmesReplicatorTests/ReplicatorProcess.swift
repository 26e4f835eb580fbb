import ErpmesTestSupport
import Foundation
import Synchronization

/// The replicators still running, killed when the test process exits (a failed test may leave one).
private let running = Mutex<Set<pid_t>>([])
/// The folders of configurations and logs, removed at exit unless ERPMES_KEEP_LOGS=1.
private let folders = Mutex<[String]>([])
private let killRunningAtExit: Void = {
    atexit {
        running.withLock { pids in
            for pid in pids { _ = kill(pid, SIGKILL) }
        }
        if ProcessInfo.processInfo.environment["ERPMES_KEEP_LOGS"] != "1" {
            folders.withLock { paths in
                for path in paths { try? FileManager.default.removeItem(atPath: path) }
            }
        }
    }
}()

/// `erpmes run --config FILE` as a child process, for tests that kill it with SIGKILL or read how
/// it exits. Its stderr goes to a file, so a failing test can show what the replicator said.
final class ReplicatorProcess: Sendable {
    let child: ChildProcess
    let log: URL

    private init(child: ChildProcess, log: URL) {
        self.child = child
        self.log = log
    }

    /// Writes the TOML configuration of the fixture's link (as `erpmes_run`) to a new file.
    static func writeConfiguration(
        _ fixture: ReplicationFixture,
        poll: String = "200ms",
        lockTimeout: String = "5s",
        rotateRows: Int = 1_000_000,
        batchKeys: Int = 10_000
    ) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = killRunningAtExit
        folders.withLock { $0.append(folder.path) }
        let file = folder.appendingPathComponent("erpmes.toml")
        let text = """
            [run]
            poll = "\(poll)"
            reconnect_max = "1s"
            lock_timeout = "\(lockTimeout)"
            rotate_rows = \(rotateRows)
            batch_keys = \(batchKeys)

            [links.plant1]
            erp = "\(fixture.erpConninfo) user=erpmes_run"
            mes = "\(fixture.mesConninfo) user=erpmes_run"
            timezone = "Europe/Berlin"

            """
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Starts `erpmes run --config configuration --log-level info`, without the test run's
    /// `ERPMES_` variables (they would override the file).
    static func start(_ configuration: URL) throws -> ReplicatorProcess {
        let log = configuration.deletingLastPathComponent()
            .appendingPathComponent("run-\(UUID().uuidString.prefix(8)).log")
        let child = try ChildProcess.spawn(
            ErpmesProcess.executable.path,
            [
                "run", "--config", configuration.path, "--log-level",
                ProcessInfo.processInfo.environment["ERPMES_TEST_RUN_LOG"] ?? "info",
            ],
            environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ERPMES_") },
            stderr: log.path
        )
        _ = killRunningAtExit
        running.withLock { _ = $0.insert(child.pid) }
        return ReplicatorProcess(child: child, log: log)
    }

    /// `kill -9`: the process gets no chance to roll back, close connections or release locks.
    func kill() async throws {
        self.child.kill(SIGKILL)
        _ = try await self.child.wait()
        running.withLock { _ = $0.remove(self.child.pid) }
    }

    /// Waits up to `timeout` for the process to exit by itself; kills it if it does not.
    /// - Returns: the exit status, or nil when it had to be killed or died of a signal.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        guard let ending = try await self.child.wait(timeout: timeout) else {
            try await self.kill()
            return nil
        }
        running.withLock { _ = $0.remove(self.child.pid) }
        if case .exited(let status) = ending { return status }
        return nil
    }

    /// The process's peak resident set size in bytes (VmHWM of /proc/PID/status), if readable.
    var peakResidentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(self.child.pid)/status", encoding: .utf8) else {
            return nil
        }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// What the process wrote to stderr so far.
    var output: String { (try? String(contentsOf: self.log, encoding: .utf8)) ?? "" }
}
