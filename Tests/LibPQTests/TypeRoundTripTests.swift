import ErpmesTestSupport
import Foundation
import LibPQ
import Testing

/// Every type goes to the server as a bound parameter and comes back decoded, NULLs included.
@Suite struct TypeRoundTripTests {
    /// Binds `value` cast to `type`, selects it back, and decodes it as `T`.
    func roundTrip<T: PQEncodable & PQDecodable>(
        _ connection: PQConnection,
        _ value: T,
        as type: String
    ) async throws -> T {
        let row = try #require(try await connection.query("SELECT $1::\(type) AS v", [value]).first)
        return try row.decode("v", as: T.self)
    }

    @Test("bool, int2, int4, int8 with their extremes and NULL", .freshDatabase)
    func integersAndBool() async throws {
        let c = try await TestDatabase.connect()
        #expect(try await self.roundTrip(c, true, as: "bool") == true)
        #expect(try await self.roundTrip(c, false, as: "bool") == false)
        #expect(try await self.roundTrip(c, Int16.min, as: "int2") == Int16.min)
        #expect(try await self.roundTrip(c, Int32.max, as: "int4") == Int32.max)
        #expect(try await self.roundTrip(c, Int64.min, as: "int8") == Int64.min)
        #expect(try await self.roundTrip(c, Int.max, as: "int8") == Int.max)
        let row = try #require(try await c.query("SELECT $1::int8 AS a, $2::bool AS b", [nil, Bool?.none]).first)
        #expect(try row.decode("a", as: Int?.self) == nil)
        #expect(try row.decode("b", as: Bool?.self) == nil)
        #expect(try row.value("a") == .null)
        let error = try #require(throws: PQError.self) { try row.decode("a", as: Int.self) }
        #expect(error.code == .decoding)
        #expect(error.message.contains("column \"a\""))
    }

    @Test("numeric stays exact: numeric(38,10) extremes, NaN, Infinity, huge and tiny values", .freshDatabase)
    func numerics() async throws {
        let c = try await TestDatabase.connect()
        let largest = PQNumeric("9999999999999999999999999999.9999999999")
        #expect(
            try await self.roundTrip(c, largest, as: "numeric(38,10)").text == "9999999999999999999999999999.9999999999"
        )
        let smallest = PQNumeric("-9999999999999999999999999999.9999999999")
        #expect(try await self.roundTrip(c, smallest, as: "numeric(38,10)") == smallest)
        #expect(try await self.roundTrip(c, PQNumeric("0.0000000001"), as: "numeric(38,10)").text == "0.0000000001")
        #expect(try await self.roundTrip(c, PQNumeric("NaN"), as: "numeric").isNaN)
        #expect(try await self.roundTrip(c, PQNumeric("Infinity"), as: "numeric").text == "Infinity")
        #expect(try await self.roundTrip(c, PQNumeric("-Infinity"), as: "numeric").text == "-Infinity")
        let huge = PQNumeric("1" + String(repeating: "0", count: 200) + ".5")!
        #expect(try await self.roundTrip(c, huge, as: "numeric") == huge)
        // Scale is kept as the column declares it; equality ignores trailing zeros.
        let scaled = try await self.roundTrip(c, PQNumeric("12.5"), as: "numeric(14,5)")
        #expect(scaled.text == "12.50000")
        #expect(scaled == PQNumeric("12.5"))
        // Decimal: exact when it fits, refused when it would round.
        let quantity = try #require(try await c.query("SELECT 12.34567::numeric(14,5) AS q").first)
        #expect(try quantity.decode("q", as: Decimal.self) == Decimal(string: "12.34567"))
        let tooLong = try #require(try await c.query("SELECT $1::numeric AS q", [huge]).first)
        #expect(throws: PQError.self) { try tooLong.decode("q", as: Decimal.self) }
        #expect(try await self.roundTrip(c, Decimal(string: "-0.125")!, as: "numeric") == Decimal(string: "-0.125"))
        // A numeric column is not silently read as Double.
        #expect(throws: PQError.self) { try quantity.decode("q", as: Double.self) }
        #expect(try quantity.value("q") == .numeric(PQNumeric("12.34567")))
    }

    @Test("float8 keeps full precision and its special values", .freshDatabase)
    func floats() async throws {
        let c = try await TestDatabase.connect()
        #expect(try await self.roundTrip(c, 0.1 + 0.2, as: "float8") == 0.1 + 0.2)
        #expect(try await self.roundTrip(c, Double.infinity, as: "float8") == .infinity)
        #expect(try await self.roundTrip(c, Double.nan, as: "float8").isNaN)
    }

    @Test("text and varchar with quotes, backslashes, tabs, newlines and non-ASCII", .freshDatabase)
    func texts() async throws {
        let c = try await TestDatabase.connect()
        let tricky = "it's \"quoted\" \\ back\tslash\nnew line – Grüße 工場 🏭"
        #expect(try await self.roundTrip(c, tricky, as: "text") == tricky)
        #expect(try await self.roundTrip(c, tricky, as: "varchar(100)") == tricky)
        #expect(try await self.roundTrip(c, "", as: "text") == "")
    }

    @Test("date, timestamp and timestamptz to the microsecond, BC and infinity", .freshDatabase)
    func datesAndTimes() async throws {
        let c = try await TestDatabase.connect()
        let day = PQDate(year: 2024, month: 2, day: 29)
        #expect(try await self.roundTrip(c, day, as: "date") == day)
        #expect(
            try await self.roundTrip(c, PQDate(year: -43, month: 3, day: 15), as: "date").description == "0044-03-15 BC"
        )
        #expect(try await self.roundTrip(c, PQDate.infinity, as: "date") == .infinity)
        #expect(try await self.roundTrip(c, PQDate.negativeInfinity, as: "date") == .negativeInfinity)

        let stamp = PQTimestamp(date: day, hour: 23, minute: 59, second: 58, microsecond: 123_456)
        #expect(try await self.roundTrip(c, stamp, as: "timestamp") == stamp)
        #expect(try await self.roundTrip(c, PQTimestamp.infinity, as: "timestamp") == .infinity)

        // timestamptz: an instant; an offset in the input is applied, output is UTC.
        let row = try #require(
            try await c.query(
                "SELECT '2024-03-31 03:30:00.5+02'::timestamptz AS t, $1::timestamptz AS u",
                [Date(timeIntervalSince1970: 1_700_000_000.25)]
            ).first
        )
        #expect(row["t"] == "2024-03-31 01:30:00.5+00")
        #expect(
            try row.decode("t", as: PQTimestamp.self)
                == PQTimestamp(
                    date: PQDate(year: 2024, month: 3, day: 31),
                    hour: 1,
                    minute: 30,
                    second: 0,
                    microsecond: 500_000
                )
        )
        #expect(try row.decode("u", as: Date.self) == Date(timeIntervalSince1970: 1_700_000_000.25))
        // A naive timestamp read as Date is taken as UTC (the ERP convention).
        let naive = try #require(try await c.query("SELECT '1970-01-02 00:00:01'::timestamp AS t").first)
        #expect(try naive.decode("t", as: Date.self) == Date(timeIntervalSince1970: 86_401))
        // Plant-local wall clock to an instant.
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let local = PQTimestamp(date: PQDate(year: 2024, month: 7, day: 1), hour: 8)
        #expect(local.date(in: berlin) == Date(timeIntervalSince1970: 1_719_813_600))
    }

    @Test("jsonb and json round-trip and decode into Swift types", .freshDatabase)
    func json() async throws {
        struct Key: Codable, Equatable {
            var id: Int
            var name: String
        }
        let c = try await TestDatabase.connect()
        let value = try PQJSON(encoding: Key(id: 42, name: "WH/MO/00012"))
        let back = try await self.roundTrip(c, value, as: "jsonb")
        #expect(try back.decode(Key.self) == Key(id: 42, name: "WH/MO/00012"))
        #expect(back.text == #"{"id": 42, "name": "WH/MO/00012"}"#)
        let exact = try await self.roundTrip(c, PQJSON(text: #"{"qty": 12345678901234567890.123456789}"#), as: "jsonb")
        #expect(exact.text == #"{"qty": 12345678901234567890.123456789}"#)
        #expect(try await self.roundTrip(c, PQJSON(text: "[1, null]"), as: "json").text == "[1, null]")
    }

    @Test("bytea and uuid", .freshDatabase)
    func byteaAndUUID() async throws {
        let c = try await TestDatabase.connect()
        let bytes = Data((0...255).map { UInt8($0) })
        #expect(try await self.roundTrip(c, bytes, as: "bytea") == bytes)
        #expect(try await self.roundTrip(c, Data(), as: "bytea") == Data())
        let id = UUID()
        #expect(try await self.roundTrip(c, id, as: "uuid") == id)
    }

    @Test("arrays of every type, with NULL elements, quoting and empty arrays", .freshDatabase)
    func arrays() async throws {
        let c = try await TestDatabase.connect()
        #expect(try await self.roundTrip(c, [1, 2, 3], as: "int4[]") == [1, 2, 3])
        #expect(try await self.roundTrip(c, [Int64.max, nil], as: "int8[]") == [Int64.max, nil])
        let texts: [String?] = ["a b", "x\"y", "back\\slash", "NULL", "", "{braces},", nil]
        #expect(try await self.roundTrip(c, texts, as: "text[]") == texts)
        #expect(try await self.roundTrip(c, [String](), as: "text[]") == [])
        #expect(try await self.roundTrip(c, [true, false], as: "bool[]") == [true, false])
        let numerics = [PQNumeric("1.5"), PQNumeric("NaN"), PQNumeric("-0.00001")]
        #expect(try await self.roundTrip(c, numerics, as: "numeric[]") == numerics)
        let days = [PQDate(year: 2024, month: 1, day: 1), .infinity]
        #expect(try await self.roundTrip(c, days, as: "date[]") == days)
        let stamps = [PQTimestamp(date: PQDate(year: 2024, month: 1, day: 1), hour: 12, microsecond: 1)]
        #expect(try await self.roundTrip(c, stamps, as: "timestamp[]") == stamps)
        #expect(
            try await self.roundTrip(c, [Date(timeIntervalSince1970: 0)], as: "timestamptz[]") == [
                Date(timeIntervalSince1970: 0)
            ]
        )
        let docs = [PQJSON(text: #"{"a": "b,c"}"#), PQJSON(text: "[]")]
        #expect(try await self.roundTrip(c, docs, as: "jsonb[]") == docs)
        let blobs = [Data([0, 1]), Data([255])]
        #expect(try await self.roundTrip(c, blobs, as: "bytea[]") == blobs)
        let ids = [UUID(), UUID()]
        #expect(try await self.roundTrip(c, ids, as: "uuid[]") == ids)
        // Multi-dimensional arrays and explicit lower bounds decode as nested values.
        let row = try #require(
            try await c.query("SELECT $1::int[] AS m, '[0:1]={5,6}'::int[] AS b", [[[1, 2], [3, 4]]]).first
        )
        #expect(try row.value("m") == .array([.array([.int(1), .int(2)]), .array([.int(3), .int(4)])]))
        #expect(try row.decode("b", as: [Int].self) == [5, 6])
        #expect(throws: PQError.self) { try row.decode("m", as: [Int].self) }
    }

    @Test("PQValue decodes a row by column type without knowing it ahead", .freshDatabase)
    func dynamicValues() async throws {
        let c = try await TestDatabase.connect()
        let row = try #require(
            try await c.query(
                "SELECT true AS b, 7::int2 AS i, 1.50::numeric AS n, 'x'::varchar AS t, '2024-01-02'::date AS d, '{\"k\":1}'::jsonb AS j, '\\x01'::bytea AS y, NULL::text AS z"
            ).first
        )
        #expect(try row.value("b") == .bool(true))
        #expect(try row.value("i") == .int(7))
        #expect(try row.value("n") == .numeric(PQNumeric("1.5")))
        #expect(try row.value("t") == .text("x"))
        #expect(try row.value("d") == .date(PQDate(year: 2024, month: 1, day: 2)))
        #expect(try row.value("j") == .json(PQJSON(text: #"{"k": 1}"#)))
        #expect(try row.value("y") == .bytea(Data([1])))
        #expect(try row.value("z") == .null)
        #expect(row.columns.types[0] == .bool)
        #expect(row.columns.names == ["b", "i", "n", "t", "d", "j", "y", "z"])
    }
}
