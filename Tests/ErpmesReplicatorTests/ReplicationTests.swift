import ErpmesCore
import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct ReplicationTests {
    @Test("inserts, updates, deletes and a key change on the ERP side reach the MES side", .freshDatabase)
    func oneWay() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        let writer = try await fixture.erp()
        try await writer.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 100) AS g"
        )
        try await writer.query("UPDATE item SET name = 'renamed' WHERE id <= 10")
        try await writer.query("DELETE FROM item WHERE id > 90")
        try await writer.query("UPDATE item SET id = 1000 WHERE id = 50")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "90"))
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1000", equals: "item 50")
        )
        let erpRows = try await ReplicationFixture.snapshot(fixture.erpAdmin)
        #expect(try await ReplicationFixture.snapshot(fixture.mesAdmin) == erpRows)
        #expect(try await fixture.mesAdmin.query("SELECT count(*) FROM item WHERE id = 50").first?[0] == "0")
        replicator.cancel()
        _ = try? await replicator.value
        try await fixture.tearDown()
    }

    @Test("a TRUNCATE is replicated, and session_replication_role = replica does not stop capture", .freshDatabase)
    func truncateAndReplicaRole() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) SELECT g, 'x' FROM generate_series(1, 20) AS g")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "20"))
        try await writer.simpleQuery("BEGIN; TRUNCATE item; INSERT INTO item (id, name) VALUES (7, 'after'); COMMIT;")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(id || ':' || name, ',') FROM item",
                equals: "7:after"
            )
        )
        try await writer.query("SET session_replication_role = replica")
        try await writer.query("INSERT INTO item (id, name) VALUES (8, 'replica role')")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 8", equals: "replica role")
        )
        replicator.cancel()
        _ = try? await replicator.value
        try await fixture.tearDown()
    }

    @Test("bidirectional edits flow both ways without echo: the queue drains and stays drained", .freshDatabase)
    func bidirectionalNoEcho() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem(erpToMES: true, mesToERP: true)
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await erp.query("INSERT INTO item (id, name) SELECT g, 'erp' FROM generate_series(1, 50) AS g")
        try await mes.query("INSERT INTO item (id, name) SELECT g, 'mes' FROM generate_series(101, 150) AS g")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "100"))
        #expect(try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM item", equals: "100"))
        try await mes.query("UPDATE item SET qty = 5 WHERE id <= 10")
        #expect(try await fixture.eventually(fixture.erpAdmin, "SELECT sum(qty) FROM item", equals: "50.00000"))
        // Quiet now: positions stop moving, and every row was applied exactly once per change.
        try await Task.sleep(for: .seconds(1))
        let keysBefore = try await fixture.mesAdmin.query("SELECT sum(applied_keys) FROM erpmes.apply_position").first?[
            0
        ]
        try await Task.sleep(for: .seconds(1))
        let keysAfter = try await fixture.mesAdmin.query("SELECT sum(applied_keys) FROM erpmes.apply_position").first?[
            0
        ]
        #expect(keysBefore == keysAfter)
        #expect(
            try await fixture.erpAdmin.query("SELECT max(applies) FROM item WHERE id BETWEEN 101 AND 150").first?[0]
                == "1"
        )
        #expect(try await fixture.mesAdmin.query("SELECT max(applies) FROM item WHERE id <= 50").first?[0] == "1")
        #expect(
            try await fixture.erpAdmin.query("SELECT count(*) FROM item WHERE id <= 10 AND applies > 0").first?[0]
                == "10"
        )
        #expect(
            try await ReplicationFixture.snapshot(fixture.erpAdmin) == ReplicationFixture.snapshot(fixture.mesAdmin)
        )
        replicator.cancel()
        _ = try? await replicator.value
        try await fixture.tearDown()
    }

    @Test("a writer without privileges on erpmes is captured but cannot read or forge the queue", .freshDatabase)
    func writerPrivileges() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'a')")
        #expect(try await fixture.erpAdmin.query("SELECT count(*) FROM erpmes.queue").first?[0] == "1")
        let read = try await #require(throws: PQError.self) { try await writer.query("SELECT * FROM erpmes.queue_0") }
        #expect(read.sqlState == .insufficientPrivilege)
        let forge = try await #require(throws: PQError.self) {
            try await writer.query(
                "INSERT INTO erpmes.queue_0 (xid, entity_id, key) VALUES (pg_current_xact_id(), 1, '{}')"
            )
        }
        #expect(forge.sqlState == .insufficientPrivilege)
        let tick = try await #require(throws: PQError.self) {
            try await writer.query("SELECT erpmes.register_consumer('x')")
        }
        #expect(tick.sqlState == .insufficientPrivilege)
        try await fixture.tearDown()
    }
}
