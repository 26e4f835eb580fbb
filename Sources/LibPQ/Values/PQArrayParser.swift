/// Parses PostgreSQL's array text output: `{1,2,NULL}`, `{"a b","x\"y"}`, `{{1,2},{3,4}}`,
/// and `[0:1]={5,6}` (explicit bounds, which are dropped: Swift arrays start at zero).
enum PQArrayParser {
    enum Node: Equatable {
        case null
        case value(String)
        case array([Node])
    }

    static func parse(_ text: String) throws -> Node {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "[") {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { throw malformed(text) }
            bytes = bytes[(equals + 1)...]
        }
        var index = bytes.startIndex
        let node = try parseArray(bytes, &index, text)
        guard index == bytes.endIndex else { throw malformed(text) }
        return node
    }

    private static func malformed(_ text: String) -> PQError {
        .decoding("malformed array literal: \(text.prefix(80))")
    }

    private static func parseArray(_ bytes: ArraySlice<UInt8>, _ index: inout Int, _ text: String) throws -> Node {
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "{") else { throw malformed(text) }
        index += 1
        var items: [Node] = []
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .array(items)
        }
        while true {
            guard index < bytes.endIndex else { throw malformed(text) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                items.append(try parseArray(bytes, &index, text))
            case UInt8(ascii: "\""):
                index += 1
                var value: [UInt8] = []
                while true {
                    guard index < bytes.endIndex else { throw malformed(text) }
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\\") {
                        guard index < bytes.endIndex else { throw malformed(text) }
                        value.append(bytes[index])
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        break
                    } else {
                        value.append(byte)
                    }
                }
                items.append(.value(String(decoding: value, as: UTF8.self)))
            default:
                let start = index
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "}") {
                    index += 1
                }
                let raw = String(decoding: bytes[start..<index], as: UTF8.self)
                items.append(raw.uppercased() == "NULL" ? .null : .value(raw))
            }
            guard index < bytes.endIndex else { throw malformed(text) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .array(items)
            } else {
                throw malformed(text)
            }
        }
    }
}
