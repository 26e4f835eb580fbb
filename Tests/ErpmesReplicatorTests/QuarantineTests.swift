import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Per-key quarantine, held changes and dependants, retry through the source, transient errors
/// retried, and schema drift pausing one entity (issue 6).
@Suite struct QuarantineTests {
    /// The MES apply of `item` with a mapping that fails on one value (a data error, P0001), and
    /// the fixed mapping. Subscribing again accepts the changed function (its shape).
    static func poisonMapping(_ admin: PQConnection, fixed: Bool) async throws {
        try await admin.simpleQuery(
            """
            CREATE OR REPLACE FUNCTION public.item_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
            LANGUAGE plpgsql AS $$
            BEGIN
                IF \(fixed ? "false" : "true") AND EXISTS (SELECT FROM pg_temp.erpmes_batch AS b WHERE b.payload->>'name' LIKE 'poison%') THEN
                    RAISE EXCEPTION 'item: name % cannot be mapped',
                        (SELECT b.payload->>'name' FROM pg_temp.erpmes_batch AS b WHERE b.payload->>'name' LIKE 'poison%' LIMIT 1);
                END IF;
                DELETE FROM public.item AS i USING pg_temp.erpmes_batch AS b WHERE b.op = 'D' AND i.id = (b.key->>'id')::integer;
                INSERT INTO public.item AS i (id, name, qty, applies)
                SELECT (b.payload->>'id')::integer, b.payload->>'name', (b.payload->>'qty')::numeric, 1
                FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' ORDER BY 1
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = EXCLUDED.qty, applies = i.applies + 1;
                RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
            END $$;
            SELECT erpmes.subscribe('item', 'public.item_apply()', tables => ARRAY['public.item'::regclass]);
            """
        )
    }

    @Test(
        "one poison row among 10,000 changes: the rest applies, its 5 later changes wait, retry applies them after the fix",
        .freshDatabase
    )
    func poisonRow() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        try await Self.poisonMapping(fixture.mesAdmin, fixed: false)
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        let changes = 10_000
        for first in stride(from: 1, through: changes, by: 500) {
            try await erp.query(
                "INSERT INTO item (id, name, qty) SELECT g, CASE WHEN g = 5000 THEN 'poison' ELSE 'item ' || g END, g FROM generate_series($1::int, $1::int + 499) AS g",
                [first]
            )
        }
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "\(changes - 1)"))
        let letter = try await fixture.mesAdmin.query(
            "SELECT entity, key::text, status, sqlstate, message FROM erpmes.dead_letter"
        )
        #expect(letter.count == 1)
        #expect(letter.first?[0] == "item" && letter.first?[1] == #"{"id": 5000}"# && letter.first?[2] == "open")
        #expect(letter.first?[3] == "P0001")
        #expect(
            letter.first?[4]?.contains(#"entity item key {"id": 5000}: item: name poison cannot be mapped"#) == true
        )

        // Five later changes of the poison key wait, each in its batch; other entities keep flowing.
        for n in 1...5 {
            try await erp.query("UPDATE item SET name = $1, qty = $2 WHERE id = 5000", ["poison \(n)", n])
            try await erp.query("INSERT INTO movement VALUES ($1, 1, 1)", [n])
            let sent = ContinuousClock.now
            #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM movement", equals: "\(n)"))
            #expect(ContinuousClock.now - sent < .seconds(5), "movement lag while a key is quarantined")
            #expect(
                try await fixture.eventually(
                    fixture.mesAdmin,
                    "SELECT held_changes FROM erpmes.dead_letter",
                    equals: "\(n)"
                )
            )
        }
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE id = 5000") == "0"
        )

        // Fix the mapping, retry: the key's current state is re-read from the ERP and applied.
        try await Self.poisonMapping(fixture.mesAdmin, fixed: true)
        let mes = try await fixture.mes(user: "erpmes_run")
        #expect(try await DeadLetters.retry(mes, filter: KeyFilter(entity: "item")) == 1)
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name || '/' || qty::int FROM item WHERE id = 5000",
                equals: "poison 5/5"
            )
        )
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT status FROM erpmes.dead_letter", equals: "resolved")
        )
        #expect(
            try await ReplicationFixture.snapshot(fixture.erpAdmin) == ReplicationFixture.snapshot(fixture.mesAdmin)
        )
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a lock timeout during apply is retried, never dead-lettered", .freshDatabase)
    func lockTimeoutRetried() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator(lockTimeout: .milliseconds(200))
        let erp = try await fixture.erp()
        try await erp.query("INSERT INTO item (id, name) VALUES (1, 'one')")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1", equals: "one"))
        // A local session holds the row while the ERP changes it: the apply times out and retries.
        let holder = try await fixture.mes(user: "postgres")
        try await holder.query("BEGIN")
        try await holder.query("SELECT * FROM item WHERE id = 1 FOR UPDATE")
        try await erp.query("UPDATE item SET name = 'two' WHERE id = 1")
        try await Task.sleep(for: .seconds(2))
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1") == "one")
        try await holder.query("COMMIT")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1", equals: "two"))
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM erpmes.dead_letter") == "0")
        await holder.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("a quarantined parent holds its children, which apply once the parent is fixed and retried", .freshDatabase)
    func parentHoldsChildren() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareOrders()
        // Lines name their order in "$depends"; the MES order mapping refuses a note it cannot map.
        try await fixture.erpAdmin.simpleQuery(
            """
            CREATE OR REPLACE FUNCTION public.order_line_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
            LANGUAGE sql STABLE AS $$
                SELECT jsonb_build_object('id', l.id), jsonb_build_object('id', l.id, 'order_id', l.order_id, 'qty', l.qty,
                       '$depends', jsonb_build_array(jsonb_build_object('entity', 'orders', 'key', jsonb_build_object('id', l.order_id))))
                FROM public.order_line AS l WHERE l.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
            $$;
            SELECT erpmes.publish('order_line', 'public.order_line', ARRAY['id'], 'public.order_line_payload(jsonb[])');
            """
        )
        try await fixture.mesAdmin.simpleQuery(
            """
            ALTER TABLE public.orders ADD CONSTRAINT note_known CHECK (note <> 'unmappable');
            SELECT erpmes.subscribe('orders', 'public.orders_apply()', tables => ARRAY['public.orders'::regclass]);
            """
        )
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.simpleQuery(
            """
            INSERT INTO orders VALUES (1, 2, 'unmappable'), (2, 1, 'fine');
            INSERT INTO order_line VALUES (11, 1, 5), (12, 1, 6), (21, 2, 7);
            """
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM order_line",
                equals: "21"
            )
        )
        let letters = try await fixture.mesAdmin.query(
            "SELECT entity || ' ' || key::text || ' ' || coalesce(blocked_by::text, '-') FROM erpmes.dead_letter ORDER BY id"
        ).map { $0[0] ?? "" }
        #expect(
            letters == [
                #"orders {"id": 1} -"#, #"order_line {"id": 11} {"key": {"id": 1}, "entity": "orders"}"#,
                #"order_line {"id": 12} {"key": {"id": 1}, "entity": "orders"}"#,
            ]
        )
        // The order is fixed at the source this time; retry re-reads it and releases its lines.
        try await erp.query("UPDATE orders SET note = 'mapped' WHERE id = 1")
        let mes = try await fixture.mes(user: "erpmes_run")
        #expect(try await DeadLetters.retry(mes, filter: KeyFilter(entity: "orders")) == 1)
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM order_line",
                equals: "11,12,21"
            )
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(DISTINCT status, ',') FROM erpmes.dead_letter",
                equals: "resolved"
            )
        )
        await mes.close()
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "a retyped mapped column pauses only its entity, capture goes on, and nothing is lost after the fix",
        .freshDatabase
    )
    func driftPausesOneEntity() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        try await fixture.mesAdmin.query(
            "SELECT erpmes.subscribe('item', 'public.item_apply()', tables => ARRAY['public.item'::regclass])"
        )
        let replicator = try await fixture.startReplicator()
        let erp = try await fixture.erp()
        try await erp.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'item', 1.5 FROM generate_series(1, 10) AS g"
        )
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "10"))

        // A migration on the MES side narrows qty (1.5 still fits): rows written now would lose
        // decimals silently.
        try await fixture.mesAdmin.query("ALTER TABLE item ALTER COLUMN qty TYPE numeric(12,2)")
        try await erp.query("UPDATE item SET qty = 2.34567 WHERE id <= 5")
        try await erp.query("INSERT INTO item (id, name, qty) VALUES (11, 'new', 3.45678)")
        try await erp.query("INSERT INTO movement VALUES (1, 1, 1)")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM movement", equals: "1"))
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM erpmes.pending_key WHERE entity = 'item'",
                equals: "6"
            )
        )
        let reason = try await ReplicationFixture.value(fixture.mesAdmin, "SELECT reason FROM erpmes.entity_pause")
        #expect(
            reason
                == "entity item paused: schema drift, mes side: column public.item.qty is numeric(12,2) not null, was numeric(14,5) not null"
        )
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE qty = 2.35") == "0"
        )

        // The fix: the column gets its type back; the entity resumes and re-reads what it missed.
        try await fixture.mesAdmin.query("ALTER TABLE item ALTER COLUMN qty TYPE numeric(14,5)")
        #expect(
            try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item WHERE qty = 2.34567", equals: "5")
        )
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM erpmes.entity_pause", equals: "0"))
        #expect(
            try await ReplicationFixture.snapshot(fixture.erpAdmin) == ReplicationFixture.snapshot(fixture.mesAdmin)
        )
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM erpmes.pending_key") == "0")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "prune deletes conflict-log rows, closed dead letters and resolved conflicts older than the retention",
        .freshDatabase
    )
    func prune() async throws {
        let admin = try await TestDatabase.connect()
        try await admin.simpleQuery(
            """
            INSERT INTO erpmes.conflict_log (consumer, entity, key, kind, columns, rule, source_side, outcome, logged_at)
            VALUES ('l:erp>mes', 'item', '{"id": 1}', 'update_update', '{name}', 'source_wins', 'erp', 'source', now() - interval '8 days'),
                   ('l:erp>mes', 'item', '{"id": 2}', 'update_update', '{name}', 'source_wins', 'erp', 'source', now());
            INSERT INTO erpmes.dead_letter (consumer, entity, key, message, status, closed_at)
            VALUES ('l:erp>mes', 'item', '{"id": 1}', 'old', 'resolved', now() - interval '8 days'),
                   ('l:erp>mes', 'item', '{"id": 2}', 'open', 'open', NULL);
            """
        )
        let run = try await TestDatabase.connect(user: "erpmes_run")
        #expect(try await run.query("SELECT erpmes.prune('7 days')").first?[0] == "2")
        #expect(try await admin.query("SELECT count(*) FROM erpmes.conflict_log").first?[0] == "1")
        #expect(try await admin.query("SELECT string_agg(status, ',') FROM erpmes.dead_letter").first?[0] == "open")
        await run.close()
        await admin.close()
    }
}
