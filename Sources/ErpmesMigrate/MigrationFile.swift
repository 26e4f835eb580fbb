/// One migration file, read and checked: its name's meaning, checksum, directives and statements.
///
/// Creating one proves the file can run the way erpmes will run it: every quote and comment closes,
/// every directive is known and valid for the file's kind, and a statement that cannot run inside a
/// transaction block only appears where erpmes will not open one.
public struct MigrationFile: Hashable, Sendable {
    /// Versioned files run once, in version order; repeatable ones whenever their checksum changes.
    public enum Kind: Hashable, Sendable {
        case versioned(MigrationVersion)
        case repeatable
    }

    /// Which folder the file came from, with the version of a versioned file.
    public let kind: Kind
    /// The file name, `V1_1__add_orders.sql`.
    public let name: String
    /// The path relative to the migration directory, `Migrations/erp/V1_1__add_orders.sql`.
    public let path: String
    /// For people and the history table: `add orders` (`_` shown as spaces), or a repeatable's name
    /// without `.sql`.
    public let description: String
    /// The file's text as read; placeholders are not yet substituted.
    public let content: String
    /// Over the normalised bytes of the file; see ``Checksum``.
    public let checksum: Checksum
    /// Its `-- erpmes:` lines.
    public let directives: MigrationDirectives
    /// The statements, each with its file location.
    public let statements: [SQLStatement]

    /// The version of a versioned file; `nil` for a repeatable one.
    public var version: MigrationVersion? {
        if case .versioned(let version) = self.kind { return version }
        return nil
    }

    /// `false` for a `-- erpmes:transaction none` file, whose statements are sent one at a time.
    public var runsInTransaction: Bool { self.directives.runsInTransaction }

    /// Reads a file found in one of a target's folders.
    /// - Parameters:
    ///   - name: The file name; it must follow the grammar of `folder` (see ``MigrationFileName``).
    ///   - folder: The folder the file was found in.
    ///   - target: The target, which names the folder.
    ///   - bytes: The file's bytes, as on disk.
    /// - Throws: ``MigrationError`` for a bad name, text that is not UTF-8, an unterminated quote or
    ///   comment, a bad directive, or a statement the file's transaction mode cannot run.
    public init(name: String, folder: MigrationFolder, target: String, bytes: [UInt8]) throws(MigrationError) {
        let path = "\(folder.path(target: target))/\(name)"
        switch try MigrationFileName.parse(name, in: folder, target: target) {
        case .versioned(let version, let description):
            self.kind = .versioned(version)
            self.description = description
        case .repeatable(let description):
            self.kind = .repeatable
            self.description = description
        case .ignored:
            throw MigrationError(code: .unexpectedFile, file: path, message: "not a migration file")
        }
        self.name = name
        self.path = path
        self.checksum = Checksum(of: bytes)
        self.content = try Self.decode(bytes, path: path)
        let script = try SQLScript(self.content, file: path)
        self.statements = script.statements
        self.directives = try MigrationDirectives.parse(script, file: path)
        try self.checkDirectives()
        try self.checkTransactionMode()
    }

    /// Strict UTF-8: a file in another encoding would reach the server with the wrong characters.
    private static func decode(_ bytes: [UInt8], path: String) throws(MigrationError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // The first line that does not decode on its own is where the bad byte is.
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        let line = (lines.firstIndex { String(validating: $0, as: UTF8.self) == nil } ?? 0) + 1
        throw MigrationError(
            code: .invalidEncoding,
            file: path,
            line: line,
            message: "the file is not valid UTF-8; save it as UTF-8"
        )
    }

    private func checkDirectives() throws(MigrationError) {
        let locations = self.directives.locations
        if self.kind == .repeatable, let location = locations["transaction"] {
            throw MigrationError(
                code: .invalidDirective,
                file: self.path,
                at: location,
                message: "repeatable files all run in one transaction; a statement that needs"
                    + " '-- erpmes:transaction none' belongs in a versioned migration"
            )
        }
        if self.kind != .repeatable, let location = locations["requires"] {
            throw MigrationError(
                code: .invalidDirective,
                file: self.path,
                at: location,
                message: "'requires' is for repeatable files in Sql/; versioned files run in version order"
            )
        }
    }

    private func checkTransactionMode() throws(MigrationError) {
        for statement in self.statements {
            guard let kind = NonTransactionalDetector.kind(of: statement.text) else { continue }
            let message: String
            let code: MigrationError.Code
            if kind == .transactionControl {
                // In a `transaction none` file each statement is its own transaction, so the file may
                // group statements itself; elsewhere it would commit erpmes's transaction early.
                guard self.runsInTransaction else { continue }
                code = .transactionControl
                message =
                    "\(kind) would end the transaction erpmes runs this file and its history row in;"
                    + " remove it"
            } else if self.kind == .repeatable {
                code = .nonTransactionalStatement
                message =
                    "\(kind) cannot run inside a transaction block, and repeatable files all run in one;"
                    + " move it to a versioned migration with '-- erpmes:transaction none'"
            } else if self.runsInTransaction {
                code = .nonTransactionalStatement
                message =
                    "\(kind) cannot run inside a transaction block; add '-- erpmes:transaction none'"
                    + " to the file to send its statements one at a time"
            } else {
                continue
            }
            throw MigrationError(code: code, file: self.path, at: statement.location, message: message)
        }
    }
}
