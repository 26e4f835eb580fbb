/// The columns of a result: names and types, shared by all its rows.
public struct PQColumns: Sendable {
    public let names: [String]
    public let types: [PQType]
    private let indexByName: [String: Int]

    init(names: [String], types: [PQType]) {
        self.names = names
        self.types = types
        var indexByName: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexByName[name] == nil { indexByName[name] = index }
        self.indexByName = indexByName
    }

    /// The index of the first column called `name`.
    public func index(of name: String) -> Int? { self.indexByName[name] }
}

/// The rows of one statement's result, plus its command tag (`INSERT 0 3`) and row count.
public struct PQResult: RandomAccessCollection, Sendable {
    public let columns: PQColumns
    /// Row-major text values; nil is SQL NULL.
    let values: [String?]
    /// The command tag, e.g. `UPDATE 3` or `SELECT 1`.
    public let commandTag: String
    /// Rows inserted, updated, deleted, copied or selected, as the server reported.
    public let affectedRows: Int

    init(columns: PQColumns, values: [String?], commandTag: String, affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.commandTag = commandTag
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { self.columns.names.isEmpty ? 0 : self.values.count / self.columns.names.count }
    public subscript(position: Int) -> Row { Row(result: self, row: position) }
}

/// One row of a ``PQResult``.
public struct Row: Sendable {
    let result: PQResult
    let row: Int

    public var columns: PQColumns { self.result.columns }

    /// The text of the column called `name`, as psql would show it; nil for NULL or no such column.
    public subscript(name: String) -> String? {
        guard let index = self.result.columns.index(of: name) else { return nil }
        return self[index]
    }

    /// The text of column `index`; nil for NULL.
    public subscript(index: Int) -> String? {
        self.result.values[self.row * self.result.columns.names.count + index]
    }

    /// Decodes the column called `name` as `type`. Ask for an optional type where NULL is allowed.
    /// - Throws: ``PQError`` with code `decoding` naming the column when it is missing, NULL for a
    ///   non-optional type, or not of a compatible type.
    public func decode<T: PQDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = self.result.columns.index(of: name) else {
            throw PQError.decoding(
                "no column \"\(name)\" in result (columns: \(self.columns.names.joined(separator: ", ")))"
            )
        }
        return try self.decode(index, as: type)
    }

    /// Decodes column `index` as `type`.
    public func decode<T: PQDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        do {
            return try T.pqDecode(self[index], type: self.result.columns.types[index])
        } catch var error as PQError {
            error.message = "column \"\(self.result.columns.names[index])\": \(error.message)"
            throw error
        }
    }

    /// The column called `name` decoded by its PostgreSQL type; `.null` when missing or NULL.
    public func value(_ name: String) throws -> PQValue {
        guard let index = self.result.columns.index(of: name) else { return .null }
        return try PQValue(text: self[index], type: self.result.columns.types[index])
    }
}
