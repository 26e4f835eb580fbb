import ErpmesReplicator
import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// A small deterministic random generator (SplitMix64), so a failing round can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Randomized concurrent edits on both sides (200 rounds over the converging rules; 2,000 in
/// soak): each round edits random keys on both sides while the link stands still, then settles
/// with a random direction first. Both sides must then be equal.
@Suite struct RandomizedConflictTests {
    static let rules: [(rule: String, ownership: String, options: String)] = [
        ("source_wins", "{}", "{}"),
        ("target_wins", "{}", "{}"),
        ("owner", #"{"*": "erp", "qty": "mes", "state": "mes"}"#, "{}"),
        ("newest_wins(changed_at)", "{}", "{}"),
        (
            "forward_only(state)", "{}",
            #"{"graph": {"new": ["released"], "released": ["running"], "running": ["done"]}}"#
        ),
        ("custom(public.thing_merge)", "{}", "{}"),
    ]

    /// One random edit of key `key` on a side: update a column, delete, or (re)insert.
    static func edit(_ rng: inout SplitMix, key: Int, round: Int, side: String) -> String {
        let states = ["new", "released", "running", "done"]
        // Distinct times per side and round, so newest_wins has a strict order most of the time.
        let minute = round * 2 + (side == "erp" ? 0 : 1)
        let time = "'2026-01-01 00:00'::timestamp + interval '\(minute) minutes'"
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            return "DELETE FROM thing WHERE id = \(key);"
        case 1, 2:
            return
                "INSERT INTO thing (id, name, changed_at) VALUES (\(key), '\(side)\(round)', \(time)) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, changed_at = EXCLUDED.changed_at;"
        case 3, 4:
            return
                "UPDATE thing SET qty = \(Int.random(in: 1...99, using: &rng)), changed_at = \(time) WHERE id = \(key);"
        case 5, 6:
            return
                "UPDATE thing SET state = '\(states.randomElement(using: &rng)!)', changed_at = \(time) WHERE id = \(key);"
        default:
            return "UPDATE thing SET name = '\(side)\(round)', changed_at = \(time) WHERE id = \(key);"
        }
    }

    @Test("200 randomized concurrent-edit rounds end with both sides equal under every converging rule")
    func randomized() async throws {
        let roundsPerRule = Scale.pick(34, soak: 340)
        var rng = SplitMix(state: 20_261_125)
        for declaration in Self.rules {
            let fixture = try await ReplicationFixture.pair()
            try await ConflictRuleTests.declare(
                fixture,
                rule: declaration.rule,
                ownership: declaration.ownership,
                options: declaration.options
            )
            let stepper = try await Stepper.start(fixture)
            let erp = try await fixture.erp()
            let mes = try await fixture.mes()
            try await erp.query("INSERT INTO thing (id, name) SELECT g, 'n' FROM generate_series(1, 8) AS g")
            try await stepper.settle()
            for round in 1...roundsPerRule {
                var erpSQL = ""
                var mesSQL = ""
                for key in 1...8 where Int.random(in: 0..<3, using: &rng) == 0 {
                    erpSQL += Self.edit(&rng, key: key, round: round, side: "erp")
                }
                for key in 1...8 where Int.random(in: 0..<3, using: &rng) == 0 {
                    mesSQL += Self.edit(&rng, key: key, round: round, side: "mes")
                }
                if !erpSQL.isEmpty { try await erp.simpleQuery(erpSQL) }
                if !mesSQL.isEmpty { try await mes.simpleQuery(mesSQL) }
                try await stepper.settle(first: Bool.random(using: &rng) ? .erpToMES : .mesToERP)
                let erpRows = try await ConflictRuleTests.rows(fixture.erpAdmin)
                let mesRows = try await ConflictRuleTests.rows(fixture.mesAdmin)
                #expect(erpRows == mesRows, "rule \(declaration.rule), round \(round): ERP \(erpSQL) MES \(mesSQL)")
                if erpRows != mesRows { break }
            }
            #expect(
                try await ReplicationFixture.value(fixture.mesAdmin, "SELECT count(*) FROM erpmes.dead_letter") == "0"
            )
            // The rounds did make conflicts, and each one was logged.
            var logged = 0
            for admin in [fixture.erpAdmin, fixture.mesAdmin] {
                let count = try await ReplicationFixture.value(admin, "SELECT count(*) FROM erpmes.conflict_log")
                logged += Int(count ?? "0") ?? 0
            }
            #expect(logged >= roundsPerRule / 4, "rule \(declaration.rule): \(logged) conflicts logged")
            await erp.close()
            await mes.close()
            await stepper.close()
            try await fixture.tearDown()
        }
    }
}
