import Foundation

/// All migration files of one target, read from `<dir>/Migrations/<target>/` (versioned) and
/// `<dir>/Sql/<target>/` (repeatable). Either folder may be missing: it then holds no files.
///
/// Nothing in those folders is skipped silently. Every `.sql` file must follow its folder's naming
/// grammar, any other file must be `README.md`, `README` or a dotfile, and subfolders are errors,
/// because a migration that erpmes does not see would look applied to whoever wrote it.
public struct MigrationCatalog: Sendable {
    /// The result of reading a target's folders: the files that could be read, and every problem found.
    public struct Scan: Sendable {
        /// The readable files. With problems, it may lack files or hold duplicates: do not run it.
        public var catalog: MigrationCatalog
        /// Every problem in file-name order, duplicates and dependency errors last.
        public var problems: [MigrationError]
    }

    /// The target's folder name, `erp`.
    public let target: String
    /// Versioned files in ascending version order.
    public let versioned: [MigrationFile]
    /// Repeatable files in dependency order: each after every file it requires.
    public let repeatables: [MigrationFile]

    /// Builds a catalog from files already read, checking versions for duplicates and ordering the
    /// repeatables.
    /// - Throws: ``MigrationError`` `.duplicateVersion`, `.dependencyCycle` or `.missingDependency`.
    public init(target: String, files: [MigrationFile]) throws(MigrationError) {
        let (catalog, problems) = Self.assemble(target: target, files: files)
        if let first = problems.first { throw first }
        self = catalog
    }

    private init(target: String, versioned: [MigrationFile], repeatables: [MigrationFile]) {
        self.target = target
        self.versioned = versioned
        self.repeatables = repeatables
    }

    /// Reads a target's files and reports every problem, for `validate` and `status`.
    /// - Parameters:
    ///   - directory: The migration directory (`--dir`), holding `Migrations/` and `Sql/`.
    ///   - target: The target's folder name, such as `erp`.
    public static func scan(directory: URL, target: String) -> Scan {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        guard !target.isEmpty, target.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            let problem = MigrationError(
                code: .invalidTarget,
                file: target,
                message: "a target name may hold only letters, digits, '_' and '-'"
            )
            let empty = MigrationCatalog(target: target, versioned: [], repeatables: [])
            return Scan(catalog: empty, problems: [problem])
        }
        var files: [MigrationFile] = []
        var problems: [MigrationError] = []
        for folder in [MigrationFolder.versioned, .repeatable] {
            let folderPath = folder.path(target: target)
            let url = directory.appendingPathComponent(folderPath, isDirectory: true)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                problems.append(MigrationError(code: .unexpectedFile, file: folderPath, message: "not a folder"))
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            } catch {
                problems.append(MigrationError(code: .unreadable, file: folderPath, message: "\(error)"))
                continue
            }
            for name in names {
                do throws(MigrationError) {
                    if let file = try Self.read(name, in: folder, at: url, target: target) { files.append(file) }
                } catch {
                    problems.append(error)
                }
            }
        }
        let (catalog, assemblyProblems) = Self.assemble(target: target, files: files)
        return Scan(catalog: catalog, problems: problems + assemblyProblems)
    }

    /// Reads a target's files, for commands that need every one of them to be valid.
    /// - Throws: The first problem ``scan(directory:target:)`` finds, as a ``MigrationError``.
    public static func load(directory: URL, target: String) throws(MigrationError) -> MigrationCatalog {
        let scan = Self.scan(directory: directory, target: target)
        if let first = scan.problems.first { throw first }
        return scan.catalog
    }

    /// One entry of a folder: a file, `nil` for one erpmes leaves alone, or an error.
    private static func read(
        _ name: String,
        in folder: MigrationFolder,
        at url: URL,
        target: String
    ) throws(MigrationError) -> MigrationFile? {
        let path = "\(folder.path(target: target))/\(name)"
        let fileURL = url.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: fileURL.path, isDirectory: &isDirectory)
        if isDirectory.boolValue, !name.hasPrefix(".") {
            let message = "subfolders are not read; move its files into \(folder.path(target: target))/ or move it out"
            throw MigrationError(code: .unexpectedFile, file: path, message: message)
        }
        guard try MigrationFileName.parse(name, in: folder, target: target) != .ignored else { return nil }
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            throw MigrationError(code: .unreadable, file: path, message: "the file cannot be read")
        }
        return try MigrationFile(name: name, folder: folder, target: target, bytes: [UInt8](data))
    }

    /// Sorts versioned files, finds duplicate versions and orders repeatables.
    private static func assemble(target: String, files: [MigrationFile]) -> (MigrationCatalog, [MigrationError]) {
        var problems: [MigrationError] = []
        let versioned = files.filter { $0.version != nil }
            .sorted { ($0.version!, $0.name) < ($1.version!, $1.name) }
        var index = 0
        while index < versioned.count {
            let version = versioned[index].version!
            let same = versioned[index...].prefix { $0.version == version }
            if same.count > 1 {
                let names = same.map(\.name).joined(separator: " and ")
                let message = "duplicate version \(version): \(names) have the same version; renumber one of them"
                problems.append(MigrationError(code: .duplicateVersion, file: same.first!.path, message: message))
            }
            index += same.count
        }
        var repeatables = files.filter { $0.kind == .repeatable }.sorted { $0.name < $1.name }
        do {
            repeatables = try RepeatableOrder.sorted(repeatables)
        } catch {
            problems.append(error)
        }
        return (MigrationCatalog(target: target, versioned: versioned, repeatables: repeatables), problems)
    }
}
