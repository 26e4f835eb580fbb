/// The two folders of a target: versioned migrations and repeatable files.
public enum MigrationFolder: Hashable, Sendable {
    /// `Migrations/<target>/`: `V<version>__<description>.sql`, applied once each, in version order.
    case versioned
    /// `Sql/<target>/`: `<name>.sql`, re-applied whenever its checksum changes.
    case repeatable

    /// The folder's path relative to the migration directory: `Migrations/erp` or `Sql/erp`.
    public func path(target: String) -> String {
        switch self {
        case .versioned: "Migrations/\(target)"
        case .repeatable: "Sql/\(target)"
        }
    }
}

/// What a file name in a migration folder means; the grammar that ``MigrationCatalog`` applies.
///
/// Every name is either a migration, a file erpmes leaves alone (`README.md`, `README`, dotfiles such
/// as `.gitkeep`), or an error that says what is wrong: a misnamed migration is never skipped, since a
/// skipped migration looks applied.
public enum MigrationFileName: Hashable, Sendable {
    /// `V<version>__<description>.sql`; the description with `_` shown as spaces.
    case versioned(MigrationVersion, description: String)
    /// `<name>.sql` in `Sql/<target>/`; the description is the name without `.sql`.
    case repeatable(description: String)
    /// `README.md`, `README` or a dotfile.
    case ignored

    /// Classifies `name`, a file (not a folder) found directly in `folder`.
    /// - Parameters:
    ///   - name: The file name without any directory.
    ///   - folder: Where it was found.
    ///   - target: The target, for paths in messages.
    /// - Throws: ``MigrationError`` `.invalidFileName` for a `.sql` name that breaks the grammar,
    ///   `.unexpectedFile` for any other file.
    public static func parse(
        _ name: String,
        in folder: MigrationFolder,
        target: String
    ) throws(MigrationError) -> MigrationFileName {
        let folderPath = folder.path(target: target)
        func error(_ code: MigrationError.Code, _ message: String) -> MigrationError {
            MigrationError(code: code, file: "\(folderPath)/\(name)", message: message)
        }
        if name.hasPrefix(".") || name == "README.md" || name == "README" { return .ignored }
        guard name.hasSuffix(".sql") else {
            if name.lowercased().hasSuffix(".sql") {
                let fixed = name.dropLast(4) + ".sql"
                throw error(.invalidFileName, "the extension must be lowercase .sql: \(fixed)")
            }
            let expected =
                folder == .versioned ? "V<version>__<description>.sql files" : "<name>.sql files"
            throw error(
                .unexpectedFile,
                "only \(expected), README.md and dotfiles belong in \(folderPath)/"
            )
        }
        let stem = String(name.dropLast(4))
        switch folder {
        case .repeatable:
            if case .versioned = try? Self.parse(name, in: .versioned, target: target) {
                throw error(
                    .invalidFileName,
                    "named like a versioned migration; move it to \(MigrationFolder.versioned.path(target: target))/"
                        + " or rename it"
                )
            }
            return .repeatable(description: stem)
        case .versioned:
            let repeatablePath = MigrationFolder.repeatable.path(target: target)
            return try Self.parseVersioned(stem, repeatablePath: repeatablePath) { error(.invalidFileName, $0) }
        }
    }

    private static func parseVersioned(
        _ stem: String,
        repeatablePath: String,
        error: (String) -> MigrationError
    ) throws(MigrationError) -> MigrationFileName {
        let form = "V<version>__<description>.sql"
        guard let first = stem.first, first == "V" || first == "v" else {
            throw error("expected \(form); repeatable files belong in \(repeatablePath)/")
        }
        let afterV = stem.dropFirst()
        // The version is digits joined by single `.` or `_`; `__` ends it, so `V2_1__x` is version 2.1.
        func isDigit(_ i: Substring.Index) -> Bool { i < afterV.endIndex && afterV[i].isASCII && afterV[i].isNumber }
        var end = afterV.startIndex
        while isDigit(end) {
            while isDigit(end) { end = afterV.index(after: end) }
            if end < afterV.endIndex, afterV[end] == "." || afterV[end] == "_", isDigit(afterV.index(after: end)) {
                end = afterV.index(after: end)
            }
        }
        let versionText = String(afterV[..<end])
        let rest = afterV[end...]
        if first == "v" {
            throw error("a versioned migration starts with an uppercase V: V\(afterV).sql")
        }
        guard let version = MigrationVersion(versionText) else {
            let description = rest.drop(while: { $0 == "_" })
            throw error("missing version after V: expected \(form), e.g. V1__\(description).sql")
        }
        guard rest.hasPrefix("__") else {
            if rest.isEmpty {
                throw error("missing description: expected V\(versionText)__<description>.sql")
            }
            if rest.hasPrefix("_") {
                throw error("expected two underscores after the version: V\(versionText)__\(rest.dropFirst()).sql")
            }
            throw error(
                "expected two underscores after the version \(versionText), found '\(rest.first!)';"
                    + " versions are digits separated by single '.' or '_' (V1, V1.1, V2_1)"
            )
        }
        let description = rest.dropFirst(2)
        if description.isEmpty {
            throw error("missing description after the two underscores: V\(versionText)__<description>.sql")
        }
        if description.hasPrefix("_") {
            let fixed = description.drop(while: { $0 == "_" })
            throw error("expected exactly two underscores after the version: V\(versionText)__\(fixed).sql")
        }
        let allowed = { (c: Character) in (c.isASCII && (c.isLetter || c.isNumber)) || " _-".contains(c) }
        if let bad = description.first(where: { !allowed($0) }) {
            throw error("the description may hold only letters, digits, spaces, '_' and '-', not '\(bad)'")
        }
        return .versioned(version, description: String(description).replacingUnderscores(with: " "))
    }
}
