/// Durations as configuration writes them: a whole number and a unit, `"500ms"`, `"5min"`, `"7d"`.
extension ConfigReader {
    /// The units a duration may have, in seconds per unit except `ms`.
    ///
    /// `m` is not one: it reads as minutes to some and months to others, so `min` says which.
    private static let secondsPerUnit: [String: Int64] = ["s": 1, "min": 60, "h": 3_600, "d": 86_400]

    /// Parses a whole number of `ms`, `s`, `min`, `h` or `d` with no space between, such as `"500ms"`.
    ///
    /// Fractions (`"1.5s"`) and mixed units (`"1h30min"`) are refused: a smaller unit says the same
    /// thing in one obvious way.
    ///
    /// - Parameter text: The duration as written.
    /// - Returns: The duration, or `nil` when `text` is not one or overflows.
    public static func parseDuration(_ text: String) -> Duration? {
        guard let unitStart = text.firstIndex(where: { !("0"..."9").contains($0) }), unitStart != text.startIndex,
            let number = Int64(text[..<unitStart])
        else { return nil }
        let unit = String(text[unitStart...])
        if unit == "ms" { return .milliseconds(number) }
        guard let scale = Self.secondsPerUnit[unit] else { return nil }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : .seconds(seconds)
    }
}
