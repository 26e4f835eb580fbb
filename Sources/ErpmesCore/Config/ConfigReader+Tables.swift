/// Sub-tables, arrays of tables, and the check for keys nobody reads.
extension ConfigReader {
    /// The table under `key`.
    /// - Throws: ``ConfigError`` `.missingKey` or `.wrongType`.
    public func table(_ key: String) throws(ConfigError) -> ConfigReader {
        guard let table = try self.optionalTable(key) else { throw self.missing(key) }
        return table
    }

    /// The table under `key`, or `nil` when it is absent.
    /// - Throws: ``ConfigError`` `.wrongType`.
    public func optionalTable(_ key: String) throws(ConfigError) -> ConfigReader? {
        switch self.table[key] {
        case nil: return nil
        case .table(let table): return ConfigReader(table, file: self.file, path: self.keyPath(key), name: key)
        case let value?: throw self.wrongType(key, expected: "a table", found: value)
        }
    }

    /// Every value of this table as a table, in file order: the `[links.plant1]`, `[links.plant2]` of `links`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the first value that is not a table.
    public func tables() throws(ConfigError) -> [ConfigReader] {
        var tables: [ConfigReader] = []
        for key in self.keys { tables.append(try self.table(key)) }
        return tables
    }

    /// The sub-tables of the table under `key`, in file order: `try config.tables("links")`.
    /// - Throws: ``ConfigError`` `.missingKey`, or `.wrongType` for `key` or one of its values.
    public func tables(_ key: String) throws(ConfigError) -> [ConfigReader] { try self.table(key).tables() }

    /// The elements of the array of tables (`[[key]]`) under `key`; their paths read `key[0]`, `key[1]`.
    /// - Throws: ``ConfigError`` `.missingKey`, or `.wrongType` when it is not an array of tables.
    public func tableArray(_ key: String) throws(ConfigError) -> [ConfigReader] {
        guard let value = self.table[key] else { throw self.missing(key) }
        guard case .array(let elements) = value else {
            throw self.wrongType(key, expected: "an array of tables", found: value)
        }
        var tables: [ConfigReader] = []
        for (offset, element) in elements.enumerated() {
            guard case .table(let table) = element else {
                let message =
                    "\"\(self.keyPath(key))\" must be an array of tables, but element \(offset) is "
                    + element.typeDescription
                throw self.failure(.wrongType, message, key: key)
            }
            tables.append(ConfigReader(table, file: self.file, path: "\(self.keyPath(key))[\(offset)]", name: key))
        }
        return tables
    }

    /// Throws for the first key, in file order, that is not in `allowed`, so a misspelt key fails loudly
    /// instead of leaving its setting at the default. The message suggests the allowed key closest to it
    /// when one is at most two edits away: `unknown key "links.plant1.timezon"; did you mean "timezone"?`.
    ///
    /// - Parameter allowed: Every key this table may hold.
    /// - Throws: ``ConfigError`` `.unknownKey` at the unknown key's line.
    public func rejectUnknownKeys(allowed: [String]) throws(ConfigError) {
        for key in self.keys where !allowed.contains(key) {
            var message = "unknown key \"\(self.keyPath(key))\""
            let nearest = allowed.map { (key: $0, distance: Self.editDistance(key, $0)) }
                .filter { $0.distance <= 2 }
                .min { $0.distance < $1.distance }
            if let nearest { message += "; did you mean \"\(nearest.key)\"?" }
            throw self.failure(.unknownKey, message, key: key)
        }
    }

    /// Levenshtein distance over characters: insertions, deletions and substitutions.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let lhs = Array(lhs)
        let rhs = Array(rhs)
        var previous = Array(0...rhs.count)
        for (i, left) in lhs.enumerated() {
            var current = [i + 1]
            for (j, right) in rhs.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = current
        }
        return previous[rhs.count]
    }
}
