import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// The conflict matrix of issue 6: update/update, update/delete, delete/update, insert/insert on
/// one key, and update/update on disjoint columns, under every rule. Both sides edit with the
/// link stopped; then ERP→MES drains first and the two directions settle. Each case asserts both
/// sides' rows and the number of conflict-log rows it wrote (on both databases together).
@Suite struct ConflictRuleTests {
    /// `thing (id, name, qty, state, changed_at)` on both sides, published on both; subscribed on
    /// MES with `rule`, and on ERP too when `bothWays`.
    static func declare(
        _ fixture: ReplicationFixture,
        rule: String,
        ownership: String = "{}",
        options: String = "{}",
        bothWays: Bool = true
    )
        async throws
    {
        for (admin, subscribe) in [(fixture.erpAdmin, bothWays), (fixture.mesAdmin, true)] {
            try await admin.simpleQuery(
                """
                CREATE TABLE public.thing (id integer PRIMARY KEY, name text NOT NULL, qty numeric(14,5) NOT NULL DEFAULT 0,
                                           state text NOT NULL DEFAULT 'released', changed_at timestamp NOT NULL DEFAULT '2026-01-01 09:00');
                GRANT SELECT, INSERT, UPDATE, DELETE ON public.thing TO app_writer, erpmes_run;
                CREATE FUNCTION public.thing_payload(keys jsonb[]) RETURNS TABLE (key jsonb, payload jsonb)
                LANGUAGE sql STABLE AS $$
                    SELECT jsonb_build_object('id', t.id), to_jsonb(t) FROM public.thing AS t
                    WHERE t.id IN (SELECT (k->>'id')::integer FROM unnest(keys) AS k)
                $$;
                CREATE FUNCTION public.thing_apply() RETURNS TABLE (key jsonb, outcome text, reason text) LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM public.thing AS t USING pg_temp.erpmes_batch AS b WHERE b.op = 'D' AND t.id = (b.key->>'id')::integer;
                    UPDATE public.thing AS t SET (name, qty, state, changed_at) = (
                        SELECT r.name, r.qty, r.state, r.changed_at FROM jsonb_populate_record(t, b.payload) AS r)
                    FROM pg_temp.erpmes_batch AS b WHERE b.op = 'U' AND t.id = (b.key->>'id')::integer;
                    INSERT INTO public.thing SELECT r.* FROM pg_temp.erpmes_batch AS b
                        CROSS JOIN jsonb_populate_record(NULL::public.thing, b.payload) AS r
                    WHERE b.op = 'U' AND NOT EXISTS (SELECT FROM public.thing AS x WHERE x.id = (b.key->>'id')::integer) ORDER BY r.id;
                    RETURN QUERY SELECT b.key, 'applied'::text, NULL::text FROM pg_temp.erpmes_batch AS b;
                END $$;
                -- custom(public.thing_merge): the source's row with the larger of the two quantities.
                CREATE FUNCTION public.thing_merge(entity text, key jsonb, base jsonb, source jsonb, target jsonb) RETURNS jsonb
                LANGUAGE sql IMMUTABLE AS $$
                    SELECT CASE WHEN source IS NULL THEN NULL
                                ELSE source || jsonb_build_object('qty', greatest((source->>'qty')::numeric, coalesce((target->>'qty')::numeric, 0))) END
                $$;
                SELECT erpmes.publish('thing', 'public.thing', ARRAY['id'], 'public.thing_payload(jsonb[])');
                """
            )
            if subscribe {
                try await admin.query(
                    "SELECT erpmes.subscribe('thing', 'public.thing_apply()', $1, $2::jsonb, NULL, $3::jsonb)",
                    [rule, ownership, options]
                )
            }
        }
    }

    /// Per key, the row on each side ("-" when absent) and the conflict-log rows written.
    struct Expected {
        var erp: [Int: String]
        var mes: [Int: String]
        var logs: [Int: Int]
    }

    static func rows(_ admin: PQConnection) async throws -> [Int: String] {
        var result: [Int: String] = [:]
        for row in try await admin.query(
            "SELECT id, name || '/' || trim_scale(qty)::text || '/' || state AS v FROM thing"
        ) {
            result[try row.decode("id", as: Int.self)] = try row.decode("v", as: String.self)
        }
        return result
    }

    static func logs(_ fixture: ReplicationFixture) async throws -> [Int: Int] {
        var result: [Int: Int] = [:]
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            for row in try await admin.query(
                "SELECT (key->>'id')::integer AS id, count(*) AS n FROM erpmes.conflict_log GROUP BY 1"
            ) {
                result[try row.decode("id", as: Int.self), default: 0] += try row.decode("n", as: Int.self)
            }
        }
        return result
    }

    /// Rows 1, 2, 3, 5 (6, 7) synchronised, then the concurrent edits, then the link settles.
    static func run(_ fixture: ReplicationFixture, stepper: Stepper, extra: Bool = false) async throws {
        let erp = try await fixture.erp()
        let mes = try await fixture.mes()
        try await erp.query("INSERT INTO thing (id, name) SELECT g, 'n' FROM unnest(ARRAY[1, 2, 3, 5, 6, 7]) AS g")
        try await stepper.settle()
        // ERP edits at 10:00, MES edits at 11:00: under newest_wins the MES side is newer.
        try await erp.simpleQuery(
            """
            UPDATE thing SET name = 'erp', changed_at = '2026-01-01 10:00' WHERE id IN (1, 2);
            DELETE FROM thing WHERE id = 3;
            INSERT INTO thing (id, name, state, changed_at) VALUES (4, 'erp', 'new', '2026-01-01 10:00');
            UPDATE thing SET name = 'erp' WHERE id = 5;
            UPDATE thing SET state = 'done' WHERE id = 6;
            UPDATE thing SET state = 'new' WHERE id = 7;
            """
        )
        try await mes.simpleQuery(
            """
            UPDATE thing SET name = 'mes', changed_at = '2026-01-01 11:00' WHERE id IN (1, 3);
            DELETE FROM thing WHERE id = 2;
            INSERT INTO thing (id, name, state, changed_at) VALUES (4, 'mes', 'running', '2026-01-01 11:00');
            UPDATE thing SET qty = 7 WHERE id = 5;
            UPDATE thing SET state = 'running' WHERE id = 6;
            """
        )
        await erp.close()
        await mes.close()
        try await stepper.settle()
        _ = extra
    }

    static func check(_ fixture: ReplicationFixture, _ expected: Expected, keys: [Int] = [1, 2, 3, 4, 5]) async throws {
        let erpRows = try await Self.rows(fixture.erpAdmin)
        let mesRows = try await Self.rows(fixture.mesAdmin)
        let logs = try await Self.logs(fixture)
        for key in keys {
            #expect(erpRows[key] ?? "-" == expected.erp[key] ?? "-", "ERP row \(key)")
            #expect(mesRows[key] ?? "-" == expected.mes[key] ?? "-", "MES row \(key)")
            #expect(logs[key] ?? 0 == expected.logs[key] ?? 0, "conflict-log rows of key \(key)")
        }
    }

    static let erpRow = "erp/0/released"
    static let mesRow = "mes/0/released"
    static let merged5 = "erp/7/released"

    /// One rule: declare, run the scenario, check.
    static func matrix(
        rule: String,
        ownership: String = "{}",
        options: String = "{}",
        bothWays: Bool = true,
        _ expected: Expected,
        keys: [Int] = [1, 2, 3, 4, 5]
    ) async throws -> ReplicationFixture {
        let fixture = try await ReplicationFixture()
        try await Self.declare(fixture, rule: rule, ownership: ownership, options: options, bothWays: bothWays)
        let stepper = try await Stepper.start(fixture)
        try await Self.run(fixture, stepper: stepper)
        try await Self.check(fixture, expected, keys: keys)
        await stepper.close()
        return fixture
    }

    @Test("source_wins: the side whose change applies first keeps it, once", .freshDatabase)
    func sourceWins() async throws {
        let both = [1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/new", 5: Self.merged5]
        try await Self.matrix(rule: "source_wins", Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1]))
            .tearDown()
    }

    @Test("target_wins: the receiving side keeps its version and the other side takes it", .freshDatabase)
    func targetWins() async throws {
        let both = [1: "mes/0/released", 3: "mes/0/released", 4: "mes/0/running", 5: Self.merged5]
        try await Self.matrix(rule: "target_wins", Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1]))
            .tearDown()
    }

    @Test("owner: ERP owns the row and name, MES owns qty; disjoint owners never conflict", .freshDatabase)
    func owner() async throws {
        let both = [1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/new", 5: Self.merged5]
        try await Self.matrix(
            rule: "owner",
            ownership: #"{"*": "erp", "qty": "mes"}"#,
            Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1])
        ).tearDown()
    }

    @Test("newest_wins(changed_at): the later change wins on both sides, an update beats a delete", .freshDatabase)
    func newestWins() async throws {
        let both = [1: Self.mesRow, 2: Self.erpRow, 3: Self.mesRow, 4: "mes/0/running", 5: Self.merged5]
        try await Self.matrix(
            rule: "newest_wins(changed_at)",
            Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1])
        ).tearDown()
    }

    @Test("forward_only(state): a state that cannot be reached from the current one is refused", .freshDatabase)
    func forwardOnly() async throws {
        let graph = #"{"graph": {"new": ["released"], "released": ["running"], "running": ["done"]}}"#
        // 4: name from ERP, but MES's 'running' cannot go back to 'new'; 6: running → done is
        // forward; 7: ERP's move back to 'new' is refused and ERP takes 'released' back.
        let both = [
            1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/running", 5: Self.merged5, 6: "n/0/done", 7: "n/0/released",
        ]
        try await Self.matrix(
            rule: "forward_only(state)",
            options: graph,
            Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1, 6: 1, 7: 1]),
            keys: [1, 2, 3, 4, 5, 6, 7]
        ).tearDown()
    }

    @Test("append_only: a posted record is never updated or deleted, every attempt is logged", .freshDatabase)
    func appendOnly() async throws {
        try await Self.matrix(
            rule: "append_only",
            bothWays: false,
            Expected(
                erp: [1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/new", 5: Self.erpRow],
                mes: [1: Self.mesRow, 3: Self.mesRow, 4: "mes/0/running", 5: "n/7/released"],
                logs: [1: 1, 2: 1, 3: 1, 4: 1, 5: 1]
            )
        ).tearDown()
    }

    @Test("custom(function): the function's row is kept on both sides", .freshDatabase)
    func custom() async throws {
        let both = [1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/new", 5: Self.merged5]
        try await Self.matrix(
            rule: "custom(public.thing_merge)",
            Expected(erp: both, mes: both, logs: [1: 1, 2: 1, 3: 1, 4: 1])
        ).tearDown()
    }

    @Test("manual: both versions are parked, nothing is written, and the key does not flow back", .freshDatabase)
    func manual() async throws {
        let fixture = try await Self.matrix(
            rule: "manual",
            Expected(
                erp: [1: Self.erpRow, 2: Self.erpRow, 4: "erp/0/new", 5: Self.merged5],
                mes: [1: Self.mesRow, 3: Self.mesRow, 4: "mes/0/running", 5: Self.merged5],
                logs: [1: 1, 2: 1, 3: 1, 4: 1]
            )
        )
        let parked = try await fixture.mesAdmin.query(
            "SELECT string_agg((key->>'id') || ':' || coalesce(source->>'name', '-') || '/' || coalesce(target->>'name', '-'), ',' ORDER BY key) FROM erpmes.conflict WHERE status = 'open'"
        )
        #expect(parked.first?[0] == "1:erp/mes,2:erp/-,3:-/mes,4:erp/mes,6:n/n")

        // A person resolves through the normal apply path: both sides end with the chosen version.
        let erp = try await fixture.erp(user: "erpmes_run")
        let mes = try await fixture.mes(user: "erpmes_run")
        let open = try await Conflicts.list(mes, side: "mes", filter: KeyFilter(entity: "thing"))
        let byKey = Dictionary(uniqueKeysWithValues: open.map { ($0.key, $0) })
        try await Conflicts.resolve(
            byKey[#"{"id": 1}"#]!,
            take: .side("erp"),
            connections: ["erp": erp, "mes": mes],
            by: "test"
        )
        try await Conflicts.resolve(
            byKey[#"{"id": 2}"#]!,
            take: .side("mes"),
            connections: ["erp": erp, "mes": mes],
            by: "test"
        )
        try await Conflicts.resolve(
            byKey[#"{"id": 4}"#]!,
            take: .payload(
                #"{"id": 4, "name": "both", "qty": 1, "state": "new", "changed_at": "2026-01-01T12:00:00"}"#
            ),
            connections: ["erp": erp, "mes": mes],
            by: "test"
        )
        let after = [1: Self.erpRow, 3: Self.mesRow, 4: "both/1/new", 5: Self.merged5]
        let first = { (rows: [Int: String]) in rows.filter { $0.key <= 5 } }
        #expect(first(try await Self.rows(fixture.erpAdmin)).filter { $0.key != 3 } == after.filter { $0.key != 3 })
        #expect(first(try await Self.rows(fixture.mesAdmin)) == after)
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT count(*) FROM erpmes.conflict WHERE status = 'open'"
            ) == "2"
        )
        // Resolved keys flow again, and the resolution itself is no change to send (an echo).
        let stepper = try await Stepper.start(fixture)
        try await stepper.settle()
        #expect(first(try await Self.rows(fixture.mesAdmin)) == after)
        try await erp.query("UPDATE thing SET qty = 9 WHERE id = 4")
        try await stepper.settle()
        #expect(try await Self.rows(fixture.mesAdmin)[4] == "both/9/new")
        await stepper.close()
        await erp.close()
        await mes.close()
        try await fixture.tearDown()
    }
}
