import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct BidirectionalLoadTests {
    @Test(
        "updates on both sides at once (1,000 each, 10,000 soak): no echo applied, pending drains to 0 and stays",
        .freshDatabase
    )
    func updatesOnBothSides() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem(erpToMES: true, mesToERP: true)
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        // ERP owns items 1...100, MES owns 101...200: every change has one origin.
        try await erp.query("INSERT INTO item (id, name) SELECT g, 'erp' FROM generate_series(1, 100) AS g")
        try await mes.query("INSERT INTO item (id, name) SELECT g, 'mes' FROM generate_series(101, 200) AS g")
        #expect(try await fixture.eventually(fixture.erpAdmin, "SELECT count(*) FROM item", equals: "200"))
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "200"))

        let updates = Scale.pick(1_000, soak: 10_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (connection, first) in [(erp, 1), (mes, 101)] {
                group.addTask {
                    for n in 1...updates {
                        try await connection.query(
                            "UPDATE item SET name = $2, qty = $3 WHERE id = $1",
                            [first + Int.random(in: 0..<100), "update \(n)", n]
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let drained = try await fixture.eventually(timeout: .seconds(60)) {
            let erpRows = try await ReplicationFixture.snapshot(fixture.erpAdmin)
            guard try await ReplicationFixture.snapshot(fixture.mesAdmin) == erpRows else { return false }
            let toMES = try await fixture.pending(.erpToMES)
            let toERP = try await fixture.pending(.mesToERP)
            return toMES == 0 && toERP == 0
        }
        #expect(drained)
        // An applied echo would have counted an apply on the side that owns the row.
        let applied = "SELECT count(*) FROM item WHERE applies > 0 AND id "
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, applied + "<= 100") == "0")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, applied + "> 100") == "0")
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, applied + "> 100") == "100")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, applied + "<= 100") == "100")

        // Quiet: after a few polls, positions and consumers stop moving and nothing is pending.
        try await Task.sleep(for: .seconds(1))
        let settled = try await fixture.positions()
        try await Task.sleep(for: .seconds(1))
        #expect(try await fixture.positions() == settled)
        #expect(try await fixture.pending(.erpToMES) == 0)
        #expect(try await fixture.pending(.mesToERP) == 0)
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a change a target-side trigger makes during apply flows back to the source", .freshDatabase)
    func triggerChangeFlowsBack() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem(erpToMES: true, mesToERP: true)
        try await fixture.mesAdmin.simpleQuery(
            """
            CREATE FUNCTION public.item_flag_big() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.qty > 100 AND right(NEW.name, 1) <> '*' THEN
                    NEW.name := NEW.name || '*';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER item_flag_big BEFORE INSERT OR UPDATE ON public.item
                FOR EACH ROW EXECUTE FUNCTION public.item_flag_big();
            """
        )
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.query("INSERT INTO item (id, name, qty) VALUES (1, 'big', 500), (2, 'small', 5)")
        let names = "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM item"
        #expect(try await fixture.eventually(fixture.mesAdmin, names, equals: "1:big*,2:small"))
        #expect(try await fixture.eventually(fixture.erpAdmin, names, equals: "1:big*,2:small"))

        try await erp.query("UPDATE item SET name = 'grown', qty = 200 WHERE id = 2")
        #expect(try await fixture.eventually(fixture.erpAdmin, names, equals: "1:big*,2:grown*"))
        try await erp.query("UPDATE item SET name = 'shrunk', qty = 50 WHERE id = 1")
        #expect(try await fixture.eventually(fixture.mesAdmin, names, equals: "1:shrunk,2:grown*"))

        try await Task.sleep(for: .seconds(1))
        #expect(
            try await ReplicationFixture.snapshot(fixture.erpAdmin) == ReplicationFixture.snapshot(fixture.mesAdmin)
        )
        #expect(try await fixture.pending(.erpToMES) == 0)
        #expect(try await fixture.pending(.mesToERP) == 0)
        // ERP applied each trigger change once (big*, grown*); MES applied each ERP change once.
        let applies = "SELECT string_agg(id || ':' || applies, ',' ORDER BY id) FROM item"
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, applies) == "1:1,2:1")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, applies) == "1:2,2:2")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
