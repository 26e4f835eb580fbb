import Foundation

/// A Swift value that can be bound as a query parameter, in PostgreSQL's text input format.
///
/// Values are always sent as parameters (`$1`, `$2`, ...), never spliced into SQL text.
public protocol PQEncodable: Sendable {
    /// The text PostgreSQL parses for this value; nil is SQL NULL.
    var pqText: String? { get }
    /// The value as an element inside an array literal; quoted unless it is itself an array.
    var pqArrayElement: String { get }
}

extension PQEncodable {
    public var pqArrayElement: String {
        guard let text = self.pqText else { return "NULL" }
        var quoted = "\""
        for character in text.unicodeScalars {
            if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(character)
        }
        return quoted + "\""
    }
}

extension String: PQEncodable { public var pqText: String? { self } }
extension Substring: PQEncodable { public var pqText: String? { String(self) } }
extension Int: PQEncodable { public var pqText: String? { String(self) } }
extension Int16: PQEncodable { public var pqText: String? { String(self) } }
extension Int32: PQEncodable { public var pqText: String? { String(self) } }
extension Int64: PQEncodable { public var pqText: String? { String(self) } }
extension Bool: PQEncodable { public var pqText: String? { self ? "t" : "f" } }
extension PQNumeric: PQEncodable { public var pqText: String? { self.text } }
extension Decimal: PQEncodable { public var pqText: String? { PQNumeric(self).text } }
extension UUID: PQEncodable { public var pqText: String? { self.uuidString.lowercased() } }
extension PQDate: PQEncodable { public var pqText: String? { self.description } }
extension PQTimestamp: PQEncodable { public var pqText: String? { self.description } }
extension PQJSON: PQEncodable { public var pqText: String? { self.text } }

extension Double: PQEncodable {
    /// `NaN` and the infinities in the spelling PostgreSQL accepts; else the shortest exact text.
    public var pqText: String? {
        if self.isNaN { return "NaN" }
        if self.isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
}

extension Date: PQEncodable {
    /// A `timestamptz` literal in UTC with microseconds: `2024-03-31 01:30:00.25+00`.
    public var pqText: String? { PQTimestamp(utc: self).description + "+00" }
}

extension Data: PQEncodable {
    /// `bytea` hex format: `\x0a1b`.
    public var pqText: String? {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + self.count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Optional: PQEncodable where Wrapped: PQEncodable {
    public var pqText: String? { self.flatMap { $0.pqText } }
    public var pqArrayElement: String { self.map { $0.pqArrayElement } ?? "NULL" }
}

extension Array: PQEncodable where Element: PQEncodable {
    /// An array literal such as `{"a","b",NULL}`; nested arrays give multi-dimensional literals.
    public var pqText: String? { "{" + self.map(\.pqArrayElement).joined(separator: ",") + "}" }
    public var pqArrayElement: String { self.pqText ?? "NULL" }
}
