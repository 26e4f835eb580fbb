import Foundation
import Testing

@testable import LibPQ

/// Pure parsing and encoding: no database needed.
@Suite struct ValueParsingTests {
    @Test(
        "numeric text is validated and canonicalised",
        arguments: [
            ("+007.50", "7.50"), ("-0", "0"), ("-0.000", "0.000"), (".5", "0.5"), ("nan", "NaN"), ("-inf", "-Infinity"),
        ]
    )
    func numericCanonical(input: String, expected: String) {
        #expect(PQNumeric(input)?.text == expected)
    }

    @Test("non-numbers are refused", arguments: ["", "1e5", "1.2.3", "abc", "--1", "."])
    func numericRejects(input: String) {
        #expect(PQNumeric(input) == nil)
    }

    @Test("array literals parse quoting, NULL and nesting")
    func arrayParser() throws {
        #expect(
            try PQArrayParser.parse(#"{a,"b c","d\"e",NULL,"NULL"}"#)
                == .array([.value("a"), .value("b c"), .value("d\"e"), .null, .value("NULL")])
        )
        #expect(
            try PQArrayParser.parse("{{1,2},{3}}")
                == .array([.array([.value("1"), .value("2")]), .array([.value("3")])])
        )
        #expect(try PQArrayParser.parse("{}") == .array([]))
        #expect(throws: PQError.self) { try PQArrayParser.parse("{1,2") }
        #expect(throws: PQError.self) { try PQArrayParser.parse("1,2}") }
    }

    @Test("array parameters quote and escape their elements")
    func arrayEncoding() {
        #expect(["a\"b", "c\\d", nil].pqText == #"{"a\"b","c\\d",NULL}"#)
        #expect([[1, 2], [3, 4]].pqText == #"{{"1","2"},{"3","4"}}"#)
    }

    @Test("timestamps parse offsets and BC, and print as PostgreSQL does")
    func timestamps() throws {
        let utc = try #require(PQTimestamp("2024-01-01 00:30:00-01:30"))
        #expect(utc.description == "2024-01-01 02:00:00")
        #expect(PQTimestamp("2000-02-29 12:00:00.000001")?.microsecond == 1)
        #expect(PQTimestamp("0001-01-01 00:00:00 BC")?.date.year == 0)
        #expect(PQTimestamp("2024-13-01") == nil)
        #expect(PQDate("2024-02-30 junk") == nil)
        #expect(PQTimestamp(utc: Date(timeIntervalSince1970: -0.5)).description == "1969-12-31 23:59:59.500000")
    }

    @Test("the COPY encoder escapes separators and marks NULL")
    func copyEncoder() {
        var encoder = PQCopyEncoder()
        encoder.append(["a\tb", nil, "c\\d\n"])
        #expect(String(decoding: encoder.bytes, as: UTF8.self) == "a\\tb\t\\N\tc\\\\d\\n\n")
    }

    @Test("identifiers are quoted with embedded quotes doubled")
    func quoting() {
        #expect(SQLQuote.identifier(#"we"ird"#) == #""we""ird""#)
        #expect(SQLQuote.qualified("erpmes", "queue") == #""erpmes"."queue""#)
        #expect(SQLQuote.literal("it's") == "'it''s'")
    }
}
