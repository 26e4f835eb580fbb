import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct LongTransactionTests {
    @Test(
        "a transaction held open across 1,000 commits, a queue rotation and replicator restarts is applied once",
        .freshDatabase
    )
    func heldOpenAcrossRestarts() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        // A switch every 100 queued rows, so the held transaction's rows sit in a draining table.
        var replicator = try await fixture.startReplicator(rotateRows: 100)
        let long = try await fixture.erp()
        try await long.query("BEGIN")
        try await long.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'long', g FROM generate_series(100001, 100010) AS g"
        )
        // The number at both scales: it is cheap.
        let others = Scale.pick(1_000, soak: 1_000)
        let writer = try await fixture.erp()
        for n in 1...others {
            try await writer.query("INSERT INTO item (id, name, qty) VALUES ($1::integer, 'other', $1::integer)", [n])
            if n == others / 2 {
                await ReplicationFixture.stop(replicator)
                replicator = try await fixture.startReplicator(rotateRows: 100)
            }
        }
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "\(others)"))
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE id > 100000") == "0"
        )
        // Rotation switched tables and now waits for the held transaction before it may truncate.
        let waiting = "SELECT draining_table IS NOT NULL AND switch_xid IS NOT NULL FROM erpmes.queue_state"
        #expect(try await fixture.eventually(fixture.erpAdmin, waiting, equals: "t", timeout: .seconds(30)))
        // Restarted once more while the long transaction is still open, with everything else applied.
        await ReplicationFixture.stop(replicator)
        replicator = try await fixture.startReplicator(rotateRows: 100)
        try await Task.sleep(for: .seconds(2))  // a rotation step or two while it is still open
        try await long.query("UPDATE item SET name = 'long, updated' WHERE id = 100001")
        try await long.query("COMMIT")

        #expect(try await fixture.converged())
        // Settle for a few polls: a second apply of the long transaction would show in `applies`.
        try await Task.sleep(for: .seconds(1))
        let applies = try await fixture.mesAdmin.query(
            "SELECT count(*), sum(applies), min(applies), max(applies) FROM item WHERE id > 100000"
        )
        #expect(applies.first.map { [$0[0], $0[1], $0[2], $0[3]] } == ["10", "10", "1", "1"])
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(applies) FROM item") == "\(others + 10)"
        )
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT name FROM item WHERE id = 100001")
                == "long, updated"
        )
        #expect(try await fixture.pending(.erpToMES) == 0)
        #expect(
            try await ReplicationFixture.value(fixture.erpAdmin, "SELECT rotations >= 1 FROM erpmes.queue_state") == "t"
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("the replicator and the writers log in as roles with neither SUPERUSER nor REPLICATION", .freshDatabase)
    func unprivilegedRoles() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem(erpToMES: true, mesToERP: true)
        let replicator = try await fixture.startReplicator()
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            let roles = try await admin.query(
                "SELECT rolname, rolsuper, rolreplication FROM pg_roles WHERE rolname IN ('erpmes_run', 'app_writer') ORDER BY rolname"
            )
            #expect(roles.map { [$0[0], $0[1], $0[2]] } == [["app_writer", "f", "f"], ["erpmes_run", "f", "f"]])
            // Each side: the listener, one direction's source and the other's target.
            let sessions = try await admin.query(
                """
                SELECT usename, count(*) AS n, bool_or(r.rolsuper OR r.rolreplication) AS privileged
                FROM pg_stat_activity AS a JOIN pg_roles AS r ON r.oid = a.usesysid
                WHERE a.datname = current_database() AND a.application_name LIKE 'erpmes-run plant1 %'
                GROUP BY usename
                """
            )
            #expect(sessions.map { [$0[0], $0[1], $0[2]] } == [["erpmes_run", "3", "f"]])
        }
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'by app_writer')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM item WHERE id = 1",
                equals: "by app_writer"
            )
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
