/// Environment overrides: `ERPMES_LINKS_PLANT1_ERP=service=erp2` replaces `links.plant1.erp`.
extension TOMLTable {
    /// Returns the table with the `ERPMES_<SECTION>_<KEY>` variables of `environment` applied.
    ///
    /// Containers and systemd units set secrets and per-host values this way without editing the file.
    /// The rule, applied to each variable whose name starts with `prefix` (in name order):
    ///
    /// 1. Names match case-insensitively, and a `-` in a key matches `_`: `links.plant-1.erp` is
    ///    `ERPMES_LINKS_PLANT_1_ERP`.
    /// 2. Since `_` both separates and appears in keys, the name is first matched against the key paths
    ///    the document already has: `ERPMES_RUN_BATCH_SIZE` sets `run.batch_size` if the file has it.
    ///    An existing value keeps its type: the variable must spell an integer for an integer, `true` or
    ///    `false` for a boolean, a float, a date-time, or a TOML array (`["a", "b"]`) for an array. A
    ///    string takes the variable's text as it is.
    /// 3. Otherwise the deepest existing table whose name is a prefix of the variable's takes the rest,
    ///    lowercased, as one new key: with `[run]` in the file, `ERPMES_RUN_POLL_INTERVAL` sets
    ///    `run.poll_interval`. With no such table the first word names a table and the rest its key
    ///    (`ERPMES_LOG_LEVEL` sets `log.level`; `ERPMES_DEBUG` sets the root key `debug`). New values are
    ///    strings; ``ConfigReader`` reads them as numbers, booleans or durations on request.
    /// 4. A variable that fits two keys (`a_b.c` and `a.b_c`) or names a table is an error rather than
    ///    a guess.
    ///
    /// A value set here remembers its variable, so a later ``ConfigError`` about it names the variable.
    ///
    /// - Parameters:
    ///   - environment: Variable names and values, usually `ProcessInfo.processInfo.environment`.
    ///   - prefix: The prefix that marks overrides.
    /// - Returns: The table with the overrides applied.
    /// - Throws: ``ConfigError`` naming the variable: `.invalidValue` when its text does not fit the
    ///   existing value's type or it names no key, `.wrongType` when it names a table or passes through
    ///   a value, `.ambiguousKey` when it fits more than one key.
    public func applyingEnvironment(
        _ environment: [String: String],
        prefix: String = "ERPMES_"
    ) throws(ConfigError) -> TOMLTable {
        var table = self
        for (variable, text) in environment.sorted(by: { $0.key < $1.key }) {
            let upper = variable.uppercased()
            guard upper.hasPrefix(prefix.uppercased()), upper.count > prefix.count else { continue }
            try table.applyOverride(variable: variable, name: String(upper.dropFirst(prefix.count)), text: text)
        }
        return table
    }

    private struct Candidate {
        var path: [String]
        var value: TOMLValue
        var name: String
    }

    private mutating func applyOverride(variable: String, name: String, text: String) throws(ConfigError) {
        var candidates: [Candidate] = []
        self.collectCandidates(under: [], into: &candidates)
        let exact = candidates.filter { $0.name == name }
        if exact.count > 1 {
            let paths = exact.map { "\"\(TOMLKey.path($0.path))\"" }.joined(separator: " and ")
            throw Self.failure(.ambiguousKey, "the name fits \(paths); rename one of them", exact[0].path, variable)
        }
        if let match = exact.first {
            let value = try Self.typed(text, like: match.value, path: match.path, variable: variable)
            try self.setOverride(value, at: match.path, variable: variable)
            return
        }
        let containers = candidates.filter {
            if case .table = $0.value { return name.hasPrefix($0.name + "_") }
            return false
        }
        let depth = containers.map(\.name.count).max()
        let deepest = containers.filter { $0.name.count == depth }
        if deepest.count > 1 {
            let paths = deepest.map { "\"\(TOMLKey.path($0.path))\"" }.joined(separator: " and ")
            throw Self.failure(.ambiguousKey, "the name fits tables \(paths); rename one of them", nil, variable)
        }
        let container = deepest.first
        let rest = name.dropFirst(container.map { $0.name.count + 1 } ?? 0).lowercased()
        // `ERPMES_LOG__LEVEL` or `ERPMES_LOG_` is a typo, not a key named `_level` or ``.
        guard !rest.split(separator: "_", omittingEmptySubsequences: false).contains("") else {
            throw Self.failure(.invalidValue, "the name does not name a key", nil, variable)
        }
        let path =
            container.map { $0.path + [rest] }
            ?? rest.split(separator: "_", maxSplits: 1).map(String.init)
        try self.setOverride(.string(text), at: path, variable: variable)
    }

    /// Every key path with its variable name, tables included; arrays of tables are not entered, since
    /// a variable cannot name an element.
    private func collectCandidates(under path: [String], into candidates: inout [Candidate]) {
        for (key, value) in self.entries {
            let keyPath = path + [key]
            let name = keyPath.map { String($0.uppercased().map { $0 == "-" ? "_" : $0 }) }.joined(separator: "_")
            candidates.append(Candidate(path: keyPath, value: value, name: name))
            if case .table(let table) = value { table.collectCandidates(under: keyPath, into: &candidates) }
        }
    }

    /// `text` as a value of `existing`'s type.
    private static func typed(
        _ text: String,
        like existing: TOMLValue,
        path: [String],
        variable: String
    ) throws(ConfigError) -> TOMLValue {
        let parsed = TOMLScalar.value(of: text)
        let quotedPath = "\"\(TOMLKey.path(path))\""
        switch (existing, parsed) {
        case (.string, _): return .string(text)
        case (.integer, .success(.integer(let number))): return .integer(number)
        case (.integer, _): throw Self.failure(.invalidValue, "\(quotedPath) must be an integer", path, variable)
        case (.float, .success(.float(let number))): return .float(number)
        case (.float, .success(.integer(let number))): return .float(Double(number))
        case (.float, _): throw Self.failure(.invalidValue, "\(quotedPath) must be a float", path, variable)
        case (.bool, .success(.bool(let flag))): return .bool(flag)
        case (.bool, _): throw Self.failure(.invalidValue, "\(quotedPath) must be true or false", path, variable)
        case (.datetime, .success(.datetime(let text))): return .datetime(text)
        case (.datetime, _): throw Self.failure(.invalidValue, "\(quotedPath) must be a date-time", path, variable)
        case (.array, _):
            guard case .array(let elements)? = try? TOMLParser.parseValue(text) else {
                let message = "\(quotedPath) must be an array in TOML syntax, such as [\"a\", \"b\"]"
                throw Self.failure(.invalidValue, message, path, variable)
            }
            return .array(elements)
        case (.table, _):
            let message = "\(quotedPath) is a table; only values can be set from the environment"
            throw Self.failure(.wrongType, message, path, variable)
        }
    }

    /// Sets `value` at `path` from `depth` on, creating missing tables; each one remembers the variable
    /// that made it.
    private mutating func setOverride(
        _ value: TOMLValue,
        at path: [String],
        depth: Int = 0,
        variable: String
    ) throws(ConfigError) {
        let key = path[depth]
        guard depth < path.count - 1 else {
            self.setValue(value, forKey: key, source: .environment(variable))
            return
        }
        var child: TOMLTable
        switch self[key] {
        case nil: child = TOMLTable(source: .environment(variable))
        case .table(let table): child = table
        case let other?:
            let message = "\"\(TOMLKey.path(Array(path[...depth])))\" is \(other.typeDescription), not a table"
            throw Self.failure(.wrongType, message, path, variable)
        }
        try child.setOverride(value, at: path, depth: depth + 1, variable: variable)
        self.setValue(.table(child), forKey: key, source: self.source(of: key) ?? .environment(variable))
    }

    private static func failure(
        _ code: ConfigError.Code,
        _ message: String,
        _ path: [String]?,
        _ variable: String
    ) -> ConfigError {
        ConfigError(code: code, keyPath: path.map(TOMLKey.path), environmentVariable: variable, message: message)
    }
}
