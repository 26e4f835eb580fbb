import LibPQ

/// A steady write load on the ERP side for the `item` and `movement` entities.
enum Load {
    /// One transaction: 1-3 movements of items 1...50 (ids `writer * 1000000 + n`, quarter units)
    /// and one item upsert.
    static func transaction(_ connection: PQConnection, writer: Int, n: inout Int) async throws {
        try await connection.query("BEGIN")
        for _ in 0..<Int.random(in: 1...3) {
            n += 1
            try await connection.query(
                "INSERT INTO movement (id, item_id, qty) VALUES ($1, $2, $3::numeric / 4)",
                [writer * 1_000_000 + n, Int.random(in: 1...50), Int.random(in: 1...400)]
            )
        }
        try await connection.query(
            "INSERT INTO item AS i (id, name, qty) VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = i.qty + 1",
            [Int.random(in: 1...50), "w\(writer) n\(n)"]
        )
        try await connection.query("COMMIT")
    }

    /// Writes transactions on `connection` until the task is cancelled.
    static func run(_ connection: PQConnection, writer: Int) async throws {
        var n = 0
        while !Task.isCancelled {
            do {
                try await Self.transaction(connection, writer: writer, n: &n)
            } catch {
                if Task.isCancelled { break }
                throw error
            }
        }
        await connection.close()
    }

    /// Writes transactions until the task is cancelled, reconnecting whenever the server goes away
    /// (a restart or a crash). An id is never reused, even when a COMMIT's outcome was unknown.
    static func surviving(_ fixture: ReplicationFixture, writer: Int) async throws {
        var connection: PQConnection?
        var n = 0
        while !Task.isCancelled {
            do {
                let live: PQConnection
                if let connection {
                    live = connection
                } else {
                    live = try await fixture.erp()
                    connection = live
                }
                try await Self.transaction(live, writer: writer, n: &n)
            } catch {
                if Task.isCancelled { break }
                await connection?.close()
                connection = nil
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        await connection?.close()
    }

    /// ERP's movement sums per item, and MES's `stock`, each as rows of text.
    static func sums(_ fixture: ReplicationFixture) async throws -> (erp: [[String?]], mes: [[String?]]) {
        let erp = try await fixture.erpAdmin.query(
            "SELECT item_id, sum(qty), count(*) FROM movement GROUP BY item_id ORDER BY item_id"
        )
        let mes = try await fixture.mesAdmin.query("SELECT item_id, qty, moves FROM stock ORDER BY item_id")
        return (erp.map { [$0[0], $0[1], $0[2]] }, mes.map { [$0[0], $0[1], $0[2]] })
    }
}
