import ErpmesCore
import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

@Suite struct DeclarationTests {
    /// `product` published with a watch on `template`: renaming a template re-publishes its products.
    static let productSQL = """
        CREATE TABLE public.template (id integer PRIMARY KEY, name text NOT NULL);
        CREATE TABLE public.product (id integer PRIMARY KEY, template_id integer NOT NULL REFERENCES public.template, code text);
        GRANT SELECT, INSERT, UPDATE, DELETE ON public.template, public.product TO app_writer, erpmes_run;
        CREATE FUNCTION public.product_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
        LANGUAGE sql STABLE AS $$
            SELECT jsonb_build_object('id', p.id), jsonb_build_object('id', p.id, 'code', p.code, 'name', t.name)
            FROM public.product AS p JOIN public.template AS t ON t.id = p.template_id
            WHERE p.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
        $$;
        """

    @Test("a watched table re-publishes the keys it maps to; unpublish removes every capture trigger", .freshDatabase)
    func watchAndUnpublish() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.erpAdmin.simpleQuery(Self.productSQL)
        try await fixture.erpAdmin.query(
            """
            SELECT erpmes.publish('product', 'public.product', ARRAY['id'], 'public.product_payload(jsonb[])',
                watch => '[{"table": "public.template", "keys": "SELECT jsonb_build_object(''id'', p.id) FROM public.product p JOIN changed c ON p.template_id = c.id"}]')
            """
        )
        try await fixture.mesAdmin.simpleQuery(
            """
            CREATE TABLE public.product (id integer PRIMARY KEY, code text, name text);
            GRANT SELECT, INSERT, UPDATE, DELETE ON public.product TO erpmes_run;
            CREATE FUNCTION public.product_apply() RETURNS TABLE (key jsonb, outcome text, reason text) LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM public.product AS p USING pg_temp.erpmes_batch AS b WHERE b.op = 'D' AND p.id = (b.key->>'id')::integer;
                INSERT INTO public.product (id, code, name)
                SELECT (b.payload->>'id')::integer, b.payload->>'code', b.payload->>'name' FROM pg_temp.erpmes_batch AS b
                WHERE b.op = 'U' ORDER BY 1
                ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name;
                RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
            END $$;
            SELECT erpmes.subscribe('product', 'public.product_apply()');
            """
        )
        let replicator = try await fixture.startReplicator()
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO template VALUES (1, 'Bolt'), (2, 'Nut')")
        try await writer.query("INSERT INTO product VALUES (10, 1, 'B-10'), (11, 1, 'B-11'), (20, 2, 'N-20')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM product",
                equals: "10:Bolt,11:Bolt,20:Nut"
            )
        )
        try await writer.query("UPDATE template SET name = 'Hex bolt' WHERE id = 1")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM product",
                equals: "10:Hex bolt,11:Hex bolt,20:Nut"
            )
        )
        await ReplicationFixture.stop(replicator)

        try await fixture.erpAdmin.query("SELECT erpmes.unpublish('product')")
        let triggers = try await fixture.erpAdmin.query(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'erpmes_product_%' AND NOT tgisinternal"
        )
        #expect(triggers.first?[0] == "0")
        let functions = try await fixture.erpAdmin.query(
            "SELECT count(*) FROM pg_proc WHERE pronamespace = 'erpmes'::regnamespace AND proname LIKE 'capture_%'"
        )
        #expect(functions.first?[0] == "0")
        try await fixture.tearDown()
    }

    @Test(
        "an entity name too long for its trigger names is refused by publish and subscribe; 47 characters capture every event",
        .freshDatabase
    )
    func entityNameLength() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.erpAdmin.simpleQuery(ReplicationFixture.itemSQL)
        // 55 characters: its four trigger names would be cut to one 63-byte identifier.
        let long = "item_" + String(repeating: "x", count: 50)
        for call in [
            "SELECT erpmes.publish('\(long)', 'public.item', ARRAY['id'], 'public.item_payload(jsonb[])')",
            "SELECT erpmes.subscribe('\(long)', 'public.item_apply()')",
        ] {
            do {
                try await fixture.erpAdmin.query(call)
                Issue.record("\(call) was accepted")
            } catch let error as PQError {
                #expect(error.sqlState?.rawValue == "22023")
                #expect(error.message.contains("55 characters long; at most 47"), "\(error.message)")
            }
        }
        // The longest name allowed keeps four distinct triggers, and an insert is captured.
        let longest = "item_" + String(repeating: "y", count: 42)
        try await fixture.erpAdmin.query(
            "SELECT erpmes.publish($1, 'public.item', ARRAY['id'], 'public.item_payload(jsonb[])')",
            [longest]
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.erpAdmin,
                "SELECT count(DISTINCT tgname) FROM pg_trigger WHERE tgrelid = 'public.item'::regclass AND NOT tgisinternal"
            ) == "4"
        )
        try await fixture.erpAdmin.query("INSERT INTO public.item (id, name) VALUES (1, 'captured')")
        #expect(try await ReplicationFixture.value(fixture.erpAdmin, "SELECT count(*) FROM erpmes.queue") == "1")
        try await fixture.tearDown()
    }

    @Test("a subscription declared while the replicator runs applies without a restart", .freshDatabase)
    func declarationReachesRunningReplicator() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.mesAdmin.query("SELECT erpmes.unsubscribe('item')")
        let replicator = try await fixture.startReplicator()
        try await fixture.mesAdmin.query("SELECT erpmes.subscribe('item', 'public.item_apply()')")
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'late subscriber')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM item WHERE id = 1",
                equals: "late subscriber"
            )
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("with NOTIFY on, an idle replicator wakes long before its poll interval", .freshDatabase)
    func notifyWakesIdleReplicator() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator(poll: .seconds(30))
        try await Task.sleep(for: .milliseconds(500))  // let it go idle
        let writer = try await fixture.erp()
        let start = ContinuousClock.now
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'woken')")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT name FROM item WHERE id = 1",
                equals: "woken",
                timeout: .seconds(20)
            )
        )
        #expect(
            ContinuousClock.now - start < .seconds(10),
            "a 30 s poll did the work: NOTIFY did not wake the replicator"
        )
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("erpmes status shows pending changes and lag per entity, and 0 lag when idle", .freshDatabase)
    func statusCommand() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) SELECT g, 'x' FROM generate_series(1, 10) AS g")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "10"))
        await ReplicationFixture.stop(replicator)
        let config = try ReplicatorProcess.writeConfiguration(fixture)
        let idle = try await ErpmesProcess.run(["status", "--config", config.path, "--json"])
        #expect(idle.status == 0, "\(idle.stderr)")
        let rows = try JSONDecoder().decode([EntityStatus].self, from: Data(idle.stdout.utf8))
        #expect(rows.map(\.direction) == ["erp>mes"])
        #expect(rows.first?.pending == 0)
        #expect(rows.first?.lagSeconds == 0)
        #expect(rows.first?.appliedKeys == 10)
        // Stopped replicator, new writes: pending and lag grow.
        try await writer.query("INSERT INTO item (id, name) SELECT g, 'y' FROM generate_series(11, 15) AS g")
        try await Task.sleep(for: .milliseconds(1100))
        let behind = try JSONDecoder().decode(
            [EntityStatus].self,
            from: Data(try await ErpmesProcess.run(["status", "--config", config.path, "--json"]).stdout.utf8)
        )
        #expect(behind.first?.pending == 5)
        #expect((behind.first?.lagSeconds ?? 0) >= 1)
        let table = try await ErpmesProcess.run(["status", "--config", config.path])
        #expect(table.stdout.hasPrefix("LINK    DIRECTION  ENTITY  PENDING  LAG"))
        try await fixture.tearDown()
    }
}
