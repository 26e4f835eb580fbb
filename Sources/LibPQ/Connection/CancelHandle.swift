import CLibPQ
import Foundation

/// Sends a cancel request for the statement a connection is running, from any thread.
///
/// `PQcancel` is the one libpq call that is safe from another thread. The handle only cancels while
/// a statement is marked active, so a late cancel does not hit the next statement.
// @unchecked Sendable: every field is read and written under `lock`; the PGcancel object is only
// freed in `deinit`, when no other reference exists.
final class CancelHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var pgCancel: OpaquePointer?  // PGcancel *
    private var active = false
    private var requested = false

    init() {}

    func attach(_ connection: OpaquePointer) {
        self.lock.withLock {
            if let old = self.pgCancel { PQfreeCancel(old) }
            self.pgCancel = PQgetCancel(connection)
        }
    }

    /// Marks a statement as running; returns false if cancellation was already requested for it.
    func begin() {
        self.lock.withLock {
            self.active = true
            self.requested = false
        }
    }

    /// Marks the statement as done and tells whether a cancel was sent for it.
    @discardableResult
    func end() -> Bool {
        self.lock.withLock {
            self.active = false
            return self.requested
        }
    }

    func cancel() {
        self.lock.withLock {
            guard self.active, let pgCancel = self.pgCancel else { return }
            self.requested = true
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pgCancel, &buffer, Int32(buffer.count))
        }
    }

    deinit {
        if let pgCancel { PQfreeCancel(pgCancel) }
    }
}

/// A pipe whose write end interrupts a `poll` on the read end: how a waiting LISTEN wakes on
/// task cancellation without sleep-polling.
final class WakePipe: Sendable {
    let readFD: Int32
    let writeFD: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw PQError(code: .client, message: "could not create wake-up pipe: \(String(cString: strerror(errno)))")
        }
        self.readFD = fds[0]
        self.writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(self.writeFD, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(self.readFD, &buffer, buffer.count) > 0 {}
    }

    deinit {
        close(self.readFD)
        close(self.writeFD)
    }
}
