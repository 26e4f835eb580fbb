import LibPQ

/// Why a link stopped or a batch was not applied, with the link and direction it concerns.
public struct ReplicationError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. Compared with `==`; new codes break no one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case fenced, positionMoved, sourceChanged, notMigrated, rejected, needsResync
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { "\(self.base)" }
        /// Another replicator took the link over; this one stands by.
        public static let fenced = Code(.fenced)
        /// The apply position is not where this batch starts: it was applied already.
        public static let positionMoved = Code(.positionMoved)
        /// The source is another cluster (restore, failover to a lagging standby): the link halts.
        public static let sourceChanged = Code(.sourceChanged)
        /// A database lacks the control schema or has migrations pending.
        public static let notMigrated = Code(.notMigrated)
        /// The link was down longer than the source's retention; its queue rows may be gone.
        public static let needsResync = Code(.needsResync)
        /// The apply function rejected rows.
        public static let rejected = Code(.rejected)
    }

    public var code: Code
    public var link: String
    public var message: String

    public init(_ code: Code, link: String, _ message: String) {
        self.code = code
        self.link = link
        self.message = message
    }

    public var description: String { "link \(self.link): \(self.message)" }

    /// Maps the SQLSTATEs erpmes.begin_apply raises (class EM) to codes.
    static func fromServer(_ error: PQError, link: String) -> ReplicationError? {
        switch error.sqlState?.rawValue {
        case "EM001": ReplicationError(.fenced, link: link, error.message)
        case "EM002": ReplicationError(.positionMoved, link: link, error.message)
        case "EM003":
            ReplicationError(.sourceChanged, link: link, error.message + (error.detail.map { " (\($0))" } ?? ""))
        default: nil
        }
    }
}

/// Advisory-lock classes of the replicator, each in a class of its own (DESIGN 9).
enum AdvisoryLock {
    /// "LINK": one active replicator per link, on each side.
    static let link: Int32 = 0x4C49_4E4B
    /// "WAKE": the idle/decide protocol of erpmes.wake (1 = S, 2 = I).
    static let wake: Int32 = 0x5741_4B45
}

/// How the replicator treats a server error raised while applying (DESIGN 2.6).
enum ErrorClass: Equatable {
    /// Roll back and retry with backoff: connection (08), transaction rollback (40), resources
    /// (53), operator intervention (57), lock not available (55P03), and anything unknown.
    case transient
    /// Pause the entity: syntax or access rule (42), feature not supported (0A).
    case schema
    /// Quarantine the key: data exception (22), integrity constraint (23), raised by a mapping (P0001).
    case data

    init(_ sqlState: String?) {
        guard let sqlState else {
            self = .transient
            return
        }
        switch sqlState.prefix(2) {
        case "22", "23": self = .data
        case "P0" where sqlState == "P0001": self = .data
        case "42", "0A": self = .schema
        default: self = .transient
        }
    }
}
