/// The `-- erpmes:` comment lines of one file, anywhere in it: header or body.
///
/// A line comment whose text starts with `erpmes:` is always a directive, so a misspelt one is an
/// error rather than a silently ignored comment. Directives inside strings, block comments and
/// dollar-quoted bodies are not comments to the lexer, and are not read.
public struct MigrationDirectives: Hashable, Sendable {
    /// A `-- erpmes:requires other.sql` line of a repeatable file.
    public struct Requirement: Hashable, Sendable {
        /// The required file's name, `other.sql`.
        public var name: String
        /// Where the directive is, for errors about it.
        public var location: SourceLocation
    }

    /// A `-- erpmes:requires-target mes >= 3` line: the other target must be at least at that version.
    public struct TargetRequirement: Hashable, Sendable {
        /// The other target's name, `mes`.
        public var target: String
        /// The lowest version of the other target that this file can run against.
        public var minimumVersion: MigrationVersion
        /// Where the directive is, for errors about it.
        public var location: SourceLocation
    }

    /// The directive names erpmes knows, for the "unknown directive" message.
    public static let known = ["lock_timeout", "requires", "requires-target", "transaction"]

    /// `false` when the file says `-- erpmes:transaction none`: its statements are sent one at a time.
    public var runsInTransaction = true
    /// `-- erpmes:requires` lines in file order.
    public var requires: [Requirement] = []
    /// `-- erpmes:requires-target` lines in file order.
    public var requiredTargets: [TargetRequirement] = []
    /// `-- erpmes:lock_timeout`, overriding the default for this file.
    public var lockTimeout: LockTimeout?
    /// Where each directive first appears, so the file can reject one that its kind does not allow.
    var locations: [String: SourceLocation] = [:]

    public init() {}

    /// Reads the directives of a lexed script.
    /// - Throws: ``MigrationError`` `.unknownDirective` or `.invalidDirective` at the comment's line and column.
    static func parse(_ script: SQLScript, file: String) throws(MigrationError) -> MigrationDirectives {
        var directives = MigrationDirectives()
        for token in script.tokens where token.kind == .lineComment {
            let comment = script.text(token).dropFirst(2).drop(while: { $0 == " " || $0 == "\t" })
            guard comment.hasPrefix("erpmes:") else { continue }
            let body = comment.dropFirst("erpmes:".count)
            let name = String(body.prefix(while: { !$0.isWhitespace }))
            let value = body.dropFirst(name.count).trimmingWhitespace()
            let location = script.lines.location(of: token.start)
            func invalid(_ message: String) -> MigrationError {
                MigrationError(code: .invalidDirective, file: file, at: location, message: message)
            }
            if directives.locations[name] == nil { directives.locations[name] = location }
            switch name {
            case "transaction":
                guard value == "none" else {
                    throw invalid("expected '-- erpmes:transaction none', found '\(value)'")
                }
                directives.runsInTransaction = false
            case "requires":
                // One file per line: names may hold spaces, so a list would be ambiguous.
                guard value.hasSuffix(".sql"), value.count > 4, !value.contains("/") else {
                    throw invalid("expected one file name ending in .sql, as in '-- erpmes:requires other.sql'")
                }
                directives.requires.append(Requirement(name: value, location: location))
            case "lock_timeout":
                guard let timeout = LockTimeout(parsing: value) else {
                    throw invalid("expected a lock_timeout such as 500ms, 10s or 1min, found '\(value)'")
                }
                directives.lockTimeout = timeout
            case "requires-target":
                let words = value.split(whereSeparator: \.isWhitespace)
                guard words.count == 3, words[1] == ">=", let version = MigrationVersion(String(words[2])) else {
                    throw invalid("expected '-- erpmes:requires-target <target> >= <version>', found '\(value)'")
                }
                directives.requiredTargets.append(
                    TargetRequirement(target: String(words[0]), minimumVersion: version, location: location)
                )
            default:
                let known = Self.known.joined(separator: ", ")
                throw MigrationError(
                    code: .unknownDirective,
                    file: file,
                    at: location,
                    message: "unknown directive 'erpmes:\(name)'; known directives: \(known)"
                )
            }
        }
        return directives
    }
}

/// How long a migration's statements wait for a lock before failing with SQLSTATE 55P03.
///
/// Written as PostgreSQL writes intervals for `lock_timeout`: `500ms`, `10s`, `1min`, or a bare number
/// of milliseconds. `0` turns the timeout off, as it does in PostgreSQL.
public struct LockTimeout: Hashable, Sendable, CustomStringConvertible {
    /// The timeout in milliseconds; `0` means no timeout.
    public let milliseconds: Int

    /// The largest value PostgreSQL accepts for `lock_timeout`.
    public static let maximumMilliseconds = Int(Int32.max)

    /// `nil` outside `0...maximumMilliseconds`.
    public init?(milliseconds: Int) {
        guard (0...Self.maximumMilliseconds).contains(milliseconds) else { return nil }
        self.milliseconds = milliseconds
    }

    /// Parses `<whole number><unit>`, unit `ms`, `s` or `min` (default `ms`), with optional space between.
    public init?(parsing text: String) {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text.dropFirst(digits.count).trimmingWhitespace()
        guard !digits.isEmpty, digits.count <= 12, let number = Int(digits) else { return nil }
        let factor: Int
        switch unit {
        case "", "ms": factor = 1
        case "s": factor = 1000
        case "min": factor = 60_000
        default: return nil
        }
        self.init(milliseconds: number * factor)
    }

    /// The value for `SET lock_timeout`, in milliseconds: `10000ms`.
    public var settingValue: String { "\(self.milliseconds)ms" }

    /// The timeout as a `Duration`, for waiting on the client side.
    public var duration: Duration { .milliseconds(self.milliseconds) }

    /// The setting value, `10000ms`.
    public var description: String { self.settingValue }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
