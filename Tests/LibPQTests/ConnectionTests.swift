import ErpmesTestSupport
import Foundation
import InMemoryLogging
import LibPQ
import Logging
import Synchronization
import Testing

@Suite struct ConnectionTests {
    @Test("a connection runs in UTC with ISO dates whatever the server default", .freshDatabase)
    func sessionDefaults() async throws {
        let connection = try await TestDatabase.connect()
        let row = try #require(try await connection.query("SHOW TimeZone").first)
        #expect(row[0] == "UTC")
        let style = try #require(try await connection.query("SHOW DateStyle").first)
        #expect(style[0] == "ISO, YMD")
        #expect(connection.backendPID > 0)
        #expect(connection.serverVersion >= 150_000)
    }

    @Test("fallback application_name is erpmes unless the conninfo sets one", .freshDatabase)
    func applicationName() async throws {
        let plain = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(try await TestDatabase.conninfo())),
            logger: Logger(label: "test")
        )
        let named = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(try await TestDatabase.conninfo() + " application_name=dba-tool")),
            logger: Logger(label: "test")
        )
        #expect(try await plain.query("SHOW application_name").first?[0] == "erpmes")
        #expect(try await named.query("SHOW application_name").first?[0] == "dba-tool")
    }

    @Test("a postgresql:// URI and PGHOST/PGPORT-style keywords connect like a conninfo string", .freshDatabase)
    func uriConnects() async throws {
        let endpoint = try await TestCluster.shared.current()
        let database = try TestDatabase.require().name
        let socket = endpoint.socketDirectory.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let uri = "postgresql://postgres@/\(database)?host=\(socket)&port=\(endpoint.port)&sslmode=disable"
        let connection = try await PQConnection.connect(
            ConnectionConfiguration(conninfo: Secret(uri)),
            logger: Logger(label: "test")
        )
        #expect(try await connection.query("SELECT current_database()").first?[0] == database)
    }

    @Test("a bad password gives connectionFailed with SQLSTATE 28P01 and never shows the password", .freshDatabase)
    func badPassword() async throws {
        let admin = try await TestDatabase.connect()
        let role = "pw_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.query("CREATE ROLE \(SQLQuote.identifier(role)) LOGIN PASSWORD 'right-one'")
        let endpoint = try await TestCluster.shared.current()
        let database = try TestDatabase.require().name
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .trace
        let conninfo = "host=127.0.0.1 port=\(endpoint.port) dbname=\(database) user=\(role) password=s3cretWrong"
        let error = try await #require(throws: PQError.self) {
            try await PQConnection.connect(ConnectionConfiguration(conninfo: Secret(conninfo)), logger: logger)
        }
        #expect(error.code == .connectionFailed)
        #expect(error.sqlState == .invalidPassword)
        #expect(error.message.contains("password authentication failed"))
        #expect(!"\(error)".contains("s3cretWrong"))
        #expect(!String(reflecting: error).contains("s3cretWrong"))
        #expect(!handler.entries.isEmpty)
        #expect(handler.entries.allSatisfy { !"\($0.message) \($0.metadata)".contains("s3cretWrong") })

        let right = try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(
                    "host=127.0.0.1 port=\(endpoint.port) dbname=\(database) user=\(role) password=right-one"
                )
            ),
            logger: logger
        )
        #expect(try await right.query("SELECT current_user").first?[0] == role)
        await right.close()
        try await admin.query("DROP ROLE \(SQLQuote.identifier(role))")
    }

    @Test("a malformed conninfo is reported without echoing the password")
    func malformedConninfo() async throws {
        let error = try await #require(throws: PQError.self) {
            try await PQConnection.connect(
                ConnectionConfiguration(conninfo: Secret("host=localhost password s3cretWrong dbname")),
                logger: Logger(label: "test")
            )
        }
        #expect(error.code == .connectionFailed)
        #expect(!"\(error)".contains("s3cretWrong"))
        #expect("\(error)".contains("<redacted>"))
    }

    @Test("a configuration prints its conninfo as <redacted>")
    func secretIsRedacted() {
        let config = ConnectionConfiguration(conninfo: Secret("host=db password=s3cret"))
        #expect(!"\(config)".contains("s3cret"))
        #expect(!String(reflecting: config).contains("s3cret"))
        #expect("\(config.conninfo)" == "<redacted>")
    }

    @Test("a closed connection refuses work with connectionClosed", .freshDatabase)
    func closedConnection() async throws {
        let connection = try await TestDatabase.connect()
        await connection.close()
        let error = try await #require(throws: PQError.self) { try await connection.query("SELECT 1") }
        #expect(error.code == .connectionClosed)
        #expect(await connection.isOpen == false)
    }

    @Test("pg_terminate_backend of our connection is reported as a lost connection", .freshDatabase)
    func terminatedBackend() async throws {
        let victim = try await TestDatabase.connect()
        let admin = try await TestDatabase.connect()
        let terminated = try await admin.query("SELECT pg_terminate_backend($1) AS ok", [Int(victim.backendPID)])
        #expect(terminated.first?["ok"] == "t")
        let error = try await #require(throws: PQError.self) { try await victim.query("SELECT 1") }
        #expect(error.code == .connectionLost)
        #expect(error.isConnectionError)
        #expect(await victim.isOpen == false)
        // The next call fails fast with the same kind, without touching the dead socket.
        let again = try await #require(throws: PQError.self) { try await victim.query("SELECT 1") }
        #expect(again.code == .connectionLost)
    }

    @Test("server NOTICE and WARNING messages reach the log and the notice handler", .freshDatabase)
    func noticesReachLog() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .info
        let collected = NoticeCollector()
        let connection = try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(try await TestDatabase.conninfo()),
                onNotice: { collected.add($0) }
            ),
            logger: logger
        )
        try await connection.query("DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$")
        let notices = collected.all
        #expect(notices.map(\.message) == ["hello 42", "careful"])
        #expect(notices.map(\.severity) == ["NOTICE", "WARNING"])
        let messages = handler.entries.compactMap { $0.metadata["db.message"].map { "\($0)" } }
        #expect(messages.contains("hello 42"))
        #expect(handler.entries.contains { $0.level == .warning && $0.metadata["db.message"] == "careful" })
    }

    @Test("simpleQuery runs a multi-statement script and returns each result", .freshDatabase)
    func simpleQueryScript() async throws {
        let connection = try await TestDatabase.connect()
        let results = try await connection.simpleQuery(
            """
            CREATE TABLE t (id int PRIMARY KEY, note text);
            INSERT INTO t VALUES (1, 'a;b'), (2, $q$semi;colon$q$);
            SELECT note FROM t ORDER BY id;
            """
        )
        #expect(results.count == 3)
        #expect(results[1].affectedRows == 2)
        #expect(results[2].map { $0["note"] } == ["a;b", "semi;colon"])
    }
}

/// Collects notices from the connection's queue for the test to read.
final class NoticeCollector: Sendable {
    private let storage = Mutex<[PQNotice]>([])
    func add(_ notice: PQNotice) { self.storage.withLock { $0.append(notice) } }
    var all: [PQNotice] { self.storage.withLock { $0 } }
}
