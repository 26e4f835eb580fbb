import Foundation
import LibPQ

/// What `erpmes run` reads from the configuration file: the links and how to run them.
///
/// ```toml
/// [run]
/// poll = "1s"             # take a tick at least this often, NOTIFY or not
/// notify = true           # wake on NOTIFY erpmes_wake (writers notify only while idle)
/// lock_timeout = "5s"     # for apply statements, so links and ERP users never deadlock
/// reconnect_max = "30s"   # reconnect backoff: 0.1 s doubling to this, with jitter
/// batch_keys = 10000      # keys per batch: a larger backlog goes as several committed batches
/// rotate_rows = 1000000   # switch the queue table after this many rows ...
/// rotate_interval = "5min" # ... or this long
/// retention = "7d"        # a link that confirmed nothing for this long is marked "needs resync"
///
/// [links.plant1]
/// erp = "service=erp"
/// mes = "service=mes1"
/// timezone = "Europe/Berlin"
/// ```
public struct RunConfiguration: Sendable {
    /// One ERP database and one MES database kept in step.
    public struct Link: Sendable {
        public var name: String
        public var erp: Secret
        public var mes: Secret
        /// The plant's IANA time zone, for mapping helpers (`SET LOCAL erpmes.plant_tz`).
        public var timezone: String

        public init(name: String, erp: Secret, mes: Secret, timezone: String = "UTC") {
            self.name = name
            self.erp = erp
            self.mes = mes
            self.timezone = timezone
        }
    }

    public var links: [Link]
    public var poll: Duration = .seconds(1)
    public var notify = true
    public var lockTimeout: Duration = .seconds(5)
    public var reconnectMax: Duration = .seconds(30)
    public var batchKeys = 10_000
    public var rotateRows = 1_000_000
    public var rotateInterval: Duration = .seconds(300)
    public var retention: Duration = .seconds(7 * 86_400)

    public init(links: [Link]) { self.links = links }

    /// Reads `[run]` and `[links.*]` from a configuration file, with `ERPMES_` environment overrides.
    /// - Throws: ``ConfigError`` naming the key, its line and what is wrong.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> RunConfiguration {
        let root = try ConfigReader.load(contentsOfFile: path, environment: environment)
        var configuration = RunConfiguration(links: [])
        if let run = try root.optionalTable("run") {
            try run.rejectUnknownKeys(allowed: [
                "poll", "notify", "lock_timeout", "reconnect_max", "batch_keys", "rotate_rows", "rotate_interval",
                "retention",
            ])
            configuration.rotateRows = try run.optionalInt("rotate_rows") ?? configuration.rotateRows
            configuration.rotateInterval = try run.optionalDuration("rotate_interval") ?? configuration.rotateInterval
            configuration.retention = try run.optionalDuration("retention") ?? configuration.retention
            configuration.poll = try run.optionalDuration("poll") ?? configuration.poll
            configuration.notify = try run.optionalBool("notify") ?? configuration.notify
            configuration.lockTimeout = try run.optionalDuration("lock_timeout") ?? configuration.lockTimeout
            configuration.reconnectMax = try run.optionalDuration("reconnect_max") ?? configuration.reconnectMax
            if let keys = try run.optionalInt("batch_keys") {
                guard keys > 0 else { throw run.failure(.invalidValue, "must be positive", key: "batch_keys") }
                configuration.batchKeys = keys
            }
        }
        guard let links = try root.optionalTable("links"), !links.keys.isEmpty else {
            throw ConfigError(
                code: .missingKey,
                file: path,
                keyPath: "links",
                message: "no [links.NAME] section: name at least one ERP/MES pair"
            )
        }
        for link in try links.tables() {
            try link.rejectUnknownKeys(allowed: ["erp", "mes", "timezone"])
            let name = link.name ?? ""
            guard name.range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression) != nil else {
                throw link.failure(.invalidValue, "a link name may hold only letters, digits, '_' and '-'", key: nil)
            }
            let timezone = try link.optionalString("timezone") ?? "UTC"
            guard TimeZone(identifier: timezone) != nil else {
                throw link.failure(
                    .invalidValue,
                    "'\(timezone)' is not an IANA time zone such as Europe/Berlin",
                    key: "timezone"
                )
            }
            configuration.links.append(
                Link(name: name, erp: try link.secret("erp"), mes: try link.secret("mes"), timezone: timezone)
            )
        }
        return configuration
    }
}
