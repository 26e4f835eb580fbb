import LibPQ
import Logging
import Testing

/// The fresh database of the running test, set by the ``FreshDatabaseTrait`` (`.freshDatabase`).
public struct TestDatabase: Sendable {
    /// The database's name, unique in the cluster.
    public var name: String

    @TaskLocal public static var current: TestDatabase?

    /// The current test's database; fails the test when it has no `.freshDatabase` trait.
    public static func require() throws -> TestDatabase {
        guard let current else {
            throw PQError(code: .client, message: "this test has no .freshDatabase trait")
        }
        return current
    }

    /// A conninfo for the current test's database.
    public static func conninfo(user: String = "postgres") async throws -> String {
        try await TestCluster.shared.conninfo(database: try self.require().name, user: user)
    }

    /// Opens a new connection to the current test's database.
    public static func connect(
        user: String = "postgres",
        applicationName: String = "erpmes-tests",
        logger: Logger = Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> PQConnection {
        try await PQConnection.connect(
            ConnectionConfiguration(
                conninfo: Secret(try await self.conninfo(user: user)),
                applicationName: applicationName
            ),
            logger: logger
        )
    }
}

/// Gives a test its own database, cloned from the (migrated) template, and drops it afterwards,
/// also when the test fails. Tests with this trait can run in parallel.
public struct FreshDatabaseTrait: TestTrait, TestScoping {
    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let name = try await TestCluster.shared.createDatabase()
        do {
            try await TestDatabase.$current.withValue(TestDatabase(name: name)) { try await function() }
        } catch {
            try? await TestCluster.shared.dropDatabase(name)
            throw error
        }
        try await TestCluster.shared.dropDatabase(name)
    }
}

extension Trait where Self == FreshDatabaseTrait {
    /// Runs the test on its own new database; see ``TestDatabase``.
    public static var freshDatabase: Self { FreshDatabaseTrait() }
}
