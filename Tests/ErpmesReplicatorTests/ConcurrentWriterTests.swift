import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct ConcurrentWriterTests {
    /// Random 0-2 ms, so transactions stay open across ticks and interleave differently each run.
    static func pause() async throws { try await Task.sleep(for: .microseconds(Int.random(in: 0...2_000))) }

    @Test(
        "8 concurrent writers, every 10th transaction rolled back, random sleeps: target equals source",
        .freshDatabase
    )
    func concurrentWritersWithRollbacks() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        let writers = 8
        let perWriter = Scale.pick(2_000, soak: 20_000) / writers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let connection = try await fixture.erp()
                group.addTask { try await Self.write(connection, writer: writer, transactions: perWriter) }
            }
            try await group.waitForAll()
        }
        #expect(try await fixture.converged())
        #expect(try await fixture.pending(.erpToMES) == 0)
        // Rolled-back transactions and rolled-back savepoints wrote only these; none may arrive.
        let leaked = "SELECT count(*) FROM item WHERE id >= 1000000 OR name = 'rolled back'"
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, leaked) == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, leaked) == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) > 0 FROM item") == "t")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    /// One writer: transactions of 1-3 upserts or deletes on keys 1...200 in key order (no
    /// deadlocks), every 10th rolled back after writing rows that must never arrive, and some
    /// committed ones with a rolled-back savepoint.
    static func write(_ connection: PQConnection, writer: Int, transactions: Int) async throws {
        for t in 0..<transactions {
            let rollback = t % 10 == 9
            let keys = Set((0..<Int.random(in: 1...3)).map { _ in Int.random(in: 1...200) }).sorted()
            try await connection.query("BEGIN")
            for key in keys {
                if rollback {
                    try await connection.query(
                        "INSERT INTO item (id, name, qty) VALUES ($1, 'rolled back', -1) ON CONFLICT (id) DO UPDATE SET name = 'rolled back'",
                        [key]
                    )
                } else if Int.random(in: 0..<5) == 0 {
                    try await connection.query("DELETE FROM item WHERE id = $1", [key])
                } else {
                    try await connection.query(
                        "INSERT INTO item AS i (id, name, qty) VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = i.qty + 1",
                        [key, "w\(writer) t\(t)"]
                    )
                }
                try await Self.pause()
            }
            if rollback {
                try await connection.query(
                    "INSERT INTO item (id, name) VALUES ($1, 'rolled back')",
                    [1_000_000 + writer * 100_000 + t]
                )
                try await connection.query("ROLLBACK")
            } else {
                if t % 10 == 4 {
                    try await connection.query("SAVEPOINT s")
                    try await connection.query(
                        "INSERT INTO item (id, name) VALUES ($1, 'rolled back')",
                        [2_000_000 + writer * 100_000 + t]
                    )
                    try await connection.query("ROLLBACK TO SAVEPOINT s")
                }
                try await connection.query("COMMIT")
            }
        }
        await connection.close()
    }

    @Test("a reader polling the target every 10 ms never sees an order without its lines", .freshDatabase)
    func ordersArriveWithTheirLines() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareOrders()
        let replicator = try await fixture.startReplicator()
        let reader = try await fixture.mes()
        let invariant = """
            SELECT (SELECT count(*) FROM orders AS o
                    WHERE o.lines <> (SELECT count(*) FROM order_line AS l WHERE l.order_id = o.id))
                 + (SELECT count(*) FROM order_line AS l WHERE NOT EXISTS (SELECT FROM orders AS o WHERE o.id = l.order_id))
            """
        let perWriter = Scale.pick(150, soak: 2_500)
        let readings = try await withThrowingTaskGroup(of: (reads: Int, broken: Int)?.self) { group in
            for writer in 1...4 {
                let connection = try await fixture.erp()
                group.addTask {
                    try await Self.writeOrders(connection, writer: writer, transactions: perWriter)
                    return nil
                }
            }
            group.addTask {
                var reads = 0
                var broken = 0
                while !Task.isCancelled {
                    do {
                        if try await reader.query(invariant).first?[0] != "0" { broken += 1 }
                    } catch {
                        if Task.isCancelled { break }
                        throw error
                    }
                    reads += 1
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return (reads, broken)
            }
            for _ in 1...4 { _ = try await group.next() }
            // Keep reading while the last batches apply.
            _ = try await fixture.converged("public.orders", "id, lines, note")
            group.cancelAll()
            return try await group.next() ?? nil
        }
        #expect(readings?.broken == 0)
        #expect((readings?.reads ?? 0) > 20)
        #expect(try await fixture.converged("public.orders", "id, lines, note"))
        #expect(try await fixture.converged("public.order_line", "id, order_id, qty"))
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, invariant) == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) > 0 FROM order_line") == "t")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    /// One writer's orders (ids `writer * 100000 + n`): each transaction creates an order with 1-5
    /// lines, replaces the lines of an earlier order, or deletes one with its lines, pausing
    /// between statements.
    static func writeOrders(_ connection: PQConnection, writer: Int, transactions: Int) async throws {
        var open: [Int] = []
        var nextLine = writer * 10_000_000
        for n in 1...transactions {
            try await connection.query("BEGIN")
            let choice = open.isEmpty ? 0 : Int.random(in: 0..<10)
            if choice < 7 {
                let order = writer * 100_000 + n
                let lines = Int.random(in: 1...5)
                try await connection.query(
                    "INSERT INTO orders (id, lines, note) VALUES ($1, $2, 'new')",
                    [order, lines]
                )
                for _ in 0..<lines {
                    try await Self.pause()
                    nextLine += 1
                    try await connection.query(
                        "INSERT INTO order_line (id, order_id, qty) VALUES ($1, $2, $3)",
                        [nextLine, order, Int.random(in: 1...99)]
                    )
                }
                open.append(order)
            } else if choice < 9 {
                let order = open.randomElement() ?? 0
                let lines = Int.random(in: 1...5)
                try await connection.query("DELETE FROM order_line WHERE order_id = $1", [order])
                try await Self.pause()
                for _ in 0..<lines {
                    nextLine += 1
                    try await connection.query(
                        "INSERT INTO order_line (id, order_id, qty) VALUES ($1, $2, 1)",
                        [nextLine, order]
                    )
                }
                try await Self.pause()
                try await connection.query(
                    "UPDATE orders SET lines = $2, note = 'amended' WHERE id = $1",
                    [order, lines]
                )
            } else {
                let order = open.remove(at: Int.random(in: 0..<open.count))
                try await connection.query("DELETE FROM order_line WHERE order_id = $1", [order])
                try await Self.pause()
                try await connection.query("DELETE FROM orders WHERE id = $1", [order])
            }
            try await connection.query("COMMIT")
        }
        await connection.close()
    }
}
