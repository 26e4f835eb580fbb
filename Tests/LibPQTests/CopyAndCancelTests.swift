import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct CopyTests {
    @Test("COPY FROM STDIN loads 100,000 rows", .freshDatabase)
    func copyHundredThousand() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE q (id bigint PRIMARY KEY, key jsonb NOT NULL, note text)")
        let rows = (1...100_000).map {
            [String($0), #"{"id": \#($0)}"#, $0 % 10 == 0 ? nil : "n\t\($0)\\"] as [String?]
        }
        let loaded = try await connection.copyIn("COPY q (id, key, note) FROM STDIN", rows: rows)
        #expect(loaded == 100_000)
        let summary = try #require(
            try await connection.query(
                "SELECT count(*) AS n, sum(id) AS s, count(note) AS notes, max((key->>'id')::int) AS top FROM q"
            ).first
        )
        #expect(try summary.decode("n", as: Int.self) == 100_000)
        #expect(try summary.decode("s", as: Int.self) == 5_000_050_000)
        #expect(try summary.decode("notes", as: Int.self) == 90_000)
        #expect(try summary.decode("top", as: Int.self) == 100_000)
        #expect(try await connection.query("SELECT note FROM q WHERE id = 7").first?["note"] == "n\t7\\")
    }

    @Test("special characters survive COPY, and COPY TO STDOUT gives them back", .freshDatabase)
    func copyEscapes() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE t (a text, b text)")
        let values: [[String?]] = [
            ["tab\there", "new\nline"], ["back\\slash", "cr\rx"], ["\\N", nil], ["Grüße 工場", ""],
        ]
        try await connection.copyIn("COPY t FROM STDIN", rows: values)
        let back = try await connection.query("SELECT a, b FROM t ORDER BY ctid").map { [$0["a"], $0["b"]] }
        #expect(back == values)
        let output = try await connection.copyOut("COPY (SELECT a FROM t WHERE b IS NULL) TO STDOUT")
        #expect(String(decoding: output, as: UTF8.self) == "\\\\N\n")
    }

    @Test("a bad row fails the whole COPY with its SQLSTATE and the line, and loads nothing", .freshDatabase)
    func copyFailure() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE t (id int)")
        let error = try await #require(throws: PQError.self) {
            try await connection.copyIn("COPY t FROM STDIN", data: Array("1\n2\nthree\n4\n".utf8))
        }
        #expect(error.sqlState == .invalidTextRepresentation)
        #expect(error.context?.contains("line 3") == true)
        #expect(try await connection.query("SELECT count(*) FROM t").first?[0] == "0")
        #expect(try await connection.query("SELECT 1").first?[0] == "1")
    }
}

@Suite struct CancelTests {
    @Test("cancelling the task cancels pg_sleep(30) on the server within a second", .freshDatabase)
    func cancelSleep() async throws {
        let connection = try await TestDatabase.connect()
        let task = Task { try await connection.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        task.cancel()
        let error = await #expect(throws: PQError.self) { try await task.value }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .cancelled)
        #expect(error?.sqlState == .queryCanceled)
        #expect(elapsed < .seconds(1), "cancel took \(elapsed)")
        // The connection is usable afterwards and the cancel did not leak into the next statement.
        #expect(try await connection.query("SELECT 42").first?[0] == "42")
    }

    @Test("a statement_timeout is a server error, not a cancellation by us", .freshDatabase)
    func statementTimeoutIsNotCancelled() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("SET statement_timeout = '50ms'")
        let error = try await #require(throws: PQError.self) { try await connection.query("SELECT pg_sleep(5)") }
        #expect(error.code == .server)
        #expect(error.sqlState == .queryCanceled)
    }

    @Test("a task cancelled before sending never starts the statement", .freshDatabase)
    func cancelledBeforeSend() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.query("CREATE TABLE t (id int)")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await connection.query("INSERT INTO t VALUES (1)")
        }
        let error = await #expect(throws: PQError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        #expect(try await connection.query("SELECT count(*) FROM t").first?[0] == "0")
    }
}
