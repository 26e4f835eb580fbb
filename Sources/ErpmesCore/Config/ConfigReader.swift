import LibPQ

/// Typed access to one table of a parsed configuration, with errors that name the full key and its line.
///
/// Decoding the configuration is a series of `try config.string("erp")` calls, each failing with a
/// ``ConfigError`` that says which key (`links.plant1.erp`), where (`erpmes.toml:12:1`) and what was
/// wrong, so the operator fixes the file in one go. A key that came from an environment override names
/// the variable instead of a line, and a string from the environment is read as a number, boolean or
/// duration when one is asked for, since the environment has only strings.
public struct ConfigReader: Sendable {
    /// The table this reader reads.
    public let table: TOMLTable
    /// The file path shown in errors.
    public let file: String?
    /// The table's dotted key path from the root (`links.plant1`), empty for the root.
    public let path: String
    /// The table's own key (`plant1`), `nil` for the root: for a link, the link's name.
    public let name: String?

    /// A reader of the document's root table.
    ///
    /// - Parameters:
    ///   - table: The root table from ``TOMLParser``, after any environment overrides.
    ///   - file: The path to show in errors.
    public init(_ table: TOMLTable, file: String? = nil) {
        self.init(table, file: file, path: "", name: nil)
    }

    init(_ table: TOMLTable, file: String?, path: String, name: String?) {
        self.table = table
        self.file = file
        self.path = path
        self.name = name
    }

    /// Reads the file at `path`, applies the `ERPMES_` variables of `environment` and returns its root.
    ///
    /// - Parameters:
    ///   - path: The configuration file.
    ///   - environment: Usually `ProcessInfo.processInfo.environment`.
    /// - Returns: A reader of the root table.
    /// - Throws: ``ConfigError`` from reading, parsing or an override (see
    ///   ``TOMLTable/applyingEnvironment(_:prefix:)``).
    public static func load(
        contentsOfFile path: String,
        environment: [String: String]
    ) throws(ConfigError) -> ConfigReader {
        let table = try TOMLParser.parse(contentsOfFile: path).applyingEnvironment(environment)
        return ConfigReader(table, file: path)
    }

    /// The keys of the table in file order.
    public var keys: [String] { self.table.keys }

    /// True when the table has `key`.
    public func contains(_ key: String) -> Bool { self.table[key] != nil }

    /// The dotted path of `key` in this table: `links.plant1.erp`.
    public func keyPath(_ key: String) -> String {
        self.path.isEmpty ? TOMLKey.quoted(key) : "\(self.path).\(TOMLKey.quoted(key))"
    }

    // MARK: Scalars

    /// The string under `key`.
    /// - Throws: ``ConfigError`` `.missingKey` or `.wrongType`.
    public func string(_ key: String) throws(ConfigError) -> String {
        guard let value = try self.optionalString(key) else { throw self.missing(key) }
        return value
    }

    /// The string under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType`.
    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        switch self.table[key] {
        case nil: return nil
        case .string(let text): return text
        case let value?: throw self.wrongType(key, expected: "a string", found: value)
        }
    }

    /// The string under `key` as a ``Secret``, for conninfo strings and passwords that must never be printed.
    /// - Throws: ``ConfigError`` `.missingKey` or `.wrongType`.
    public func secret(_ key: String) throws(ConfigError) -> Secret { Secret(try self.string(key)) }

    /// The integer under `key`.
    /// - Throws: ``ConfigError`` `.missingKey`, `.wrongType`, or `.invalidValue` for a variable that is
    ///   not an integer.
    public func int(_ key: String) throws(ConfigError) -> Int {
        guard let value = try self.optionalInt(key) else { throw self.missing(key) }
        return value
    }

    /// The integer under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType`, or `.invalidValue` for a variable that is not an integer.
    public func optionalInt(_ key: String) throws(ConfigError) -> Int? {
        switch self.table[key] {
        case nil: return nil
        case .integer(let number): return Int(number)
        case .string(let text) where self.isFromEnvironment(key):
            guard case .success(.integer(let number)) = TOMLScalar.value(of: text) else {
                throw self.failure(.invalidValue, "\"\(self.keyPath(key))\" must be an integer", key: key)
            }
            return Int(number)
        case let value?: throw self.wrongType(key, expected: "an integer", found: value)
        }
    }

    /// The boolean under `key`.
    /// - Throws: ``ConfigError`` `.missingKey`, `.wrongType`, or `.invalidValue` for a variable that is
    ///   neither `true` nor `false`.
    public func bool(_ key: String) throws(ConfigError) -> Bool {
        guard let value = try self.optionalBool(key) else { throw self.missing(key) }
        return value
    }

    /// The boolean under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType`, or `.invalidValue` for a variable that is neither `true`
    ///   nor `false`.
    public func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        switch self.table[key] {
        case nil: return nil
        case .bool(let flag): return flag
        case .string(let text) where self.isFromEnvironment(key):
            guard text == "true" || text == "false" else {
                throw self.failure(.invalidValue, "\"\(self.keyPath(key))\" must be true or false", key: key)
            }
            return text == "true"
        case let value?: throw self.wrongType(key, expected: "a boolean", found: value)
        }
    }

    /// The duration under `key`, written as a string such as `"500ms"`, `"1s"`, `"5min"`, `"2h"` or `"7d"`.
    /// - Throws: ``ConfigError`` `.missingKey`, `.wrongType` when not a string, `.invalidValue` when the
    ///   string is not a duration.
    public func duration(_ key: String) throws(ConfigError) -> Duration {
        guard let value = try self.optionalDuration(key) else { throw self.missing(key) }
        return value
    }

    /// The duration under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType` when not a string, `.invalidValue` when not a duration.
    public func optionalDuration(_ key: String) throws(ConfigError) -> Duration? {
        switch self.table[key] {
        case nil: return nil
        case .string(let text):
            guard let duration = Self.parseDuration(text) else {
                let message =
                    "\"\(self.keyPath(key))\" is not a duration: \"\(text)\" (use a whole number and ms, s, min, h"
                    + " or d, as in \"500ms\" or \"5min\")"
                throw self.failure(.invalidValue, message, key: key)
            }
            return duration
        case let value?:
            throw self.wrongType(key, expected: "a duration string such as \"5s\"", found: value)
        }
    }

    /// The array of strings under `key`.
    /// - Throws: ``ConfigError`` `.missingKey`, or `.wrongType` naming the first element that is not a string.
    public func stringArray(_ key: String) throws(ConfigError) -> [String] {
        guard let value = try self.optionalStringArray(key) else { throw self.missing(key) }
        return value
    }

    /// The array of strings under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType` naming the first element that is not a string.
    public func optionalStringArray(_ key: String) throws(ConfigError) -> [String]? {
        switch self.table[key] {
        case nil: return nil
        case .array(let elements):
            var strings: [String] = []
            for (offset, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    let message =
                        "\"\(self.keyPath(key))\" must be an array of strings, but element \(offset) is "
                        + element.typeDescription
                    throw self.failure(.wrongType, message, key: key)
                }
                strings.append(text)
            }
            return strings
        case let value?: throw self.wrongType(key, expected: "an array of strings", found: value)
        }
    }

    // MARK: Errors

    func isFromEnvironment(_ key: String) -> Bool {
        if case .environment = self.table.source(of: key) { return true }
        return false
    }

    /// An error located at `key`, or at the table itself when `key` is `nil` or has no source.
    public func failure(_ code: ConfigError.Code, _ message: String, key: String?) -> ConfigError {
        let keyPath = key.map(self.keyPath) ?? self.path
        var error = ConfigError(code: code, file: self.file, keyPath: keyPath.isEmpty ? nil : keyPath, message: message)
        switch key.flatMap(self.table.source(of:)) ?? self.table.source {
        case .file(let position)?:
            error.line = position.line
            error.column = position.column
        case .environment(let variable)?: error.environmentVariable = variable
        case nil: break
        }
        return error
    }

    /// Missing keys point at the table's header, where the key belongs.
    func missing(_ key: String) -> ConfigError {
        var error = self.failure(.missingKey, "missing key \"\(self.keyPath(key))\"", key: nil)
        error.keyPath = self.keyPath(key)
        return error
    }

    func wrongType(_ key: String, expected: String, found: TOMLValue) -> ConfigError {
        self.failure(.wrongType, "\"\(self.keyPath(key))\" must be \(expected), not \(found.typeDescription)", key: key)
    }
}
