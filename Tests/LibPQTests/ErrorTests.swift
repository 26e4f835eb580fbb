import ErpmesTestSupport
import LibPQ
import Testing

@Suite struct ErrorTests {
    @Test("a syntax error carries SQLSTATE 42601, its position and the statement", .freshDatabase)
    func syntaxError() async throws {
        let connection = try await TestDatabase.connect()
        let error = try await #require(throws: PQError.self) {
            try await connection.query("SELECT 1 FROM WHERE x = $1", [5])
        }
        #expect(error.code == .server)
        #expect(error.sqlState == .syntaxError)
        #expect(error.severity == "ERROR")
        #expect(error.position == 15)
        #expect(error.statement == "SELECT 1 FROM WHERE x = $1")
        #expect(error.message == "syntax error at or near \"WHERE\"")
        #expect("\(error)".contains("SQLSTATE 42601"))
        // The connection is usable after an error.
        #expect(try await connection.query("SELECT 2").first?[0] == "2")
    }

    @Test("a unique violation carries 23505, detail, table and constraint but not the parameter values", .freshDatabase)
    func uniqueViolation() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE item (item_no text CONSTRAINT item_pk PRIMARY KEY)")
        try await connection.query("INSERT INTO item VALUES ($1)", ["A-100"])
        let error = try await #require(throws: PQError.self) {
            try await connection.query("INSERT INTO item VALUES ($1)", ["A-100"])
        }
        #expect(error.sqlState == .uniqueViolation)
        #expect(error.detail == "Key (item_no)=(A-100) already exists.")
        #expect(error.table == "item")
        #expect(error.schema == "public")
        #expect(error.constraint == "item_pk")
        #expect(error.statement == "INSERT INTO item VALUES ($1)")
    }

    @Test("a PL/pgSQL RAISE carries P0001, the hint and the context", .freshDatabase)
    func raiseException() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query(
            """
            CREATE FUNCTION fail(k int) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'bad key %', k USING HINT = 'fix the key', DETAIL = 'key was negative'; END $$
            """
        )
        let error = try await #require(throws: PQError.self) { try await connection.query("SELECT fail(-1)") }
        #expect(error.sqlState == .raiseException)
        #expect(error.message == "bad key -1")
        #expect(error.hint == "fix the key")
        #expect(error.detail == "key was negative")
        #expect(error.context?.contains("PL/pgSQL function fail(integer)") == true)
    }

    @Test("a not-null violation names the column", .freshDatabase)
    func notNullColumn() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE p (id int PRIMARY KEY, code text NOT NULL)")
        let error = try await #require(throws: PQError.self) {
            try await connection.query("INSERT INTO p VALUES ($1, $2)", [1, nil])
        }
        #expect(error.sqlState == .notNullViolation)
        #expect(error.column == "code")
        #expect(error.table == "p")
    }

    @Test("SQLSTATE constants compare by value and by class")
    func sqlStateClasses() {
        let state: SQLState = "23505"
        #expect(state == .uniqueViolation)
        #expect(state.class == "23")
        #expect(SQLState.lockNotAvailable.class == "55")
    }
}
