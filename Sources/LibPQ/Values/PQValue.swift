import Foundation

/// A decoded column value, typed by the column's PostgreSQL type.
///
/// For code that does not know the shape of a result ahead of time (status output, tests, generic
/// tools). Code that does uses ``Row/decode(_:as:)`` instead.
public indirect enum PQValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case numeric(PQNumeric)
    case text(String)
    case date(PQDate)
    case timestamp(PQTimestamp)
    /// The instant, as a UTC wall clock (the session runs with `TimeZone=UTC`, and offsets are applied).
    case timestamptz(PQTimestamp)
    case json(PQJSON)
    case bytea(Data)
    case uuid(UUID)
    case array([PQValue])
    /// Any other type, as its text.
    case other(type: PQType, text: String)

    /// Decodes `text` (nil is SQL NULL) of column type `type`.
    public init(text: String?, type: PQType) throws {
        guard let text else {
            self = .null
            return
        }
        switch type {
        case .bool: self = .bool(try Bool.pqDecode(text, type: type))
        case .int2, .int4, .int8, .oid, .xid8: self = .int(try Int64.pqDecode(text, type: type))
        case .float4, .float8: self = .double(try Double.pqDecode(text, type: type))
        case .numeric: self = .numeric(try PQNumeric.pqDecode(text, type: type))
        case .text, .varchar, .bpchar, .name, .char: self = .text(text)
        case .date: self = .date(try PQDate.pqDecode(text, type: type))
        case .timestamp: self = .timestamp(try PQTimestamp.pqDecode(text, type: type))
        case .timestamptz: self = .timestamptz(try PQTimestamp.pqDecode(text, type: type))
        case .json, .jsonb: self = .json(PQJSON(text: text))
        case .bytea: self = .bytea(try Data.pqDecode(text, type: type))
        case .uuid: self = .uuid(try UUID.pqDecode(text, type: type))
        default:
            if let element = type.elementType {
                self = try PQArrayParser.parse(text).map(element: element)
            } else {
                self = .other(type: type, text: text)
            }
        }
    }

    public var isNull: Bool { self == .null }
}

extension PQArrayParser.Node {
    func map(element: PQType) throws -> PQValue {
        switch self {
        case .null: .null
        case .value(let text): try PQValue(text: text, type: element)
        case .array(let nodes): .array(try nodes.map { try $0.map(element: element) })
        }
    }
}
