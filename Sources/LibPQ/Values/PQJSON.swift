import Foundation

/// A `json` or `jsonb` value, kept as the server's text.
///
/// Keeping the text (rather than a parsed tree) means numbers keep every digit; ``decode(_:)`` and
/// ``object`` parse on demand.
public struct PQJSON: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    /// Wraps JSON text as is; the server validates it when it is bound.
    public init(text: String) { self.text = text }
    public init(stringLiteral value: String) { self.text = value }

    /// Encodes `value` with sorted keys, so the same value always gives the same text.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the text into `type`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(type, from: Data(self.text.utf8))
    }

    /// The value as Foundation objects (`[String: Any]`, `[Any]`, `NSNumber`, `String`, `NSNull`).
    public var object: Any? {
        try? JSONSerialization.jsonObject(with: Data(self.text.utf8), options: [.fragmentsAllowed])
    }

    public var description: String { self.text }
}
