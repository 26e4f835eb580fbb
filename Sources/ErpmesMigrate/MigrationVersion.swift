/// The version in a versioned migration's name: `1`, `1.1`, `2_1` (which is 2.1), `20240131`.
///
/// Versions compare numerically part by part, with any number of digits, so `1.10` follows `1.9`.
/// Leading zeros and trailing zero parts do not count: `1`, `01` and `1.0` are the same version, which
/// is why two files carrying them are a duplicate.
public struct MigrationVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The version as written in the file name, `2_1` for `V2_1__x.sql`.
    public let rawValue: String
    /// Digit strings without leading zeros, trailing zero parts dropped: what equality and order use.
    private let parts: [String]

    /// Parses digits separated by single `.` or `_` characters; `nil` for anything else.
    /// - Parameter text: The version without its `V`, such as `2_1`.
    public init?(_ text: String) {
        var parts: [String] = []
        var current = ""
        for character in text {
            if character.isASCII, character.isNumber {
                current.append(character)
            } else if character == "." || character == "_", !current.isEmpty {
                parts.append(current)
                current = ""
            } else {
                return nil
            }
        }
        guard !current.isEmpty else { return nil }
        parts.append(current)
        self.rawValue = text
        var normalized = parts.map { part in
            let digits = part.drop(while: { $0 == "0" })
            return digits.isEmpty ? "0" : String(digits)
        }
        while normalized.last == "0" { normalized.removeLast() }
        self.parts = normalized
    }

    /// The version with `.` between its parts: `2.1` for `2_1`.
    public var description: String { self.rawValue.replacingUnderscores(with: ".") }

    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool { lhs.parts == rhs.parts }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.parts) }

    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        for (left, right) in zip(lhs.parts, rhs.parts) where left != right {
            // Without leading zeros, the longer digit string is the larger number.
            return left.count != right.count ? left.count < right.count : left < right
        }
        return lhs.parts.count < rhs.parts.count
    }
}

extension String {
    func replacingUnderscores(with replacement: Character) -> String {
        String(self.map { $0 == "_" ? replacement : $0 })
    }
}
