import Foundation

/// Lines of a plain-text table: each column padded to its widest cell, two spaces between columns,
/// no trailing blanks. Shared by `migrate status` and `status`.
func alignedColumns(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        var line = ""
        for (column, cell) in row.enumerated() {
            if column > 0 { line += "  " }
            line += cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        return String(line.reversed().drop(while: { $0 == " " }).reversed())
    }
}
