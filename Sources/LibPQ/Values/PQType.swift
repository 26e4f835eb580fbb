/// A PostgreSQL type, by its OID, as a result column reports it.
///
/// Only built-in types have constants; a user type (an enum, a domain over text) arrives with its
/// own OID and decodes from its text form.
public struct PQType: Hashable, Sendable, CustomStringConvertible {
    public let oid: UInt32
    public init(oid: UInt32) { self.oid = oid }

    public static let bool = PQType(oid: 16)
    public static let bytea = PQType(oid: 17)
    public static let char = PQType(oid: 18)
    public static let name = PQType(oid: 19)
    public static let int8 = PQType(oid: 20)
    public static let int2 = PQType(oid: 21)
    public static let int4 = PQType(oid: 23)
    public static let text = PQType(oid: 25)
    public static let oid = PQType(oid: 26)
    public static let xid8 = PQType(oid: 5069)
    public static let json = PQType(oid: 114)
    public static let float4 = PQType(oid: 700)
    public static let float8 = PQType(oid: 701)
    public static let bpchar = PQType(oid: 1042)
    public static let varchar = PQType(oid: 1043)
    public static let date = PQType(oid: 1082)
    public static let time = PQType(oid: 1083)
    public static let timestamp = PQType(oid: 1114)
    public static let timestamptz = PQType(oid: 1184)
    public static let interval = PQType(oid: 1186)
    public static let numeric = PQType(oid: 1700)
    public static let uuid = PQType(oid: 2950)
    public static let jsonb = PQType(oid: 3802)

    /// The element type when this is a built-in array type, else nil.
    public var elementType: PQType? { Self.arrayElements[self.oid].map(PQType.init(oid:)) }

    private static let arrayElements: [UInt32: UInt32] = [
        1000: 16, 1001: 17, 1002: 18, 1003: 19, 1016: 20, 1005: 21, 1007: 23, 1009: 25, 1028: 26,
        199: 114, 1021: 700, 1022: 701, 1014: 1042, 1015: 1043, 1182: 1082, 1183: 1083, 1115: 1114,
        1185: 1184, 1187: 1186, 1231: 1700, 2951: 2950, 3807: 3802, 271: 5069,
    ]

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bytea: "bytea"
        case .int2: "int2"
        case .int4: "int4"
        case .int8: "int8"
        case .text: "text"
        case .varchar: "varchar"
        case .numeric: "numeric"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .jsonb: "jsonb"
        case .json: "json"
        case .uuid: "uuid"
        default: self.elementType.map { "\($0)[]" } ?? "oid \(self.oid)"
        }
    }
}
