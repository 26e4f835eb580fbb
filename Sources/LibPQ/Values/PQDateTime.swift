import Foundation

/// A PostgreSQL `date`: a calendar day with no time zone, or `infinity` / `-infinity`.
///
/// Years are astronomical: 1 BC is year 0, as `to_char(..., 'YYYY')` would not show but arithmetic needs.
public struct PQDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public static let infinity = PQDate(year: .max, month: 12, day: 31)
    public static let negativeInfinity = PQDate(year: .min, month: 1, day: 1)
    public var isInfinite: Bool { self.year == .max || self.year == .min }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var daysSinceEpoch: Int { civilToDays(year: self.year, month: self.month, day: self.day) }

    public static func < (lhs: PQDate, rhs: PQDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The text PostgreSQL accepts and prints in ISO style.
    public var description: String {
        if self == .infinity { return "infinity" }
        if self == .negativeInfinity { return "-infinity" }
        let (displayYear, era) = self.year > 0 ? (self.year, "") : (1 - self.year, " BC")
        return "\(pad(displayYear, 4))-\(pad(self.month, 2))-\(pad(self.day, 2))\(era)"
    }

    /// Parses `YYYY-MM-DD`, with an optional ` BC`, or `infinity` / `-infinity`.
    public init?(_ text: String) {
        if text == "infinity" {
            self = .infinity
            return
        }
        if text == "-infinity" {
            self = .negativeInfinity
            return
        }
        var scanner = DateTimeScanner(text)
        guard let date = scanner.date(), let adjusted = scanner.era(adjusting: date), scanner.atEnd else { return nil }
        self = adjusted
    }
}

/// A PostgreSQL `timestamp without time zone`: a wall-clock reading to the microsecond.
///
/// What zone it is in is the schema's convention, not the value's: the ERP reference schema keeps UTC,
/// the MES plant-local time. ``date(in:)`` applies a zone; decoding a naive timestamp as `Date`
/// assumes UTC.
public struct PQTimestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var date: PQDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var microsecond: Int

    public init(date: PQDate, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
    }

    public static let infinity = PQTimestamp(date: .infinity)
    public static let negativeInfinity = PQTimestamp(date: .negativeInfinity)
    public var isInfinite: Bool { self.date.isInfinite }

    /// Microseconds since 1970-01-01 00:00:00 of the same wall clock.
    public var microsecondsSinceEpoch: Int64 {
        let seconds =
            Int64(self.date.daysSinceEpoch) * 86_400 + Int64(self.hour * 3600 + self.minute * 60 + self.second)
        return seconds * 1_000_000 + Int64(self.microsecond)
    }

    /// The instant this wall-clock reading names in UTC, or nil when infinite.
    public var utcDate: Date? {
        self.isInfinite ? nil : Date(timeIntervalSince1970: Double(self.microsecondsSinceEpoch) / 1_000_000)
    }

    /// The instant this wall-clock reading names in `zone`, or nil when infinite. In a DST gap or
    /// overlap Foundation picks one reading; mapping code that must decide uses its own rule.
    public func date(in zone: TimeZone) -> Date? {
        guard let utc = self.utcDate else { return nil }
        let offset = zone.secondsFromGMT(for: utc.addingTimeInterval(-Double(zone.secondsFromGMT(for: utc))))
        return utc.addingTimeInterval(-Double(offset))
    }

    /// The UTC wall clock of `instant`, to the microsecond.
    public init(utc instant: Date) {
        self = .fromMicros(Int64((instant.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    public static func < (lhs: PQTimestamp, rhs: PQTimestamp) -> Bool {
        (lhs.date, lhs.hour, lhs.minute, lhs.second, lhs.microsecond)
            < (rhs.date, rhs.hour, rhs.minute, rhs.second, rhs.microsecond)
    }

    /// ISO text, e.g. `2024-03-31 01:30:00.250000`; the BC marker goes last, as PostgreSQL prints it.
    public var description: String {
        if self.isInfinite { return self.date.description }
        var dateText = self.date.description
        var era = ""
        if dateText.hasSuffix(" BC") {
            dateText.removeLast(3)
            era = " BC"
        }
        var text = "\(dateText) \(pad(self.hour, 2)):\(pad(self.minute, 2)):\(pad(self.second, 2))"
        if self.microsecond != 0 { text += "." + pad(self.microsecond, 6) }
        return text + era
    }

    /// Parses ISO output of `timestamp`, or of `timestamptz` (the offset is applied, giving UTC).
    public init?(_ text: String) {
        if text == "infinity" {
            self = .infinity
            return
        }
        if text == "-infinity" {
            self = .negativeInfinity
            return
        }
        var scanner = DateTimeScanner(text)
        guard let date = scanner.date(), scanner.skip(" ") || scanner.skip("T"),
            let (hour, minute, second, micro) = scanner.time()
        else { return nil }
        let offset = scanner.offset()
        guard let fullDate = scanner.era(adjusting: date), scanner.atEnd else { return nil }
        let local = PQTimestamp(date: fullDate, hour: hour, minute: minute, second: second, microsecond: micro)
        guard let offset, offset != 0 else {
            self = local
            return
        }
        self = .fromMicros(local.microsecondsSinceEpoch - Int64(offset) * 1_000_000)
    }

    static func fromMicros(_ micros: Int64) -> PQTimestamp {
        let fraction = ((micros % 1_000_000) + 1_000_000) % 1_000_000
        let seconds = (micros - fraction) / 1_000_000
        let days = Int((seconds - ((seconds % 86_400) + 86_400) % 86_400) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = daysToCivil(days)
        return PQTimestamp(
            date: PQDate(year: year, month: month, day: day),
            hour: secondOfDay / 3600,
            minute: secondOfDay % 3600 / 60,
            second: secondOfDay % 60,
            microsecond: Int(fraction)
        )
    }
}

/// A small scanner over PostgreSQL's ISO date/time output.
struct DateTimeScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { self.bytes = Array(text.utf8) }

    var atEnd: Bool { self.index == self.bytes.count }

    mutating func skip(_ literal: String) -> Bool {
        let expected = Array(literal.utf8)
        guard self.bytes.count - self.index >= expected.count,
            Array(self.bytes[self.index..<self.index + expected.count]) == expected
        else { return false }
        self.index += expected.count
        return true
    }

    mutating func number(minDigits: Int, maxDigits: Int = 9) -> (value: Int, digits: Int)? {
        var value = 0
        var digits = 0
        while self.index < self.bytes.count, digits < maxDigits,
            self.bytes[self.index] >= UInt8(ascii: "0"), self.bytes[self.index] <= UInt8(ascii: "9")
        {
            value = value * 10 + Int(self.bytes[self.index] - UInt8(ascii: "0"))
            digits += 1
            self.index += 1
        }
        return digits >= minDigits ? (value, digits) : nil
    }

    mutating func date() -> PQDate? {
        guard let year = self.number(minDigits: 4), self.skip("-"), let month = self.number(minDigits: 2, maxDigits: 2),
            self.skip("-"), let day = self.number(minDigits: 2, maxDigits: 2)
        else { return nil }
        return PQDate(year: year.value, month: month.value, day: day.value)
    }

    /// Applies a trailing ` BC` (astronomical year numbering), consuming it.
    mutating func era(adjusting date: PQDate) -> PQDate? {
        if self.skip(" BC") { return PQDate(year: 1 - date.year, month: date.month, day: date.day) }
        return date
    }

    mutating func time() -> (Int, Int, Int, Int)? {
        guard let hour = self.number(minDigits: 2, maxDigits: 2), self.skip(":"),
            let minute = self.number(minDigits: 2, maxDigits: 2), self.skip(":"),
            let second = self.number(minDigits: 2, maxDigits: 2)
        else { return nil }
        var micro = 0
        if self.skip(".") {
            guard let fraction = self.number(minDigits: 1, maxDigits: 6) else { return nil }
            micro = fraction.value
            for _ in fraction.digits..<6 { micro *= 10 }
        }
        return (hour.value, minute.value, second.value, micro)
    }

    /// `+HH`, `-HH:MM`, `+HH:MM:SS` or `Z`, in seconds east of UTC; nil when there is none.
    mutating func offset() -> Int? {
        if self.skip("Z") { return 0 }
        let sign: Int
        if self.skip("+") {
            sign = 1
        } else if self.skip("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = self.number(minDigits: 2, maxDigits: 2) else { return nil }
        var seconds = hours.value * 3600
        if self.skip(":"), let minutes = self.number(minDigits: 2, maxDigits: 2) {
            seconds += minutes.value * 60
            if self.skip(":"), let secs = self.number(minDigits: 2, maxDigits: 2) { seconds += secs.value }
        }
        return sign * seconds
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Howard Hinnant's days-from-civil, proleptic Gregorian, exact for any year.
func civilToDays(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

func daysToCivil(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
