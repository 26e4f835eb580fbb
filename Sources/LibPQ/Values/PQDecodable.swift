import Foundation

/// A Swift type that a column's text value decodes into.
///
/// Decoding checks the column type where a mismatch would be silent (an `int8` column into `Bool`),
/// and throws ``PQError/Code/decoding`` naming the column's type and the text.
public protocol PQDecodable: Sendable {
    /// Decodes `text`; nil is SQL NULL, which only optionals accept.
    static func pqDecode(_ text: String?, type: PQType) throws -> Self
}

extension PQDecodable {
    static func mismatch(_ text: String, _ type: PQType) -> PQError {
        .decoding("cannot decode \(type) value \"\(text.prefix(80))\" as \(Self.self)")
    }

    static func nonNull(_ text: String?, _ type: PQType) throws -> String {
        guard let text else { throw PQError.decoding("unexpected NULL for non-optional \(Self.self)") }
        return text
    }
}

extension Optional: PQDecodable where Wrapped: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Wrapped? {
        guard let text else { return nil }
        return try Wrapped.pqDecode(text, type: type)
    }
}

extension String: PQDecodable {
    /// Any column decodes as its text, the way psql shows it.
    public static func pqDecode(_ text: String?, type: PQType) throws -> String { try nonNull(text, type) }
}

extension Bool: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Bool {
        let text = try nonNull(text, type)
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw mismatch(text, type)
        }
    }
}

extension FixedWidthInteger where Self: PQDecodable {
    static func decodeInteger(_ text: String?, type: PQType) throws -> Self {
        let text = try nonNull(text, type)
        guard [.int2, .int4, .int8, .oid, .xid8, .numeric, .text, .varchar].contains(type) || type.oid > 10_000,
            let value = Self(text)
        else { throw mismatch(text, type) }
        return value
    }
}

extension Int: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Int { try decodeInteger(text, type: type) }
}
extension Int16: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Int16 { try decodeInteger(text, type: type) }
}
extension Int32: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Int32 { try decodeInteger(text, type: type) }
}
extension Int64: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> Int64 { try decodeInteger(text, type: type) }
}
extension UInt64: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> UInt64 { try decodeInteger(text, type: type) }
}

extension Double: PQDecodable {
    /// `float4`/`float8` only: a `numeric` must not pass through binary floating point by accident.
    public static func pqDecode(_ text: String?, type: PQType) throws -> Double {
        let text = try nonNull(text, type)
        guard type == .float4 || type == .float8 else { throw mismatch(text, type) }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw mismatch(text, type) }
            return value
        }
    }
}

extension PQNumeric: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> PQNumeric {
        let text = try nonNull(text, type)
        guard let value = PQNumeric(text) else { throw mismatch(text, type) }
        return value
    }
}

extension Decimal: PQDecodable {
    /// Exact or an error: a numeric with more than 38 significant digits does not fit `Decimal`.
    public static func pqDecode(_ text: String?, type: PQType) throws -> Decimal {
        let text = try nonNull(text, type)
        guard let numeric = PQNumeric(text), let value = numeric.decimal else { throw mismatch(text, type) }
        return value
    }
}

extension PQDate: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> PQDate {
        let text = try nonNull(text, type)
        guard let value = PQDate(text) else { throw mismatch(text, type) }
        return value
    }
}

extension PQTimestamp: PQDecodable {
    /// `timestamp` as its wall clock; `timestamptz` as the UTC wall clock of the instant.
    public static func pqDecode(_ text: String?, type: PQType) throws -> PQTimestamp {
        let text = try nonNull(text, type)
        guard let value = PQTimestamp(text) else { throw mismatch(text, type) }
        return value
    }
}

extension Date: PQDecodable {
    /// `timestamptz`, or a naive `timestamp` read as UTC (the ERP convention). Infinity throws.
    public static func pqDecode(_ text: String?, type: PQType) throws -> Date {
        let text = try nonNull(text, type)
        guard type == .timestamptz || type == .timestamp, let value = PQTimestamp(text)?.utcDate else {
            throw mismatch(text, type)
        }
        return value
    }
}

extension PQJSON: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> PQJSON {
        PQJSON(text: try nonNull(text, type))
    }
}

extension UUID: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> UUID {
        let text = try nonNull(text, type)
        guard let value = UUID(uuidString: text) else { throw mismatch(text, type) }
        return value
    }
}

extension Data: PQDecodable {
    /// `bytea` in hex output format (the default since PostgreSQL 9.0).
    public static func pqDecode(_ text: String?, type: PQType) throws -> Data {
        let text = try nonNull(text, type)
        let bytes = Array(text.utf8)
        guard type == .bytea, bytes.count % 2 == 0, bytes.starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "x")]) else {
            throw mismatch(text, type)
        }
        var data = Data(capacity: bytes.count / 2 - 1)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw mismatch(text, type)
            }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Array: PQDecodable where Element: PQDecodable {
    /// A one-dimensional array of a built-in element type; elements decode with the element type.
    public static func pqDecode(_ text: String?, type: PQType) throws -> [Element] {
        let text = try nonNull(text, type)
        guard let elementType = type.elementType else {
            throw mismatch(text, type)
        }
        guard case .array(let nodes) = try PQArrayParser.parse(text) else { throw mismatch(text, type) }
        return try nodes.map { node in
            switch node {
            case .null: return try Element.pqDecode(nil, type: elementType)
            case .value(let value): return try Element.pqDecode(value, type: elementType)
            case .array: throw mismatch(text, type)
            }
        }
    }
}

extension PQValue: PQDecodable {
    public static func pqDecode(_ text: String?, type: PQType) throws -> PQValue { try PQValue(text: text, type: type) }
}
