/// One direction of a link: which side is read and which is written.
public enum Direction: String, Sendable, CaseIterable {
    case erpToMES = "erp>mes"
    case mesToERP = "mes>erp"

    /// The consumer name on the source and the position key on the target: `plant1:erp>mes`.
    public func consumer(link: String) -> String { "\(link):\(self.rawValue)" }

    public var source: String { self == .erpToMES ? "erp" : "mes" }
    public var target: String { self == .erpToMES ? "mes" : "erp" }
}
