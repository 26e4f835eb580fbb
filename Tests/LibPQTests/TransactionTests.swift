import ErpmesTestSupport
import LibPQ
import Testing

@Suite struct TransactionTests {
    @Test("a unique violation inside a transaction rolls back the rows written before it", .freshDatabase)
    func uniqueViolationRollsBack() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE public.item (item_no text PRIMARY KEY)")
        let error = try await #require(throws: PQError.self) {
            try await connection.withTransaction { tx in
                try await tx.query("INSERT INTO public.item (item_no) VALUES ($1)", ["A-100"])
                try await tx.query("INSERT INTO public.item (item_no) VALUES ($1)", ["A-100"])
            }
        }
        #expect(error.sqlState == .uniqueViolation)
        let rows = try await connection.query("SELECT count(*) AS n FROM public.item")
        #expect(rows.first?["n"] == "0")
        #expect(await connection.transactionStatus == .idle)
    }

    @Test("a Swift error thrown in the body rolls back too; a clean body commits", .freshDatabase)
    func swiftErrorRollsBack() async throws {
        struct Boom: Error {}
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE t (id int)")
        await #expect(throws: Boom.self) {
            try await connection.withTransaction { tx in
                try await tx.query("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        let committed = try await connection.withTransaction { tx in
            try await tx.query("INSERT INTO t VALUES (2)")
            return try await tx.query("SELECT txid_current_if_assigned() IS NOT NULL AS wrote").first?["wrote"]
        }
        #expect(committed == "t")
        #expect(
            try await connection.query("SELECT array_agg(id) AS ids FROM t").first?.decode("ids", as: [Int].self) == [2]
        )
    }

    @Test("a failed savepoint rolls back only its own work", .freshDatabase)
    func savepoint() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE t (id int PRIMARY KEY)")
        try await connection.withTransaction { tx in
            try await tx.query("INSERT INTO t VALUES (1)")
            await #expect(throws: PQError.self) {
                try await tx.withSavepoint("sp one") { inner in
                    try await inner.query("INSERT INTO t VALUES (2)")
                    try await inner.query("INSERT INTO t VALUES (1)")
                }
            }
            _ = try await tx.withSavepoint { inner in try await inner.query("INSERT INTO t VALUES (3)") }
        }
        let ids = try await connection.query("SELECT id FROM t ORDER BY id").map { try $0.decode("id", as: Int.self) }
        #expect(ids == [1, 3])
    }

    @Test("repeatable read sees one snapshot; read only refuses writes", .freshDatabase)
    func isolationAndReadOnly() async throws {
        let reader = try await TestDatabase.connect()
        let writer = try await TestDatabase.connect()
        try await writer.query("CREATE TABLE t (id int)")
        let counts = try await reader.withTransaction(isolation: .repeatableRead) { tx in
            let before = try await tx.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self)
            try await writer.query("INSERT INTO t VALUES (1)")
            let after = try await tx.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self)
            return [before, after]
        }
        #expect(counts == [0, 0])
        let error = try await #require(throws: PQError.self) {
            try await reader.withTransaction(readOnly: true) { tx in try await tx.query("INSERT INTO t VALUES (2)") }
        }
        #expect(error.sqlState == .readOnlySQLTransaction)
    }
}
