/// A 1-based line and column in a file.
///
/// Columns count Unicode scalars, the unit PostgreSQL counts in an error's `position` on a UTF-8
/// database. LF, CRLF and a lone CR each end a line, so a file's locations do not depend on how an
/// editor saved it.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column, in Unicode scalars.
    public var column: Int

    /// A location; both numbers start at 1.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `line:col`.
    public var description: String { "\(self.line):\(self.column)" }

    /// Moves past `scalar`, which `next` follows; the CR of a CRLF pair stays on its line.
    mutating func advance(past scalar: Unicode.Scalar, next: Unicode.Scalar?) {
        if scalar == "\n" || (scalar == "\r" && next != "\n") {
            self.line += 1
            self.column = 1
        } else {
            self.column += 1
        }
    }
}

/// Finds the line and column of any scalar index of one text with a binary search over line starts.
struct LineMap: Sendable {
    private let lineStarts: [Int]

    init(_ s: [Unicode.Scalar]) {
        // A byte order mark is invisible in editors, so line 1 starts after it.
        var starts = [s.first == "\u{FEFF}" ? 1 : 0]
        for i in s.indices where s[i] == "\n" || (s[i] == "\r" && (i + 1 == s.count || s[i + 1] != "\n")) {
            starts.append(i + 1)
        }
        self.lineStarts = starts
    }

    func location(of index: Int) -> SourceLocation {
        var low = 0
        var high = self.lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if self.lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(line: low + 1, column: max(index - self.lineStarts[low], 0) + 1)
    }
}

/// One statement of a SQL file, as ``SQLSplitter`` cut it out, with where it sits in the file.
///
/// `text` runs from the first to the last character of code: comments before the statement and the
/// terminating `;` are not part of it, so `text + ";"` is always a complete statement for psql.
public struct SQLStatement: Hashable, Sendable {
    /// What to send to the server; differs from ``sourceText`` once placeholders are substituted.
    public internal(set) var text: String
    /// The statement exactly as it is in the file.
    public let sourceText: String
    /// 1-based position among the file's statements, as progress and `partial 1/3` count them.
    public let number: Int
    /// Where the statement's first character is in the file.
    public let location: SourceLocation
    /// 0-based offset of the first character in the file, in Unicode scalars.
    public let offset: Int
    /// 0-based offset of the first character in the file, in UTF-8 bytes.
    public let utf8Offset: Int
    /// One layer per substitution pass, so positions in ``text`` map back to ``sourceText``.
    var edits: [[Edit]] = []

    /// The 1-based line of the first character in the file.
    public var line: Int { self.location.line }
    /// The 1-based column of the first character in the file.
    public var column: Int { self.location.column }

    /// One replaced span: `old` characters at `oldStart` became `new` characters at `newStart`.
    struct Edit: Hashable, Sendable {
        var oldStart: Int
        var oldLength: Int
        var newStart: Int
        var newLength: Int
    }

    init(text: String, number: Int, location: SourceLocation, offset: Int, utf8Offset: Int) {
        self.text = text
        self.sourceText = text
        self.number = number
        self.location = location
        self.offset = offset
        self.utf8Offset = utf8Offset
    }

    /// The file location of a 1-based character position in ``text``, such as the `position` of a
    /// PostgreSQL error.
    ///
    /// A position inside a substituted placeholder maps to the placeholder's `$`. A position past the
    /// end (PostgreSQL's "at end of input") maps to just after the statement's last character.
    /// - Parameter position: 1-based, counted in Unicode scalars as PostgreSQL counts characters.
    /// - Returns: The line and column in the file.
    public func location(ofCharacter position: Int) -> SourceLocation {
        var index = max(position - 1, 0)
        for layer in self.edits.reversed() {
            guard let edit = layer.last(where: { $0.newStart <= index }) else { continue }
            if index < edit.newStart + edit.newLength {
                index = edit.oldStart
            } else {
                index = edit.oldStart + edit.oldLength + (index - edit.newStart - edit.newLength)
            }
        }
        let scalars = Array(self.sourceText.unicodeScalars)
        var location = self.location
        for i in 0..<min(index, scalars.count) {
            location.advance(past: scalars[i], next: i + 1 < scalars.count ? scalars[i + 1] : nil)
        }
        location.column += max(index - scalars.count, 0)
        return location
    }
}
