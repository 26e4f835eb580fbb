import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Issue 13: a backlog of any size drains in bounded batches on stock settings
/// (`max_locks_per_transaction = 64`, as the test cluster runs), each committed with its
/// position; rows written before the first run arrive; reconnects are quick; an error that stops
/// a direction shows in status. The issue's full scale (1,000,000 keys, 10 kills) runs in soak.
@Suite struct BacklogTests {
    /// Records, on `admin`'s database, how many keys each committed batch of a direction applied.
    static func recordBatchSizes(_ admin: PQConnection) async throws {
        try await admin.simpleQuery(
            """
            CREATE TABLE public.batch_size (consumer text, keys bigint, window_open boolean);
            CREATE FUNCTION public.record_batch_size() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            BEGIN
                INSERT INTO public.batch_size
                VALUES (NEW.consumer, NEW.applied_keys - OLD.applied_keys, NEW.window_snapshot IS NOT NULL);
                RETURN NULL;
            END $$;
            CREATE TRIGGER record_batch_size AFTER UPDATE OF applied_keys ON erpmes.apply_position
                FOR EACH ROW EXECUTE FUNCTION public.record_batch_size();
            """
        )
    }

    /// Writes `count` rows (ids from `from`) in transactions of 100 rows, as many writers would.
    static func insert(_ writer: PQConnection, _ table: String, from: Int = 1, count: Int, row: String) async throws {
        var first = from
        while first < from + count {
            let last = min(first + 99, from + count - 1)
            try await writer.query(
                "INSERT INTO \(table) SELECT \(row) FROM generate_series($1::integer, $2::integer) AS g",
                [first, last]
            )
            first = last + 1
        }
    }

    @Test(
        "a backlog of inserts, then of updates, drains in batches of at most batch_keys keys, each key applied once",
        .freshDatabase
    )
    func backlogDrains() async throws {
        let rows = Scale.pick(100_000, soak: 1_000_000)
        let fixture = try await ReplicationFixture()
        // Bidirectional: both sides keep bases, the case that once needed a lock per key.
        try await fixture.declareItem(erpToMES: true, mesToERP: true)
        try await Self.recordBatchSizes(fixture.mesAdmin)
        let writer = try await fixture.erp()
        try await Self.insert(writer, "item (id, name, qty)", count: rows, row: "g, 'backlog', 0")

        let configuration = try ReplicatorProcess.writeConfiguration(fixture)
        var process = try ReplicatorProcess.start(configuration)
        let timeout = Duration.seconds(Scale.pick(240, soak: 1_800))
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM item",
                equals: "\(rows)",
                timeout: timeout
            ),
            "\(process.output)"
        )
        let insertPeak = process.peakResidentBytes ?? 0
        try await process.kill()

        for first in stride(from: 1, through: rows, by: 100) {
            try await writer.query("UPDATE item SET qty = qty + 1 WHERE id BETWEEN $1 AND $2", [first, first + 99])
        }
        process = try ReplicatorProcess.start(configuration)
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT sum(qty)::bigint FROM item",
                equals: "\(rows)",
                timeout: timeout
            ),
            "\(process.output)"
        )
        let updatePeak = process.peakResidentBytes ?? 0
        // Every key applied once per change: inserted (1), updated (2); nothing doubled or lost.
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE applies <> 2") == "0"
        )
        #expect(
            try await ReplicationFixture.value(
                fixture.mesAdmin,
                "SELECT max(keys) FROM batch_size WHERE consumer = 'plant1:erp>mes'"
            ) == "10000"
        )
        // Several batches held a window open: the backlog did not go as one transaction.
        let split = try await ReplicationFixture.value(
            fixture.mesAdmin,
            "SELECT count(*) FROM batch_size WHERE window_open"
        )
        #expect(Int(split ?? "0") ?? 0 >= rows / 10_000 - 2)
        // The echo of every apply stays on the MES side; no error was stored on either side.
        #expect(try await fixture.converged(timeout: .seconds(60)))
        for admin in [fixture.erpAdmin, fixture.mesAdmin] {
            #expect(try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.link_error") == "0")
        }
        #expect(!process.output.contains("out of shared memory"), "\(process.output)")
        // Memory stays bounded by the batch, not the backlog (the issue: 200 MB at 1,000,000 keys).
        #expect(max(insertPeak, updatePeak) < 200 << 20, "peak RSS \(insertPeak) / \(updatePeak) bytes")
        print("backlog of \(rows): peak RSS \(insertPeak >> 20) MiB (inserts), \(updatePeak >> 20) MiB (updates)")
        try await process.kill()
        try await fixture.tearDown()
    }

    @Test(
        "kill -9 during a backlog drain resumes after the last committed batch: additive rows once, sums exact",
        .freshDatabase
    )
    func killDuringDrain() async throws {
        let rows = Scale.pick(60_000, soak: 1_000_000)
        let kills = Scale.pick(3, soak: 10)
        let fixture = try await ReplicationFixture()
        try await fixture.declareMovement()
        // append_only, the rule of additive facts: it keeps bases on the target.
        try await fixture.mesAdmin.query(
            "SELECT erpmes.subscribe('movement', 'public.movement_apply()', conflict_rule => 'append_only')"
        )
        let writer = try await fixture.erp()
        try await Self.insert(writer, "movement (id, item_id, qty)", count: rows, row: "g, g % 10, 1")

        let configuration = try ReplicatorProcess.writeConfiguration(fixture, batchKeys: 2_000)
        let position = """
            SELECT coalesce(window_done, 0) FROM erpmes.apply_position WHERE consumer = 'plant1:erp>mes'
            """
        var process = try ReplicatorProcess.start(configuration)
        var resumed = 0
        for _ in 1...kills {
            // A random moment while the window is applied.
            let before = Int(try await ReplicationFixture.value(fixture.mesAdmin, position) ?? "0") ?? 0
            _ = try await fixture.eventually(timeout: .seconds(60)) {
                (Int(try await ReplicationFixture.value(fixture.mesAdmin, position) ?? "0") ?? 0) > before
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
            try await process.kill()
            let stored = Int(try await ReplicationFixture.value(fixture.mesAdmin, position) ?? "0") ?? 0
            let applied = Int(
                try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement") ?? "0"
            )
            // What is stored is exactly what was applied: the position is the batch's commit.
            #expect(applied == stored, "position \(stored), rows \(applied ?? -1)")
            if stored > 0 && stored < rows { resumed += 1 }
            process = try ReplicatorProcess.start(configuration)
            // The restart goes on from the stored key: it never falls back below it.
            _ = try await fixture.eventually(timeout: .seconds(30)) {
                let now = Int(try await ReplicationFixture.value(fixture.mesAdmin, position) ?? "0") ?? 0
                let count = try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement")
                return now != stored || count == "\(rows)"
            }
            let next = Int(try await ReplicationFixture.value(fixture.mesAdmin, position) ?? "0") ?? 0
            #expect(next >= stored || next == 0, "the position went back from \(stored) to \(next)")
        }
        #expect(resumed >= 1, "no kill landed inside the window")
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM movement",
                equals: "\(rows)",
                timeout: .seconds(Scale.pick(180, soak: 1_800))
            ),
            "\(process.output)"
        )
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM movement WHERE applies <> 1")
                == "0"
        )
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(qty)::bigint FROM stock") == "\(rows)")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(moves) FROM stock") == "\(rows)")
        try await process.kill()
        try await fixture.tearDown()
    }

    @Test(
        "one source transaction larger than batch_keys applies in committed batches of whole keys, in key order",
        .freshDatabase
    )
    func largeTransaction() async throws {
        let rows = Scale.pick(200_000, soak: 200_000)
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await Self.recordBatchSizes(fixture.mesAdmin)
        let replicator = try await fixture.startReplicator(batchKeys: 10_000)
        // A reader on the target sees the rows arrive batch by batch, in key order (README:
        // Guarantees): a count that is a whole number of batches, ids 1..count and nothing else.
        let reader = try await fixture.mes()
        let watch = Task {
            var seen: [(count: Int, top: Int)] = []
            while !Task.isCancelled {
                let row = try await reader.query("SELECT count(*), coalesce(max(id), 0) FROM item").first
                let now = (try row?.decode(0, as: Int.self) ?? -1, try row?.decode(1, as: Int.self) ?? -1)
                if seen.last.map({ $0 != now }) ?? true { seen.append(now) }
                if now.0 == rows { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            return seen
        }
        let writer = try await fixture.erp()
        try await writer.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'bulk', g FROM generate_series(1, $1::integer) AS g",
            [rows]
        )
        #expect(
            try await fixture.eventually(
                fixture.mesAdmin,
                "SELECT count(*) FROM item",
                equals: "\(rows)",
                timeout: .seconds(240)
            )
        )
        let seen = try await watch.value
        #expect(seen.allSatisfy { $0.count % 10_000 == 0 && $0.top == $0.count }, "seen: \(seen)")
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.count < $1.count }, "seen: \(seen)")
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(qty)::bigint FROM item")
                == "\(rows * (rows + 1) / 2)"
        )
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT max(keys) FROM batch_size") == "10000")
        #expect(try await ReplicationFixture.value(fixture.mesAdmin, "SELECT sum(keys) FROM batch_size") == "\(rows)")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test(
        "a large backlog of one entity does not hold back another: entities take turns within a window",
        .freshDatabase
    )
    func entitiesTakeTurns() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        try await fixture.declareMovement()
        let writer = try await fixture.erp()
        try await writer.query(
            "INSERT INTO item (id, name, qty) SELECT g, 'backlog', g FROM generate_series(1, 20000) AS g"
        )
        try await writer.query(
            "INSERT INTO movement (id, item_id, qty) SELECT g, g, 1 FROM generate_series(1, 200) AS g"
        )
        let replicator = try await fixture.startReplicator(batchKeys: 1_000)
        // Watch both: movements must show up while most items are still to come.
        var early = false
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let row = try await fixture.mesAdmin.query(
                "SELECT (SELECT count(*) FROM item), (SELECT count(*) FROM movement)"
            ).first
            let items = try row?.decode(0, as: Int.self) ?? 0
            let movements = try row?.decode(1, as: Int.self) ?? 0
            if movements > 0 && items < 10_000 { early = true }
            if items == 20_000 && movements == 200 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(early, "movements waited for the items' backlog")
        #expect(try await fixture.converged(timeout: .seconds(60)))
        #expect(try await fixture.converged("public.movement", "id, item_id, qty", timeout: .seconds(60)))
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }

    @Test("rows written between publish/subscribe and the first erpmes run all arrive", .freshDatabase)
    func rowsBeforeFirstRun() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let writer = try await fixture.erp()
        for id in 1...50 {
            try await writer.query(
                "INSERT INTO item (id, name, qty) VALUES ($1, 'before the first run', $2)",
                [id, id]
            )
        }
        // Status says so before the link ever ran: 50 waiting, not OK.
        let config = try ReplicatorProcess.writeConfiguration(fixture)
        let before = try await ErpmesProcess.run(["status", "--config", config.path, "--json"])
        let rows = try JSONDecoder().decode([EntityStatus].self, from: Data(before.stdout.utf8))
        #expect(rows.first { $0.direction == "erp>mes" }?.pending == 50, "\(before.stdout)")
        #expect(rows.first { $0.direction == "erp>mes" }?.status == "WARN", "\(before.stdout)")

        let replicator = try await fixture.startReplicator()
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "50"))
        #expect(try await fixture.converged())
        // A second start of the same link keeps its position: nothing is sent twice.
        await ReplicationFixture.stop(replicator)
        let again = try await fixture.startReplicator()
        try await writer.query("INSERT INTO item (id, name) VALUES (51, 'after')")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT count(*) FROM item", equals: "51"))
        #expect(
            try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM item WHERE applies <> 1") == "0"
        )
        await ReplicationFixture.stop(again)
        try await fixture.tearDown()
    }

    @Test(
        "a persistent apply error shows in status with its SQLSTATE and age, status exits 2, and clears once fixed",
        .freshDatabase
    )
    func errorShowsInStatus() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        // The apply raises "out of shared memory" for ever (a transient class: the link retries).
        try await fixture.mesAdmin.simpleQuery(
            """
            ALTER FUNCTION public.item_apply() RENAME TO item_apply_real;
            CREATE FUNCTION public.item_apply() RETURNS TABLE (key jsonb, outcome text, reason text)
            LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT FROM pg_temp.erpmes_batch WHERE (payload->>'name') = 'poison') THEN
                    RAISE EXCEPTION 'out of shared memory' USING ERRCODE = '53200';
                END IF;
                RETURN QUERY SELECT * FROM public.item_apply_real();
            END $$;
            SELECT erpmes.subscribe('item', 'public.item_apply()');
            """
        )
        let writer = try await fixture.erp()
        try await writer.query("INSERT INTO item (id, name) VALUES (1, 'poison')")
        let config = try ReplicatorProcess.writeConfiguration(fixture)
        var shown: ErpmesProcess.Result?
        let failing = try await fixture.eventually(timeout: .seconds(5)) {
            let now = try await ErpmesProcess.run(["status", "--config", config.path, "--json"])
            shown = now
            return now.status == 2 && now.stdout.contains("53200")
        }
        #expect(failing, "\(shown?.stdout ?? "") \(shown?.stderr ?? "")")
        let rows = try JSONDecoder().decode([EntityStatus].self, from: Data((shown?.stdout ?? "[]").utf8))
        let item = rows.first { $0.direction == "erp>mes" }
        #expect(item?.status == "CRIT")
        #expect(item?.error?.contains("53200") == true && item?.error?.contains("for ") == true, "\(item?.error ?? "")")
        let view = try await ReplicationFixture.value(
            fixture.mesAdmin,
            "SELECT status || ' ' || error FROM erpmes.replication_health WHERE role = 'target' AND entity = 'item'"
        )
        #expect(view?.hasPrefix("CRIT error 53200") == true, "\(view ?? "")")

        // Fixed: the row applies, the error goes, status is OK again.
        try await writer.query("UPDATE item SET name = 'cured' WHERE id = 1")
        #expect(try await fixture.eventually(fixture.mesAdmin, "SELECT name FROM item WHERE id = 1", equals: "cured"))
        let cleared = try await fixture.eventually(timeout: .seconds(10)) {
            try await ErpmesProcess.run(["status", "--config", config.path]).status == 0
        }
        #expect(cleared)
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}

/// Issue 13: the reconnect backoff starts again once the link was up. A latency bound, so it runs
/// with the timing-sensitive suites (scripts/run-tests), alone on the machine.
@Suite struct ReconnectLatencyTests {
    @Test(
        "ten terminated backends in a row, each after the link reconnected: every outage is under 2 s",
        .freshDatabase
    )
    func reconnectsStayQuick() async throws {
        let fixture = try await ReplicationFixture()
        try await fixture.declareItem()
        let replicator = try await fixture.startReplicator()
        let writer = try await fixture.erp()
        var outages: [Duration] = []
        for round in 1...10 {
            try await fixture.mesAdmin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'erpmes-run plant1%' AND datname = current_database()"
            )
            let cut = ContinuousClock.now
            try await writer.query("INSERT INTO item (id, name) VALUES ($1, 'after a cut')", [round])
            #expect(
                try await fixture.eventually(
                    fixture.mesAdmin,
                    "SELECT count(*) FROM item WHERE id = \(round)",
                    equals: "1",
                    timeout: .seconds(30)
                )
            )
            outages.append(ContinuousClock.now - cut)
        }
        #expect(outages.allSatisfy { $0 < .seconds(2) }, "outages: \(outages)")
        await ReplicationFixture.stop(replicator)
        try await fixture.tearDown()
    }
}
