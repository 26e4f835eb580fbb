/// Metadata keys for log lines, dotted and constant, so logs can be filtered by key.
///
/// Messages stay constant ("row sent to dead-letter table"); values go under these keys.
public enum LogKey {
    public static let entity = "entity"
    public static let rowKey = "row.key"
    public static let batchID = "batch.id"
    public static let link = "link"
    public static let side = "side"
    public static let target = "target"
    public static let file = "file"
    public static let sqlState = "sqlstate"
    public static let error = "error"
    public static let database = "db.name"
    public static let port = "db.port"
}
