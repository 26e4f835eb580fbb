import Foundation

/// An exact PostgreSQL `numeric`, kept as its decimal text so no digit is ever lost.
///
/// Quantities must never pass through `Double`. `numeric` holds up to 131072 digits before the point,
/// more than `Decimal`'s 38, so the text is the value and ``decimal`` is a checked conversion.
/// `NaN`, `Infinity` and `-Infinity` are values too (PostgreSQL 14 and later).
public struct PQNumeric: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral
{
    /// Canonical text: no leading `+`, no leading zeros, trailing fraction zeros kept as the server
    /// sent them (scale is part of a numeric's value in PostgreSQL's output).
    public let text: String

    /// Parses decimal text such as `-12.50`, `NaN` or `Infinity`; nil when it is not a number.
    public init?(_ text: String) {
        guard let canonical = Self.canonical(text) else { return nil }
        self.text = canonical
    }

    public init(stringLiteral value: String) {
        guard let canonical = Self.canonical(value) else { preconditionFailure("not a numeric literal: \(value)") }
        self.text = canonical
    }

    public init(integerLiteral value: Int) { self.text = String(value) }

    /// Exact conversion from `Decimal`.
    public init(_ decimal: Decimal) {
        self.text = decimal.isNaN ? "NaN" : NSDecimalNumber(decimal: decimal).description(withLocale: nil)
    }

    public var isNaN: Bool { self.text == "NaN" }
    public var isInfinite: Bool { self.text == "Infinity" || self.text == "-Infinity" }

    /// The value as `Decimal`, or nil if it does not fit exactly (more than 38 significant digits,
    /// or infinite). `NaN` maps to `Decimal.nan`.
    public var decimal: Decimal? {
        if self.isNaN { return .nan }
        if self.isInfinite { return nil }
        guard let value = Decimal(string: self.text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        // Decimal keeps 38 digits; compare the significant digits so a silent rounding is refused.
        return Self.significant(NSDecimalNumber(decimal: value).description(withLocale: nil))
            == Self.significant(self.text) ? value : nil
    }

    public var description: String { self.text }

    /// Equality is by value with trailing zeros ignored: `1.50 == 1.5`, as in SQL.
    public static func == (lhs: PQNumeric, rhs: PQNumeric) -> Bool {
        Self.significant(lhs.text) == Self.significant(rhs.text)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(Self.significant(self.text)) }

    private static func significant(_ text: String) -> String {
        guard text.contains(".") else { return text == "-0" ? "0" : text }
        var trimmed = Substring(text)
        while trimmed.last == "0" { trimmed.removeLast() }
        if trimmed.last == "." { trimmed.removeLast() }
        return trimmed == "-0" ? "0" : String(trimmed)
    }

    private static func canonical(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch text.lowercased() {
        case "nan": return "NaN"
        case "infinity", "+infinity", "inf", "+inf": return "Infinity"
        case "-infinity", "-inf": return "-Infinity"
        default: break
        }
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var seenPoint = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if seenPoint { fraction.append(byte) } else { integer.append(byte) }
            } else {
                return nil
            }
        }
        if integer.isEmpty && fraction.isEmpty { return nil }
        while integer.count > 1 && integer.first == UInt8(ascii: "0") { integer.removeFirst() }
        if integer.isEmpty { integer = [UInt8(ascii: "0")] }
        var result = String(decoding: integer, as: UTF8.self)
        if seenPoint && !fraction.isEmpty { result += "." + String(decoding: fraction, as: UTF8.self) }
        let isZero = integer == [UInt8(ascii: "0")] && fraction.allSatisfy { $0 == UInt8(ascii: "0") }
        return negative && !isZero ? "-" + result : result
    }
}
