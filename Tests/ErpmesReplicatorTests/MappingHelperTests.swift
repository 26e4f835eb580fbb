import ErpmesTestSupport
import LibPQ
import Testing

/// The generic mapping helpers of the control schema (`Sql/erpmes/convert_quantity.sql`,
/// `value_map.sql`, `key_map.sql`, `plant_time.sql`), checked with Odoo's and the plant's numbers.
@Suite struct MappingHelperTests {
    /// The first column of the first row `sql` returns (nil for NULL).
    private static func value(_ connection: PQConnection, _ sql: String) async throws -> String? {
        try await connection.query(sql).first?[0]
    }

    /// The error `sql` fails with.
    private static func failure(_ connection: PQConnection, _ sql: String) async throws -> PQError {
        try await #require(throws: PQError.self) { try await connection.query(sql) }
    }

    static let units = """
        SELECT erpmes.declare_unit_conversion('box', 'pc', 10);
        SELECT erpmes.declare_unit_conversion('box', 'pc', 12, 'P-100');
        SELECT erpmes.declare_unit_conversion('kg', 'g', 1000);
        SELECT erpmes.declare_unit_conversion('t', 'kg', 1000);
        SELECT erpmes.declare_unit_conversion('dozen', 'pc', 12);
        """

    @Test("Odoo's conversions: 5 Dozens are 60 Units, 1500 g are 1.500 kg, 1 g is 0.01 kg rounded up", .freshDatabase)
    func odooConversions() async throws {
        let connection = try await TestDatabase.connect()
        // Odoo stores Dozens' factor 1/12 from a float; its float_round tolerance still gives 60, not 61.
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(5, 0.08333333333333333, 1, 1)") == "60")
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(60, 1, 0.08333333333333333, 1)") == "5")
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(1500, 1000, 1, 0.001)") == "1.500")
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(1, 1000, 1, 0.01)") == "0.01")
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(-1, 1000, 1, 0.01)") == "-0.01")
        #expect(
            try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(1, 1000, 1, 0.01, 'half-up')") == "0.00"
        )
        #expect(
            try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(1999, 1000, 1, 0.01, 'down')") == "1.99"
        )
        #expect(try await Self.value(connection, "SELECT erpmes.odoo_uom_factor(1500, 1000, 1)") == "1.5")
        #expect(try await Self.value(connection, "SELECT erpmes.round_quantity(1.25, 0.5, 'up')") == "1.5")
        #expect(try await Self.value(connection, "SELECT erpmes.round_quantity(1.235, 0.01)") == "1.24")
        #expect(try await Self.value(connection, "SELECT erpmes.round_quantity(-1.239, 0.01, 'down')") == "-1.23")
        let zero = try await Self.failure(connection, "SELECT erpmes.odoo_uom_factor(1, 0, 1, 1)")
        #expect(zero.sqlState?.rawValue == "22023")
    }

    @Test(
        "a product's own box beats the global one; inverse rows divide; one hop; rounding, then scale",
        .freshDatabase
    )
    func convertQuantity() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.simpleQuery(Self.units)
        let cases: [(String, String?)] = [
            ("2, 'box', 'pc'", "20"),
            ("2, 'box', 'pc', 'P-100'", "24"),
            ("2, 'box', 'pc', 'P-200'", "20"),  // no row of its own: the global one
            ("30, 'pc', 'box', 'P-100'", "2.5"),  // the inverse of 1 box = 12 pc
            ("30, 'pc', 'box', 'P-100', rounding => 1", "3"),  // up, as Odoo
            ("30, 'pc', 'box', 'P-100', rounding => 1, method => 'down'", "2"),
            ("1500, 'g', 'kg'", "1.5"),
            ("1, 'g', 't'", "0.000001"),  // g -> kg -> t
            ("1, 'g', 't', scale => 5", "0.00000"),
            ("1, 'pc', 'dozen', scale => 5", "0.08333"),  // numeric(14,5)
            ("1, 'box', 'dozen', 'P-100'", "1"),  // box -> pc (the product's) -> dozen
            ("7.5, 'kg', 'kg', rounding => 1", "8"),
            ("NULL, 'kg', 'g'", nil),
        ]
        for (arguments, expected) in cases {
            let result = try await Self.value(connection, "SELECT erpmes.convert_quantity(\(arguments))")
            #expect(result == expected, "convert_quantity(\(arguments))")
        }
    }

    @Test("a conversion nobody declared, or an ambiguous one, is a data error naming the units", .freshDatabase)
    func unknownConversion() async throws {
        let connection = try await TestDatabase.connect()
        try await connection.simpleQuery(Self.units)
        let unknown = try await Self.failure(connection, "SELECT erpmes.convert_quantity(1, 'box', 'kg', 'P-100')")
        #expect(unknown.sqlState?.rawValue == "22023")
        #expect(unknown.message == #"no unit conversion from "box" to "kg" for product "P-100""#)
        let global = try await Self.failure(connection, "SELECT erpmes.convert_quantity(1, 'l', 'kg')")
        #expect(global.message == #"no unit conversion from "l" to "kg""#)
        // Dirty master data: box -> carton -> dozen says 1, box -> pc -> dozen says 10/12.
        try await connection.simpleQuery(
            """
            SELECT erpmes.declare_unit_conversion('box', 'carton', 0.5);
            SELECT erpmes.declare_unit_conversion('carton', 'dozen', 2);
            """
        )
        let ambiguous = try await Self.failure(connection, "SELECT erpmes.convert_quantity(1, 'box', 'dozen')")
        #expect(ambiguous.sqlState?.rawValue == "22023")
        #expect(
            ambiguous.message
                == #"unit conversion from "box" to "dozen" is ambiguous: the paths through "carton" and "pc" disagree"#
        )
    }

    @Test(
        "value maps give the default or reject; the error names the column; an undeclared map is refused",
        .freshDatabase
    )
    func valueMaps() async throws {
        let admin = try await TestDatabase.connect()
        try await admin.simpleQuery(
            """
            SELECT erpmes.declare_value_map('mo_state', 'reject', NULL,
                '{"confirmed": "01pending", "progress": "03inProgress", "to_close": "04completed"}');
            SELECT erpmes.declare_value_map('priority', 'default', '100', '{"1": 10, "0": 100}');
            """
        )
        let run = try await TestDatabase.connect(user: "erpmes_run")
        #expect(try await Self.value(run, "SELECT erpmes.map_value('mo_state', 'confirmed')") == "01pending")
        #expect(try await Self.value(run, "SELECT erpmes.map_value('priority', '1')") == "10")
        #expect(try await Self.value(run, "SELECT erpmes.map_value('priority', '7')") == "100")
        #expect(try await Self.value(run, "SELECT erpmes.map_value('mo_state', NULL)") == nil)
        #expect(try await Self.value(run, "SELECT erpmes.try_map_value('mo_state', 'xyz')") == nil)
        #expect(try await Self.value(run, "SELECT erpmes.try_map_value('priority', 'xyz')") == "100")

        let rejected = try await Self.failure(
            run,
            "SELECT erpmes.map_value('mo_state', 'xyz', 'mrp_production.state')"
        )
        #expect(rejected.sqlState?.rawValue == "22023")
        #expect(rejected.message == "value map \"mo_state\": no mapping for 'xyz' (column mrp_production.state)")
        #expect(rejected.table == "mrp_production")
        #expect(rejected.column == "state")
        let unnamed = try await Self.failure(run, "SELECT erpmes.map_value('mo_state', 'xyz')")
        #expect(unnamed.message == "value map \"mo_state\": no mapping for 'xyz'")

        let undeclared = try await Self.failure(run, "SELECT erpmes.map_value('wo_state', 'ready')")
        #expect(undeclared.sqlState == .undefinedObject)
        #expect(undeclared.message == "value map \"wo_state\" is not declared")
        #expect(
            try await Self.failure(run, "SELECT erpmes.try_map_value('wo_state', 'ready')").sqlState == .undefinedObject
        )

        // A declaration is the whole map: a pair it no longer lists is gone.
        try await admin.query(
            "SELECT erpmes.declare_value_map('mo_state', 'reject', NULL, '{\"confirmed\": \"01pending\"}')"
        )
        #expect(try await Self.value(run, "SELECT erpmes.try_map_value('mo_state', 'progress')") == nil)
        let both = try await Self.failure(admin, "SELECT erpmes.declare_value_map('x', 'reject', 'other')")
        #expect(both.sqlState?.rawValue == "22023")
        let neither = try await Self.failure(admin, "SELECT erpmes.declare_value_map('x', NULL)")
        #expect(neither.sqlState?.rawValue == "22023")
        let write = try await Self.failure(run, "INSERT INTO erpmes.value_map VALUES ('priority', '2', '1')")
        #expect(write.sqlState == .insufficientPrivilege)
    }

    @Test("key_remember is idempotent, re-points a foreign key and refuses a local key another one has", .freshDatabase)
    func keyMaps() async throws {
        let run = try await TestDatabase.connect(user: "erpmes_run")
        let remember = #"SELECT erpmes.key_remember('mo', '{"id": 42}', '{"id": 7}')"#
        #expect(try await Self.value(run, remember) == #"{"id": 7}"#)
        #expect(try await Self.value(run, remember) == #"{"id": 7}"#)
        #expect(try await Self.value(run, "SELECT count(*) FROM erpmes.key_map") == "1")
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('mo', '{"id": 42}')"#) == #"{"id": 7}"#)
        #expect(try await Self.value(run, #"SELECT erpmes.key_reverse_lookup('mo', '{"id": 7}')"#) == #"{"id": 42}"#)
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('mo', '{"id": 43}')"#) == nil)
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('wo', '{"id": 42}')"#) == nil)

        let taken = try await Self.failure(run, #"SELECT erpmes.key_remember('mo', '{"id": 43}', '{"id": 7}')"#)
        #expect(taken.sqlState == .uniqueViolation)
        #expect(
            taken.message
                == #"key map "mo": local key {"id": 7} is already mapped to foreign key {"id": 42}, not {"id": 43}"#
        )
        let null = try await Self.failure(run, #"SELECT erpmes.key_remember('mo', NULL, '{"id": 9}')"#)
        #expect(null.sqlState?.rawValue == "22004")

        #expect(
            try await Self.value(run, #"SELECT erpmes.key_remember('mo', '{"id": 42}', '{"id": 8}')"#) == #"{"id": 8}"#
        )
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('mo', '{"id": 42}')"#) == #"{"id": 8}"#)
        #expect(try await Self.value(run, #"SELECT erpmes.key_forget('mo', '{"id": 42}')"#) == #"{"id": 8}"#)
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('mo', '{"id": 42}')"#) == nil)

        // Payload functions run as erpmes_owner (through erpmes.batch): they remember keys too.
        let admin = try await TestDatabase.connect()
        try await admin.simpleQuery(
            #"SET ROLE erpmes_owner; SELECT erpmes.key_remember('mo', '{"id": 1}', '{"id": 2}'); RESET ROLE"#
        )
        #expect(try await Self.value(run, #"SELECT erpmes.key_lookup('mo', '{"id": 1}')"#) == #"{"id": 2}"#)

        let forge = try await Self.failure(run, #"INSERT INTO erpmes.key_map VALUES ('mo', '3', '4')"#)
        #expect(forge.sqlState == .insufficientPrivilege)
        let writer = try await TestDatabase.connect(user: "app_writer")
        let outsider = try await Self.failure(writer, #"SELECT erpmes.key_remember('mo', '{"id": 5}', '{"id": 6}')"#)
        #expect(outsider.sqlState == .insufficientPrivilege)
    }

    @Test("utc_to_local crosses the DST change: 00:30 UTC is 01:30 in Berlin, 01:30 UTC is 03:30", .freshDatabase)
    func utcToLocal() async throws {
        let connection = try await TestDatabase.connect(user: "erpmes_run")
        let cases: [(String, String)] = [
            ("2026-03-29 00:30", "2026-03-29 01:30:00"),
            ("2026-03-29 01:30", "2026-03-29 03:30:00"),
            ("2026-10-25 00:30", "2026-10-25 02:30:00"),  // the first 02:30
            ("2026-10-25 01:30", "2026-10-25 02:30:00"),  // and the second
            ("2026-07-01 10:00", "2026-07-01 12:00:00"),
        ]
        for (utc, local) in cases {
            #expect(
                try await Self.value(connection, "SELECT erpmes.utc_to_local('\(utc)', 'Europe/Berlin')") == local,
                "\(utc) UTC"
            )
        }
        // The replicator sets the link's zone; the helpers default to it.
        try await connection.query("SELECT set_config('erpmes.plant_tz', 'Europe/Berlin', false)")
        #expect(
            try await Self.value(connection, "SELECT erpmes.utc_to_local('2026-03-29 01:30')") == "2026-03-29 03:30:00"
        )
        #expect(
            try await Self.value(connection, "SELECT erpmes.local_to_utc('2026-07-01 12:00')") == "2026-07-01 10:00:00"
        )
        #expect(try await Self.value(connection, "SELECT erpmes.utc_to_local(NULL)") == nil)
    }

    @Test("a local time in a DST gap is rejected, or shifted forward by the gap's length", .freshDatabase)
    func dstGap() async throws {
        let connection = try await TestDatabase.connect(user: "erpmes_run")
        let gap = try await Self.failure(connection, "SELECT erpmes.local_to_utc('2026-03-29 02:30', 'Europe/Berlin')")
        #expect(gap.sqlState == .invalidDatetimeFormat)
        #expect(
            gap.message
                == "local time 2026-03-29 02:30:00 does not exist in Europe/Berlin: the clocks skip it (DST gap)"
        )
        #expect(
            try await Self.value(
                connection,
                "SELECT erpmes.local_to_utc('2026-03-29 02:30', 'Europe/Berlin', on_gap => 'shift_forward')"
            ) == "2026-03-29 01:30:00"  // 03:30 local
        )
        #expect(
            try await Self.value(
                connection,
                "SELECT erpmes.local_to_utc_candidates('2026-03-29 02:30', 'Europe/Berlin')"
            )
                == "{}"
        )
        // The edges: 02:00 does not exist either, 03:00 does.
        #expect(
            try await Self.value(
                connection,
                "SELECT erpmes.local_to_utc_candidates('2026-03-29 02:00', 'Europe/Berlin')"
            )
                == "{}"
        )
        #expect(
            try await Self.value(connection, "SELECT erpmes.local_to_utc('2026-03-29 03:00', 'Europe/Berlin')")
                == "2026-03-29 01:00:00"
        )
        // Found from the zone's offsets, not from known dates: New York's gap, Samoa's skipped day.
        #expect(
            try await Self.value(
                connection,
                "SELECT erpmes.local_to_utc('2026-03-08 02:30', 'America/New_York', on_gap => 'shift_forward')"
            ) == "2026-03-08 07:30:00"
        )
        #expect(
            try await Self.value(
                connection,
                "SELECT erpmes.local_to_utc('2011-12-30 12:00', 'Pacific/Apia', on_gap => 'shift_forward')"
            ) == "2011-12-30 22:00:00"
        )
    }

    @Test(
        "a local time in a DST overlap is rejected, or the earlier, the later, or the one nearest a neighbour",
        .freshDatabase
    )
    func dstOverlap() async throws {
        let connection = try await TestDatabase.connect(user: "erpmes_run")
        let twice = "'2026-10-25 02:30'"
        let overlap = try await Self.failure(connection, "SELECT erpmes.local_to_utc(\(twice), 'Europe/Berlin')")
        #expect(overlap.sqlState == .invalidDatetimeFormat)
        #expect(
            overlap.message
                == "local time 2026-10-25 02:30:00 is ambiguous in Europe/Berlin: it occurs twice, at 2026-10-25 00:30:00 and 2026-10-25 01:30:00 UTC (DST overlap)"
        )
        let cases: [(String, String)] = [
            ("local_to_utc(\(twice), 'Europe/Berlin', on_overlap => 'earlier')", "2026-10-25 00:30:00"),
            ("local_to_utc(\(twice), 'Europe/Berlin', on_overlap => 'later')", "2026-10-25 01:30:00"),
            ("local_to_utc_near(\(twice), '2026-10-25 00:10', 'Europe/Berlin')", "2026-10-25 00:30:00"),
            ("local_to_utc_near(\(twice), '2026-10-25 03:00', 'Europe/Berlin')", "2026-10-25 01:30:00"),
            ("local_to_utc_near('2026-10-25 03:30', NULL, 'Europe/Berlin')", "2026-10-25 02:30:00"),
            ("local_to_utc('2026-11-01 01:30', 'America/New_York', on_overlap => 'later')", "2026-11-01 06:30:00"),
            (
                "local_to_utc_candidates(\(twice), 'Europe/Berlin')::text",
                #"{"2026-10-25 00:30:00","2026-10-25 01:30:00"}"#
            ),
        ]
        for (call, expected) in cases {
            #expect(try await Self.value(connection, "SELECT erpmes.\(call)") == expected, "\(call)")
        }
        // A neighbour exactly between both, or none, does not decide.
        for neighbour in ["'2026-10-25 01:00'", "NULL"] {
            let undecided = try await Self.failure(
                connection,
                "SELECT erpmes.local_to_utc_near(\(twice), \(neighbour), 'Europe/Berlin')"
            )
            #expect(undecided.sqlState == .invalidDatetimeFormat)
        }
    }

    @Test("a missing, fixed-offset or unknown plant time zone is a data error", .freshDatabase)
    func badZone() async throws {
        let connection = try await TestDatabase.connect(user: "erpmes_run")
        let missing = try await Self.failure(connection, "SELECT erpmes.utc_to_local('2026-03-29 01:30')")
        #expect(missing.sqlState?.rawValue == "22023")
        #expect(missing.message == "no plant time zone: set timezone on the link")
        let empty = try await Self.failure(connection, "SELECT erpmes.local_to_utc('2026-03-29 01:30', '')")
        #expect(empty.message == "no plant time zone: set timezone on the link")
        let offset = try await Self.failure(connection, "SELECT erpmes.utc_to_local('2026-03-29 01:30', 'UTC+2')")
        #expect(offset.sqlState?.rawValue == "22023")
        #expect(offset.message == "plant time zone \"UTC+2\" is a fixed offset, not an IANA zone name")
        let unknown = try await Self.failure(
            connection,
            "SELECT erpmes.utc_to_local('2026-03-29 01:30', 'Mars/Olympus')"
        )
        #expect(unknown.sqlState?.rawValue == "22023")
        #expect(unknown.message.contains("Mars/Olympus"))
    }
}
