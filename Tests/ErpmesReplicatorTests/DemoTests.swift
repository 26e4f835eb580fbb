import ErpmesCore
import ErpmesTestSupport
import Foundation
import LibPQ
import Logging
import Testing

/// `erpmes demo` as a new user runs it (issue 8): its own cluster, every flow moving, nothing in
/// the dead letter, clear errors.
@Suite(.serialized) struct DemoTests {
    static var environment: [String: String] {
        // The test run knows where the server binaries are (scripts/pg-sandbox exports it).
        guard let bin = ProcessInfo.processInfo.environment["ERPMES_TEST_BINDIR"] else { return [:] }
        return ["ERPMES_PG_BINDIR": bin]
    }

    @Test("erpmes demo --duration 30 --plain: every flow moves data and nothing is in the dead letter")
    func demoRuns() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "erpmes-demo-test-\(UUID().uuidString)"
        )
        let result = try await ErpmesProcess.run(
            [
                "demo", "--duration", "30", "--plain", "--keep", "--data-dir", folder.path,
                "--dir", TestCluster.repositoryRoot.path,
            ],
            environment: Self.environment
        )
        defer { _ = try? FileManager.default.removeItem(at: folder) }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Within 80 columns, except where it prints the (long) folder this test chose.
        let wide = lines.filter { $0.count > 80 && !$0.contains(folder.path) }
        #expect(wide.isEmpty, "lines longer than 80 columns: \(wide)")
        #expect(result.stdout.contains("Replicated in"))
        #expect(result.stdout.contains("psql \"host=\(folder.path)"))

        // The kept cluster: every subscribed entity applied something, the dead letters are empty.
        let port = try #require(
            lines.lazy.compactMap { line -> Int? in
                guard let range = line.range(of: "PostgreSQL on port ") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }.first
        )
        // Every flow of the reference plant moved data (entity per flow, on the database it applies to).
        let flows: [(database: String, entity: String, flow: String)] = [
            ("mes", "product", "master data"), ("mes", "production_order", "orders to production"),
            ("erp", "production_order", "order progress"), ("erp", "production_record", "production to inventory"),
            ("erp", "quality_control", "quality to compliance"),
            ("erp", "maintenance_event", "equipment to maintenance"),
            ("erp", "maintenance_equipment_state", "downtime"),
        ]
        for database in ["erp", "mes"] {
            let connection = try await PQConnection.connect(
                ConnectionConfiguration(
                    conninfo: Secret("host=\(folder.path) port=\(port) dbname=\(database) user=postgres"),
                    applicationName: "erpmes-tests"
                ),
                logger: Logger(label: "erpmes.tests", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            for flow in flows where flow.database == database {
                let applied = try await connection.query(
                    "SELECT coalesce(sum(keys), 0) FROM erpmes.apply_stat WHERE entity = $1",
                    [flow.entity]
                ).first?[0]
                #expect(Int(applied ?? "0") ?? 0 > 0, "\(flow.flow): \(flow.entity) applied nothing into \(database)")
            }
            let dead = try await connection.query("SELECT count(*) FROM erpmes.dead_letter").first?[0]
            #expect(dead == "0", "dead letters in \(database)")
            await connection.close()
        }
        let stop = try await ErpmesProcess.run(
            ["demo", "stop", "--data-dir", folder.path],
            environment: Self.environment
        )
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    @Test("a taken port, or missing server binaries, is one clear line and exit 70")
    func clearErrors() async throws {
        // A port someone already listens on: the test cluster's own.
        let taken = try await TestCluster.shared.current().port
        let busy = try await ErpmesProcess.run(
            ["demo", "--duration", "1", "--plain", "--port", "\(taken)", "--dir", TestCluster.repositoryRoot.path],
            environment: Self.environment
        )
        #expect(busy.status == 70)
        #expect(busy.stderr.contains("port \(taken) is taken: choose another with --port"), "\(busy.stderr)")

        let missing = try await ErpmesProcess.run(
            ["demo", "--duration", "1", "--plain", "--dir", TestCluster.repositoryRoot.path],
            environment: ["ERPMES_PG_BINDIR": "/nonexistent"]
        )
        #expect(missing.status == 70)
        #expect(missing.stderr.contains("PostgreSQL server binaries (initdb, pg_ctl) not found"), "\(missing.stderr)")

        let notHere = try await ErpmesProcess.run(
            ["demo", "--duration", "1", "--dir", "/"],
            environment: Self.environment
        )
        #expect(notHere.status == 64)
        #expect(notHere.stderr.contains("has no Migrations/erp"))
    }
}
