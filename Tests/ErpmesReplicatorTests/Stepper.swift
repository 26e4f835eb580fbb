import ErpmesCore
import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Synchronization

@testable import ErpmesReplicator

/// Both directions of the fixture's link, driven batch by batch from the test instead of by a
/// running `erpmes run`, so a scenario decides which side's changes apply first.
final class Stepper: Sendable {
    private let state: Mutex<[Direction: DirectionReplicator]>
    private let connections: [PQConnection]

    private init(_ replicators: [Direction: DirectionReplicator], _ connections: [PQConnection]) {
        self.state = Mutex(replicators)
        self.connections = connections
    }

    static func start(_ fixture: ReplicationFixture) async throws -> Stepper {
        let link = try await fixture.configuration().links[0]
        var replicators: [Direction: DirectionReplicator] = [:]
        var connections: [PQConnection] = []
        for direction in Direction.allCases {
            let erp = try await fixture.erp(user: "erpmes_run")
            let mes = try await fixture.mes(user: "erpmes_run")
            connections += [erp, mes]
            replicators[direction] = try await DirectionReplicator.start(
                link: link,
                direction: direction,
                source: direction == .erpToMES ? erp : mes,
                target: direction == .erpToMES ? mes : erp,
                lockTimeout: .seconds(5),
                logger: ReplicationFixture.logger
            )
        }
        return Stepper(replicators, connections)
    }

    /// Runs batches of one direction until it has nothing new; returns how many batches ran (a
    /// batch may apply nothing and still matter: a refused request queues the owner's answer).
    @discardableResult
    func drain(_ direction: Direction) async throws -> Int {
        var replicator = self.state.withLock { $0[direction]! }
        var total = 0
        while try await replicator.runBatch() != nil {
            total += 1
        }
        let done = replicator
        self.state.withLock { $0[direction] = done }
        return total
    }

    /// Drains `first`, then the other direction, until neither has anything new.
    func settle(first: Direction = .erpToMES) async throws {
        let order: [Direction] = first == .erpToMES ? [.erpToMES, .mesToERP] : [.mesToERP, .erpToMES]
        for _ in 0..<10 {
            var moved = 0
            for direction in order { moved += try await self.drain(direction) }
            if moved == 0 { return }
        }
    }

    func close() async {
        for connection in self.connections { await connection.close() }
    }
}
