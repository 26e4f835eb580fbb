import Foundation
import LibPQ

/// One statement with its parameters: what `up` sends and what `plan` prints.
///
/// `up` binds the parameters; `plan` inlines them as quoted literals so psql can run its output.
/// Both come from the same value, so the plan is the exact SQL `up` would send.
struct SQLCommand: Sendable {
    var sql: String
    var parameters: [String?] = []

    /// The statement with `$n` replaced by literals, for a person or psql to run.
    var rendered: String {
        guard !self.parameters.isEmpty else { return self.sql }
        var output = ""
        var scalars = Array(self.sql.unicodeScalars)[...]
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            guard scalar == "$", let first = scalars.first, ("0"..."9").contains(first) else {
                output.unicodeScalars.append(scalar)
                continue
            }
            var digits = ""
            while let next = scalars.first, ("0"..."9").contains(next) {
                digits.unicodeScalars.append(next)
                scalars = scalars.dropFirst()
            }
            let index = (Int(digits) ?? 0) - 1
            if self.parameters.indices.contains(index) {
                output += self.parameters[index].map(SQLQuote.literal) ?? "NULL"
            } else {
                output += "$" + digits
            }
        }
        return output
    }
}

extension PQConnection {
    /// Runs a command with its parameters bound.
    @discardableResult
    func run(_ command: SQLCommand) async throws -> PQResult {
        try await self.query(command.sql, command.parameters)
    }
}
