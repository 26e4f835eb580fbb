/// The checksum of a migration file, written `sha256:<64 hex digits>` in the history table.
///
/// It is computed over the content with a UTF-8 byte order mark removed and CRLF and lone CR turned
/// into LF, so a checkout with `core.autocrlf`, or a file saved by an editor that adds a BOM, still
/// matches the checksum recorded when it was applied. The algorithm prefix lets a later erpmes change
/// algorithm and still read old history rows.
public struct Checksum: Hashable, Sendable, CustomStringConvertible {
    /// The algorithm erpmes computes today.
    public static let currentAlgorithm = "sha256"

    /// The algorithm's name, `sha256`.
    public let algorithm: String
    /// The digest in lowercase hexadecimal.
    public let hex: String

    /// The checksum of a file's bytes, after line-ending and BOM normalisation.
    /// - Parameter bytes: The file exactly as read from disk.
    public init(of bytes: [UInt8]) {
        self.algorithm = Self.currentAlgorithm
        self.hex = Self.hexString(SHA256.digest(Self.normalized(bytes)))
    }

    /// The checksum of text, as its UTF-8 bytes would have on disk.
    public init(of text: String) {
        self.init(of: Array(text.utf8))
    }

    /// Parses `algorithm:hex` as stored in the history table.
    /// - Parameter text: Such as `sha256:ba7816bf...`; the hex digits may be in either case.
    /// - Returns: `nil` when there is no prefix, or the digest is not hexadecimal of the algorithm's length.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let algorithm = String(text[..<colon])
        let hex = text[text.index(after: colon)...].lowercased()
        guard !algorithm.isEmpty, !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return nil }
        if algorithm == Self.currentAlgorithm, hex.count != 64 { return nil }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// `sha256:<hex>`.
    public var description: String { "\(self.algorithm):\(self.hex)" }

    /// The bytes that are hashed: no leading BOM, and every line ending a single LF.
    static func normalized(_ bytes: [UInt8]) -> [UInt8] {
        let cr: UInt8 = 0x0D
        let lf: UInt8 = 0x0A
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < bytes.count {
            if bytes[i] == cr {
                result.append(lf)
                i += i + 1 < bytes.count && bytes[i + 1] == lf ? 2 : 1
            } else {
                result.append(bytes[i])
                i += 1
            }
        }
        return result
    }

    private static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
