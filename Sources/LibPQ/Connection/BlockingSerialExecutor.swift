import Dispatch

/// A serial executor that runs an actor's jobs on its own dispatch queue.
///
/// libpq calls block (network reads, `poll`); run on Swift's cooperative pool they would hold one of
/// its few threads. A serial dispatch queue targets libdispatch's overcommit pool, which adds a
/// thread when one blocks, so a connection waiting on the network starves no one.
final class BlockingSerialExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) { self.queue = DispatchQueue(label: label) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Runs `body` on the queue and returns its result: for work done before the actor exists.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
