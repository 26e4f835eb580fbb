/// A TOML table: values by key, in the order the file defined them, with where each key came from.
///
/// The order is kept so that sub-tables (`[links.plant1]`, `[links.plant2]`) are served in file order,
/// and the sources so that an error about a value can name its line. `==` compares keys and values
/// only: two tables that say the same thing are equal, whatever their order or origin.
public struct TOMLTable: Sendable, Equatable {
    /// The keys in the order they were first defined.
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    private var sources: [String: TOMLSource] = [:]
    /// Where the table was opened: its `[header]`, the first key of a dotted key, its `{`, or the variable
    /// that created it. `nil` for the document's root.
    public var source: TOMLSource?

    /// An empty table.
    public init(source: TOMLSource? = nil) { self.source = source }

    /// A table of `elements` in their order, with no sources. A key given twice is a programming error
    /// and traps.
    public init(_ elements: [(String, TOMLValue)]) {
        for (key, value) in elements {
            precondition(self.values[key] == nil, "duplicate key \(key) in a TOMLTable literal")
            self.setValue(value, forKey: key, source: nil)
        }
    }

    /// The number of keys.
    public var count: Int { self.keys.count }

    /// True when the table has no keys.
    public var isEmpty: Bool { self.keys.isEmpty }

    /// The value under `key`, or `nil`.
    public subscript(key: String) -> TOMLValue? { self.values[key] }

    /// The keys and values in definition order.
    public var entries: [(key: String, value: TOMLValue)] { self.keys.map { ($0, self.values[$0]!) } }

    /// Where `key` came from: the position of the key in the file, or the overriding variable.
    public func source(of key: String) -> TOMLSource? { self.sources[key] }

    /// Sets `value` under `key`. A new key goes last; an existing key keeps its place in the order.
    ///
    /// - Parameters:
    ///   - value: The new value.
    ///   - key: The key, unquoted (`plant 1`, not `"plant 1"`).
    ///   - source: Where the value came from; `nil` keeps no source.
    public mutating func setValue(_ value: TOMLValue, forKey key: String, source: TOMLSource?) {
        if self.values.updateValue(value, forKey: key) == nil { self.keys.append(key) }
        self.sources[key] = source
    }

    /// Equal when both have the same keys with equal values; order and sources are ignored.
    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool { lhs.values == rhs.values }
}

extension TOMLTable: ExpressibleByDictionaryLiteral {
    /// A table with the literal's keys in the literal's order.
    public init(dictionaryLiteral elements: (String, TOMLValue)...) { self.init(elements) }
}

/// Formats key paths as TOML writes them, so messages show keys the user can search the file for.
enum TOMLKey {
    /// `links.plant1.erp`; a part that is not a bare key is quoted: `links."plant 1".erp`.
    static func path(_ parts: [String]) -> String { parts.map(Self.quoted).joined(separator: ".") }

    /// `key` unchanged when it is a bare key, else a basic string with its `"`, `\` and controls escaped.
    static func quoted(_ key: String) -> String {
        if !key.isEmpty && key.unicodeScalars.allSatisfy(Self.isBare) { return key }
        var text = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// `A-Z a-z 0-9 _ -`: the scalars a bare key may hold in TOML 1.0.
    static func isBare(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }
}
