import Foundation
import LibPQ

/// A child process started with `posix_spawn` and reaped by polling `waitpid`, for tests that run
/// servers or kill the replicator.
///
/// Not Foundation's `Process`: its exit monitor has been seen to miss a child's SIGCHLD under
/// load, leaving the child a zombie and `waitUntilExit` or a termination handler waiting for ever.
/// Polling never blocks a thread of the cooperative pool.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    public let pid: pid_t

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` with `arguments`; stdout and stderr go to the named files (appended,
    /// created if needed), or `/dev/null` for stdout and this process's stderr when nil.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stdout: String? = nil,
        stderr: String? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw PQError(code: .client, message: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Runs a command to completion and throws unless it exits with status 0.
    public static func run(_ executable: String, _ arguments: [String]) async throws {
        let ending = try await Self.spawn(executable, arguments).wait()
        guard ending == .exited(0) else {
            throw PQError(
                code: .client,
                message: "\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")): \(ending)"
            )
        }
    }

    /// Sends `signal` (SIGKILL: `kill -9`).
    public func kill(_ signal: Int32 = SIGKILL) {
        _ = Foundation.kill(self.pid, signal)
    }

    /// Waits for the child to end, or for `timeout`; returns nil when it is still running then.
    /// Call it once the child ended, or it stays a zombie.
    public func wait(timeout: Duration) async throws -> Ending? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(self.pid, &status, WNOHANG)
            if reaped == self.pid {
                // WIFEXITED, WEXITSTATUS and WTERMSIG are macros Swift cannot see.
                return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            }
            if reaped == -1 && errno != EINTR {
                throw PQError(code: .client, message: "waitpid \(self.pid): \(String(cString: strerror(errno)))")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// `wait()` without a timeout.
    public func wait() async throws -> Ending {
        guard let ending = try await self.wait(timeout: .seconds(86_400)) else {
            throw PQError(code: .client, message: "process \(self.pid) did not end")
        }
        return ending
    }
}
