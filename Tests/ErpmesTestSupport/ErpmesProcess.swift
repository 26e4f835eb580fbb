import Foundation

/// Runs the built `erpmes` executable, for tests of the command line: exit codes, output, and what
/// happens when the process is killed.
///
/// Output goes to files, not pipes: a server another test starts at the same moment can inherit a
/// pipe's write end, and a reader waiting for end-of-file would then wait as long as that server runs.
public struct ErpmesProcess: Sendable {
    /// The `erpmes` binary beside the test bundle (`swift build --build-tests` builds both).
    public static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("erpmes")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/erpmes")
    }

    /// What a finished run printed and returned.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `erpmes arguments...` and returns the running process, for tests that kill it.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess.spawn(
            self.executable.path,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            stderr: "/dev/null"
        )
    }

    /// Runs `erpmes arguments...` to completion.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stdout = folder.appendingPathComponent("stdout").path
        let stderr = folder.appendingPathComponent("stderr").path
        let child = try ChildProcess.spawn(
            self.executable.path,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            stdout: stdout,
            stderr: stderr
        )
        let status: Int32
        switch try await child.wait() {
        case .exited(let code): status = code
        case .signalled(let signal): status = 128 + signal
        }
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        )
    }
}
