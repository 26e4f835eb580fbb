import Foundation

/// Reads TOML 1.0 documents, strictly: whatever TOML forbids is an error with its line and column.
///
/// A configuration that parses with a typo in it is worse than one that fails, so there is no leniency:
/// duplicate keys, a table defined twice, an invalid escape, an unterminated string or anything after
/// a value on its line is a ``ConfigError``. We write our own parser because no TOML package resolves
/// in our build; it covers all of TOML 1.0 except converting date-times, which stay text.
public enum TOMLParser {
    /// Parses `text` into its root table.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - file: The path to show in errors; `nil` for text that is not from a file.
    /// - Returns: The root table, with keys in definition order and each key's position.
    /// - Throws: ``ConfigError`` with code `.syntax`, `.duplicateKey` or `.invalidValue`.
    public static func parse(_ text: String, file: String? = nil) throws(ConfigError) -> TOMLTable {
        var parser = TOMLDocumentParser(text: text, file: file)
        return try parser.parseDocument()
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Parameter path: The file; errors show it as given.
    /// - Returns: The root table.
    /// - Throws: ``ConfigError`` with code `.unreadable` when the file cannot be read or is not UTF-8, or
    ///   any error of ``parse(_:file:)``.
    public static func parse(contentsOfFile path: String) throws(ConfigError) -> TOMLTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(code: .unreadable, file: path, message: "cannot read the file")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigError(code: .unreadable, file: path, message: "the file is not valid UTF-8")
        }
        return try Self.parse(text, file: path)
    }

    /// Parses `text` as one value, as it would appear after `key =`; used to type environment overrides.
    static func parseValue(_ text: String) throws(ConfigError) -> TOMLValue {
        var parser = TOMLDocumentParser(text: text, file: nil)
        return try parser.parseLoneValue()
    }
}

/// The state of one parse: a cursor over the document's scalars and the tree of tables built so far.
struct TOMLDocumentParser {
    /// A key's part and where it starts, so a duplicate can be reported at the duplicated part.
    struct KeyPart {
        var name: String
        var position: TOMLPosition
    }

    let scalars: [Unicode.Scalar]
    let file: String?
    var index = 0
    var line = 1
    var lineStart = 0
    /// Counts table sections, so a dotted key can tell tables of its own section from older ones.
    var sections = 0

    init(text: String, file: String?) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }  // editors on Windows write a BOM
        self.scalars = scalars
        self.file = file
    }

    // MARK: Document structure

    mutating func parseDocument() throws(ConfigError) -> TOMLTable {
        let root = TOMLNode(origin: .header, position: nil, path: [])
        var current = root
        var section = self.nextSection()
        while true {
            self.skipWhitespace()
            guard let scalar = self.peek else { break }
            switch scalar {
            case "\n", "\r": try self.skipNewline()
            case "#": try self.skipComment()
            case "[":
                current = try self.parseHeader(root: root)
                section = self.nextSection()
                try self.expectLineEnd(after: "table header")
            default:
                try self.parseKeyValue(into: current, section: section)
                try self.expectLineEnd(after: "value")
            }
        }
        return root.table()
    }

    mutating func parseLoneValue() throws(ConfigError) -> TOMLValue {
        self.skipWhitespace()
        let value = try self.parseValue(path: [])
        self.skipWhitespace()
        guard self.peek == nil else { throw self.unexpected(after: "value") }
        return value
    }

    mutating func nextSection() -> Int {
        self.sections += 1
        return self.sections
    }

    /// `[a.b]` or `[[a.b]]`: finds or creates the table that the following keys go into.
    private mutating func parseHeader(root: TOMLNode) throws(ConfigError) -> TOMLNode {
        let open = self.position
        self.advance()
        let isArray = self.peek == "["
        if isArray { self.advance() }
        self.skipWhitespace()
        let key = try self.parseKey()
        for _ in 0..<(isArray ? 2 : 1) {
            guard self.peek == "]" else { throw self.expected(isArray ? "\"]]\"" : "\"]\"") }
            self.advance()
        }
        var node = root
        for (offset, part) in key.dropLast().enumerated() {
            let path = key[...offset].map(\.name)
            switch node.children[part.name] {
            case nil:
                let table = TOMLNode(origin: .implicit, position: part.position, path: path)
                node.set(.table(table), forKey: part.name, position: part.position)
                node = table
            case .table(let table): node = table
            case .tableArray(let tables): node = tables[tables.count - 1]
            case .value(let value): throw self.alreadyDefined(path, as: value, at: part.position)
            }
        }
        let last = key[key.count - 1]
        let path = key.map(\.name)
        let table = TOMLNode(origin: .header, position: open, path: path)
        switch node.children[last.name] {
        case nil:
            node.set(isArray ? .tableArray([table]) : .table(table), forKey: last.name, position: last.position)
            return table
        case .table(let existing) where !isArray && existing.origin == .implicit:
            existing.origin = .header
            existing.position = open
            return existing
        case .tableArray(let tables) where isArray:
            node.set(.tableArray(tables + [table]), forKey: last.name, position: last.position)
            return table
        case .table:
            throw self.failure(
                .duplicateKey,
                "table \"\(TOMLKey.path(path))\" is already defined",
                at: last.position,
                path
            )
        case .tableArray:
            let message = "table \"\(TOMLKey.path(path))\" is already defined as an array of tables"
            throw self.failure(.duplicateKey, message, at: last.position, path)
        case .value(let value):
            throw self.alreadyDefined(path, as: value, at: last.position)
        }
    }

    /// `key = value` in `node`, creating the tables of a dotted key on the way.
    mutating func parseKeyValue(into node: TOMLNode, section: Int) throws(ConfigError) {
        let key = try self.parseKey()
        guard self.peek == "=" else { throw self.expected("\"=\"") }
        self.advance()
        self.skipWhitespace()
        let value = try self.parseValue(path: node.path + key.map(\.name))
        var table = node
        for (offset, part) in key.dropLast().enumerated() {
            let path = node.path + key[...offset].map(\.name)
            switch table.children[part.name] {
            case nil:
                let child = TOMLNode(origin: .dotted(section: section), position: part.position, path: path)
                table.set(.table(child), forKey: part.name, position: part.position)
                table = child
            case .table(let child) where child.origin == .dotted(section: section) || child.origin == .implicit:
                // An implicit table (from `[a.b.c]`) may take dotted keys once; from then on it is defined.
                child.origin = .dotted(section: section)
                table = child
            case .table:
                let message = "table \"\(TOMLKey.path(path))\" is already defined; dotted keys cannot add to it"
                throw self.failure(.duplicateKey, message, at: part.position, path)
            case .tableArray:
                let message = "table \"\(TOMLKey.path(path))\" is already defined as an array of tables"
                throw self.failure(.duplicateKey, message, at: part.position, path)
            case .value(let value):
                throw self.alreadyDefined(path, as: value, at: part.position)
            }
        }
        let last = key[key.count - 1]
        guard table.children[last.name] == nil else {
            let path = node.path + key.map(\.name)
            throw self.failure(.duplicateKey, "duplicate key \"\(TOMLKey.path(path))\"", at: last.position, path)
        }
        table.set(.value(value), forKey: last.name, position: last.position)
    }

    private func alreadyDefined(_ path: [String], as value: TOMLValue, at position: TOMLPosition) -> ConfigError {
        let message =
            if case .table = value {
                "inline table \"\(TOMLKey.path(path))\" cannot be extended"
            } else {
                "duplicate key \"\(TOMLKey.path(path))\""
            }
        return self.failure(.duplicateKey, message, at: position, path)
    }

    /// A bare, quoted or dotted key; whitespace around the dots is allowed, as is whitespace after the key.
    mutating func parseKey() throws(ConfigError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            self.skipWhitespace()
            let start = self.position
            switch self.peek {
            case "\""?: parts.append(KeyPart(name: try self.parseBasicString(), position: start))
            case "'"?: parts.append(KeyPart(name: try self.parseLiteralString(), position: start))
            case let scalar? where TOMLKey.isBare(scalar):
                var name = String.UnicodeScalarView()
                while let scalar = self.peek, TOMLKey.isBare(scalar) {
                    name.append(scalar)
                    self.advance()
                }
                parts.append(KeyPart(name: String(name), position: start))
            default: throw self.expected("a key")
            }
            self.skipWhitespace()
            guard self.peek == "." else { return parts }
            self.advance()
        }
    }
}

/// A table under construction. A class, so the parser can hold the current table while adding to it
/// through the tree; it never leaves the parse.
final class TOMLNode {
    /// How the table came to exist, which decides what may still add to it.
    enum Origin: Equatable {
        /// Named on the way to a header (`a` in `[a.b]`): a later `[a]` may still define it.
        case implicit
        /// Defined by a header, an `[[array]]` element, an inline table or the root: defined once.
        case header
        /// Made by dotted keys in one section: more dotted keys of that section may add to it.
        case dotted(section: Int)
    }

    enum Child {
        case table(TOMLNode)
        case tableArray([TOMLNode])
        /// A value, including an inline table or an array of them: frozen, as TOML requires.
        case value(TOMLValue)
    }

    var origin: Origin
    var position: TOMLPosition?
    let path: [String]
    private(set) var keys: [String] = []
    private(set) var children: [String: Child] = [:]
    private var positions: [String: TOMLPosition] = [:]

    init(origin: Origin, position: TOMLPosition?, path: [String]) {
        self.origin = origin
        self.position = position
        self.path = path
    }

    /// Sets `child`; a new key records its position and goes last.
    func set(_ child: Child, forKey key: String, position: TOMLPosition) {
        if self.children.updateValue(child, forKey: key) == nil {
            self.keys.append(key)
            self.positions[key] = position
        }
    }

    func table() -> TOMLTable {
        var table = TOMLTable(source: self.position.map(TOMLSource.file))
        for key in self.keys {
            let value: TOMLValue =
                switch self.children[key]! {
                case .table(let node): .table(node.table())
                case .tableArray(let nodes): .array(nodes.map { .table($0.table()) })
                case .value(let value): value
                }
            table.setValue(value, forKey: key, source: .file(self.positions[key]!))
        }
        return table
    }
}
