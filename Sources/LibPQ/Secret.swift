/// A value that must never be printed: a conninfo string, a URI or a password.
///
/// `description` and `debugDescription` print `<redacted>`, so a `Secret` can sit in a configuration
/// that gets logged or dumped without leaking. Only ``reveal()`` gives the value back, and only the
/// connection code calls it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    /// Wraps `value`; nothing but ``reveal()`` reads it again.
    public init(_ value: String) { self.value = value }

    /// The wrapped value. Callers must not log or store it anywhere printable.
    public func reveal() -> String { self.value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
}
