/// One value of a TOML document.
///
/// Date-times stay the text the file holds, checked but not converted: a local date-time has no time zone,
/// and converting it would make a choice the file did not make. `.float(.nan)` is not equal to itself,
/// as with `Double`.
public enum TOMLValue: Sendable, Equatable {
    /// A basic or literal string, single- or multi-line, with its escapes resolved.
    case string(String)
    /// A decimal, hexadecimal, octal or binary integer.
    case integer(Int64)
    /// A float, including `inf` and `nan`.
    case float(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// An offset date-time, local date-time, local date or local time, as written (`1979-05-27T07:32:00Z`).
    case datetime(String)
    /// An array; TOML 1.0 allows elements of mixed types. An array of tables (`[[x]]`) is an array of `.table`.
    case array([TOMLValue])
    /// A table from a `[header]`, from dotted keys or from an inline table.
    case table(TOMLTable)

    /// The value under `key` when this is a table, so tests and callers can write `value["a"]?["b"]`.
    public subscript(key: String) -> TOMLValue? {
        if case .table(let table) = self { return table[key] }
        return nil
    }

    /// The type with its article, for messages: "a string", "an integer".
    var typeDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .bool: "a boolean"
        case .datetime: "a date-time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

extension TOMLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An `.integer`.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A `.float`.
    public init(floatLiteral value: Double) { self = .float(value) }
    /// A `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An `.array`.
    public init(arrayLiteral elements: TOMLValue...) { self = .array(elements) }
    /// A `.table` with its keys in the literal's order.
    public init(dictionaryLiteral elements: (String, TOMLValue)...) {
        self = .table(TOMLTable(elements))
    }
}

/// A place in a TOML file: 1-based line and column, the column counted in Unicode scalars.
public struct TOMLPosition: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column in Unicode scalars.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`.
    public var description: String { "\(self.line):\(self.column)" }
}

/// Where a key or table came from, so an error about it can point there.
public enum TOMLSource: Sendable, Hashable {
    /// The file, at this position: a key's first scalar, or the `[` or `{` that opened a table.
    case file(TOMLPosition)
    /// An environment variable that overrode or added the value.
    case environment(String)
}
