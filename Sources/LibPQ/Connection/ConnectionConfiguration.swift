import Logging

/// How to open a connection: a libpq conninfo string or URI plus erpmes' session defaults.
///
/// The conninfo goes to libpq unchanged, so `service=`, `PGPASSFILE`, `PGHOST`/`PGPORT`, `sslmode` and
/// every other libpq setting work as DBAs expect. Values the conninfo sets win over the defaults here.
public struct ConnectionConfiguration: Sendable {
    /// `host=... dbname=...` or `postgresql://...`; may hold a password, so it is a ``Secret``.
    public var conninfo: Secret
    /// `application_name` unless the conninfo sets one (libpq's `fallback_application_name`).
    public var applicationName: String
    /// Seconds to wait for a connection, unless the conninfo says otherwise.
    public var connectTimeout: Int
    /// TCP keepalives, so a partitioned peer is noticed in about a minute rather than hours.
    public var keepalives: Bool
    /// The session `TimeZone`. erpmes runs every session in UTC; plant time lives in mapping helpers.
    public var timeZone: String
    /// Extra session settings (`SET name = value`) applied right after connecting.
    public var settings: [(name: String, value: String)]
    /// Called for each server NOTICE or WARNING, besides the log.
    public var onNotice: (@Sendable (PQNotice) -> Void)?

    public init(
        conninfo: Secret,
        applicationName: String = "erpmes",
        connectTimeout: Int = 10,
        keepalives: Bool = true,
        timeZone: String = "UTC",
        settings: [(name: String, value: String)] = [],
        onNotice: (@Sendable (PQNotice) -> Void)? = nil
    ) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.keepalives = keepalives
        self.timeZone = timeZone
        self.settings = settings
        self.onNotice = onNotice
    }
}

/// A NOTICE, WARNING or INFO message from the server.
public struct PQNotice: Sendable, CustomStringConvertible {
    public var severity: String
    public var sqlState: SQLState?
    public var message: String
    public var detail: String?
    public var hint: String?

    public var description: String {
        "\(self.severity): \(self.message)" + (self.detail.map { "\nDETAIL: \($0)" } ?? "")
            + (self.hint.map { "\nHINT: \($0)" } ?? "")
    }
}
