import ErpmesCore
import Foundation

/// A PostgreSQL cluster of the demo's own: initdb into a folder, a free port on 127.0.0.1 and a
/// unix socket in the folder, started as the `postgres` OS user when we are root (PostgreSQL
/// refuses root), stopped and removed at the end unless kept.
struct PrivateCluster {
    /// Why the cluster could not start, in words a new user can act on.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String
    let port: Int
    let binDirectory: String

    var dataDirectory: String { self.directory + "/data" }
    var logFile: String { self.directory + "/postgres.log" }

    /// A conninfo over the unix socket.
    func conninfo(database: String, user: String = "postgres") -> String {
        "host=\(self.directory) port=\(self.port) dbname=\(database) user=\(user)"
    }

    static var runningAsRoot: Bool { getuid() == 0 }

    /// initdb and start. `port` nil picks a free one; a given port that is taken is an error.
    static func start(directory: String?, port: Int?, say: (String) -> Void) throws -> PrivateCluster {
        let bin = try Self.findBinaries()
        let folder: String
        if let directory {
            folder = URL(fileURLWithPath: directory).standardizedFileURL.path
            if FileManager.default.fileExists(atPath: folder + "/data") {
                throw Failure(description: "\(folder)/data already exists: choose an empty folder with --data-dir")
            }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } else {
            let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            folder = base + "/erpmes-demo.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        if Self.runningAsRoot {
            guard Self.run("/usr/bin/id", ["postgres"], log: nil) == 0 else {
                throw Failure(
                    description:
                        "running as root needs the 'postgres' OS user to run PostgreSQL (it comes with the postgresql-15 package)"
                )
            }
            _ = Self.run("/bin/chown", ["postgres:", folder], log: nil)
        }
        let initLog = folder + "/initdb.log"
        let initStatus = Self.runAsOwner(
            bin + "/initdb",
            ["-D", folder + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            log: initLog
        )
        guard initStatus == 0 else {
            let text = (try? String(contentsOfFile: initLog, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: folder)
            if text.contains("No space left on device") {
                throw Failure(
                    description: "the disk is full: initdb could not write \(folder)/data (No space left on device)"
                )
            }
            throw Failure(description: "initdb failed in \(folder):\n\(text)")
        }
        let settings = """

            # erpmes demo: a throwaway cluster, fast rather than durable
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(folder)'
            fsync = off
            full_page_writes = off
            max_connections = 100
            log_min_messages = warning

            """
        if let handle = FileHandle(forWritingAtPath: folder + "/data/postgresql.conf") {
            handle.seekToEndOfFile()
            handle.write(Data(settings.utf8))
            handle.closeFile()
        }
        let candidates = port.map { [$0] } ?? (0..<8).map { _ in Int.random(in: 20_000..<60_000) }
        for candidate in candidates {
            let status = Self.runAsOwner(
                bin + "/pg_ctl",
                [
                    "-D", folder + "/data", "-l", folder + "/postgres.log", "-o", "-p \(candidate)", "-w", "-t", "60",
                    "start",
                ],
                log: folder + "/pg_ctl.log"
            )
            if status == 0 {
                return PrivateCluster(directory: folder, port: candidate, binDirectory: bin)
            }
            let log = (try? String(contentsOfFile: folder + "/postgres.log", encoding: .utf8)) ?? ""
            let taken = log.contains("could not bind") || log.contains("Address already in use")
            if taken && port == nil {
                try? FileManager.default.removeItem(atPath: folder + "/postgres.log")
                continue
            }
            try? FileManager.default.removeItem(atPath: folder)
            if taken {
                throw Failure(description: "port \(candidate) is taken: choose another with --port, or leave it out")
            }
            if log.contains("No space left on device") {
                throw Failure(description: "the disk is full: PostgreSQL could not start in \(folder)")
            }
            throw Failure(description: "PostgreSQL did not start:\n\(log.suffix(2000))")
        }
        try? FileManager.default.removeItem(atPath: folder)
        throw Failure(description: "no free TCP port found after \(candidates.count) tries: pass one with --port")
    }

    /// Stops the server (fast shutdown) and removes the folder.
    func stop() {
        _ = Self.runAsOwner(
            self.binDirectory + "/pg_ctl",
            ["-D", self.dataDirectory, "-m", "fast", "-w", "-t", "30", "stop"],
            log: nil
        )
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// initdb and pg_ctl: ERPMES_PG_BINDIR, PostgreSQL 15's Debian folder, the newest other one, PATH.
    static func findBinaries() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["ERPMES_PG_BINDIR"] {
            guard FileManager.default.isExecutableFile(atPath: given + "/initdb"),
                FileManager.default.isExecutableFile(atPath: given + "/pg_ctl")
            else {
                throw Failure(
                    description:
                        "PostgreSQL server binaries (initdb, pg_ctl) not found in ERPMES_PG_BINDIR=\(given): point it at the folder holding them, or unset it"
                )
            }
            return given
        }
        var candidates = ["/usr/lib/postgresql/15/bin"]
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }
                .map { "/usr/lib/postgresql/\($0)/bin" }
        }
        for path in (environment["PATH"] ?? "").split(separator: ":") { candidates.append(String(path)) }
        for candidate in candidates
        where FileManager.default.isExecutableFile(atPath: candidate + "/initdb")
            && FileManager.default.isExecutableFile(atPath: candidate + "/pg_ctl")
        {
            return candidate
        }
        throw Failure(
            description:
                "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install -y postgresql-15` (make demo does), or set ERPMES_PG_BINDIR"
        )
    }

    /// Runs a server binary as the cluster's OS user: `postgres` when we are root.
    private static func runAsOwner(_ executable: String, _ arguments: [String], log: String?) -> Int32 {
        if Self.runningAsRoot {
            return Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, log: log)
        }
        return Self.run(executable, arguments, log: log)
    }

    /// Runs a program, its output to `log` (or discarded), and waits; returns its exit status.
    ///
    /// posix_spawn and waitpid, not Foundation's Process: pg_ctl leaves a server behind that
    /// inherits the descriptors Process watches, and Process would wait for the server to exit.
    private static func run(_ executable: String, _ arguments: [String], log: String?) -> Int32 {
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            if Self.runningAsRoot { _ = chown(log, Self.postgresUID, Self.postgresGID) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log ?? "/dev/null", O_WRONLY | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    private static var postgresUID: uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    private static var postgresGID: gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }
}
