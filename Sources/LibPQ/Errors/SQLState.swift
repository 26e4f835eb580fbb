/// A five-character SQLSTATE code, as the server reports it in an error.
///
/// Constants are grouped by class as in PostgreSQL's errcodes appendix; compare with `==`
/// (`error.sqlState == .uniqueViolation`) or by class (`error.sqlState?.class == "23"`).
public struct SQLState: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The two-character class, e.g. `23` for integrity constraint violations.
    public var `class`: String { String(self.rawValue.prefix(2)) }
    public var description: String { self.rawValue }

    // Class 00, 01: success and warnings.
    public static let successfulCompletion: SQLState = "00000"
    public static let warning: SQLState = "01000"
    // Class 08: connection exceptions.
    public static let connectionException: SQLState = "08000"
    public static let connectionDoesNotExist: SQLState = "08003"
    public static let connectionFailure: SQLState = "08006"
    public static let sqlClientUnableToEstablishConnection: SQLState = "08001"
    // Class 0A: feature not supported.
    public static let featureNotSupported: SQLState = "0A000"
    // Class 22: data exceptions.
    public static let dataException: SQLState = "22000"
    public static let numericValueOutOfRange: SQLState = "22003"
    public static let invalidDatetimeFormat: SQLState = "22007"
    public static let divisionByZero: SQLState = "22012"
    public static let invalidTextRepresentation: SQLState = "22P02"
    public static let stringDataRightTruncation: SQLState = "22001"
    // Class 23: integrity constraint violations.
    public static let integrityConstraintViolation: SQLState = "23000"
    public static let notNullViolation: SQLState = "23502"
    public static let foreignKeyViolation: SQLState = "23503"
    public static let uniqueViolation: SQLState = "23505"
    public static let checkViolation: SQLState = "23514"
    public static let exclusionViolation: SQLState = "23P01"
    // Class 25: invalid transaction state.
    public static let activeSQLTransaction: SQLState = "25001"
    public static let noActiveSQLTransaction: SQLState = "25P01"
    public static let inFailedSQLTransaction: SQLState = "25P02"
    public static let readOnlySQLTransaction: SQLState = "25006"
    // Class 28: invalid authorization.
    public static let invalidAuthorizationSpecification: SQLState = "28000"
    public static let invalidPassword: SQLState = "28P01"
    // Class 40: transaction rollback.
    public static let transactionRollback: SQLState = "40000"
    public static let serializationFailure: SQLState = "40001"
    public static let deadlockDetected: SQLState = "40P01"
    // Class 42: syntax errors and access rule violations.
    public static let syntaxError: SQLState = "42601"
    public static let insufficientPrivilege: SQLState = "42501"
    public static let undefinedColumn: SQLState = "42703"
    public static let undefinedFunction: SQLState = "42883"
    public static let undefinedTable: SQLState = "42P01"
    public static let undefinedObject: SQLState = "42704"
    public static let duplicateObject: SQLState = "42710"
    public static let duplicateTable: SQLState = "42P07"
    public static let datatypeMismatch: SQLState = "42804"
    // Class 53: insufficient resources.
    public static let insufficientResources: SQLState = "53000"
    public static let diskFull: SQLState = "53100"
    public static let outOfMemory: SQLState = "53200"
    public static let tooManyConnections: SQLState = "53300"
    // Class 55: object not in prerequisite state.
    public static let objectNotInPrerequisiteState: SQLState = "55000"
    public static let lockNotAvailable: SQLState = "55P03"
    // Class 57: operator intervention.
    public static let queryCanceled: SQLState = "57014"
    public static let adminShutdown: SQLState = "57P01"
    public static let crashShutdown: SQLState = "57P02"
    public static let cannotConnectNow: SQLState = "57P03"
    // Class P0: PL/pgSQL.
    public static let raiseException: SQLState = "P0001"
    public static let noDataFound: SQLState = "P0002"
    public static let tooManyRows: SQLState = "P0003"
    // Class XX: internal errors.
    public static let internalError: SQLState = "XX000"
}
