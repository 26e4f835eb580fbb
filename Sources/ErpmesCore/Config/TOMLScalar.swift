/// Turns an unquoted TOML token (`42`, `0x_ff`, `-1e3`, `inf`, `true`, `1979-05-27T07:32:00Z`) into a value.
///
/// Separate from the parser so that environment overrides type their text by the same rules as the file.
enum TOMLScalar {
    /// Why a token is not a value: `.syntax` when it is malformed, `.invalidValue` when well formed but
    /// out of range (an integer over 2^63, the 30th of February).
    struct Problem: Error {
        var code: ConfigError.Code
        var message: String
    }

    /// The value `token` spells, or why it spells none.
    static func value(of token: String) -> Result<TOMLValue, Problem> {
        let bytes = Array(token.utf8)
        if token == "true" { return .success(.bool(true)) }
        if token == "false" { return .success(.bool(false)) }
        if bytes.contains(UInt8(ascii: ":")) || Self.startsWithDate(bytes) {
            return Self.dateTime(token, bytes).map { .datetime(token) }
        }
        // A word is a string someone forgot to quote; `inf` and `nan` are the only words that are numbers.
        if let first = token.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first),
            token != "inf", token != "nan"
        {
            return .failure(Problem(code: .syntax, message: "invalid value \"\(token)\" (strings must be quoted)"))
        }
        return Self.number(token, bytes)
    }

    /// `YYYY-MM-DD` and nothing else: a date that a space and a time may follow.
    static func isLocalDate(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        return bytes.count == 10 && Self.startsWithDate(bytes)
    }

    private static func startsWithDate(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 10 && bytes[0..<4].allSatisfy(Self.isDigit) && bytes[4] == UInt8(ascii: "-")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    // MARK: Numbers

    private static func number(_ token: String, _ bytes: [UInt8]) -> Result<TOMLValue, Problem> {
        let malformed = Problem(code: .syntax, message: "invalid number \"\(token)\"")
        let unsigned = token.trimmingSign
        if unsigned == "inf" { return .success(.float(token.hasPrefix("-") ? -.infinity : .infinity)) }
        if unsigned == "nan" { return .success(.float(.nan)) }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where token.hasPrefix(prefix) {
            // Only decimal integers take a sign; the prefix must be lowercase.
            let digits = token.dropFirst(2)
            guard Self.hasValidUnderscores(digits, radix: radix) else { return .failure(malformed) }
            guard let value = Int64(digits.filter { $0 != "_" }, radix: radix) else {
                return .failure(Problem(code: .invalidValue, message: "integer \"\(token)\" is out of range"))
            }
            return .success(.integer(value))
        }
        let exponentStart = unsigned.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = unsigned[..<(exponentStart ?? unsigned.endIndex)]
        let dot = mantissa.firstIndex(of: ".")
        let integerPart = mantissa[..<(dot ?? mantissa.endIndex)]
        guard Self.hasValidUnderscores(integerPart, radix: 10) else { return .failure(malformed) }
        // A leading zero would read as octal in other languages; TOML forbids it.
        guard integerPart.count == 1 || integerPart.first != "0" else { return .failure(malformed) }
        if let dot, !Self.hasValidUnderscores(mantissa[mantissa.index(after: dot)...], radix: 10) {
            return .failure(malformed)
        }
        if let exponentStart {
            var exponent = unsigned[unsigned.index(after: exponentStart)...]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard Self.hasValidUnderscores(exponent, radix: 10) else { return .failure(malformed) }
        }
        let cleaned = token.filter { $0 != "_" }
        if dot == nil && exponentStart == nil {
            guard let value = Int64(cleaned) else {
                return .failure(Problem(code: .invalidValue, message: "integer \"\(token)\" is out of range"))
            }
            return .success(.integer(value))
        }
        guard let value = Double(cleaned), value.isFinite else {
            return .failure(Problem(code: .invalidValue, message: "float \"\(token)\" is out of range"))
        }
        return .success(.float(value))
    }

    /// Digits of `radix`, at least one, each `_` between two digits.
    private static func hasValidUnderscores(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_" else { return false }
        var previous: Character = " "
        for character in text {
            if character == "_" {
                if previous == "_" { return false }
            } else if character.hexDigitValue.map({ $0 >= radix }) ?? true {
                return false
            }
            previous = character
        }
        return true
    }

    // MARK: Date-times

    /// Checks the four date-time forms of TOML 1.0 (seconds required) and the ranges of every field.
    private static func dateTime(_ token: String, _ bytes: [UInt8]) -> Result<Void, Problem> {
        var cursor = DateCursor(bytes: bytes)
        let malformed = Problem(code: .syntax, message: "invalid date-time \"\(token)\"")
        let outOfRange = Problem(code: .invalidValue, message: "date-time \"\(token)\" is out of range")
        if Self.startsWithDate(bytes) {
            guard let year = cursor.number(4), cursor.skip("-"), let month = cursor.number(2), cursor.skip("-"),
                let day = cursor.number(2)
            else { return .failure(malformed) }
            guard (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else {
                return .failure(outOfRange)
            }
            if cursor.atEnd { return .success(()) }
            guard cursor.skip("T") || cursor.skip("t") || cursor.skip(" ") else { return .failure(malformed) }
        }
        guard let inRange = cursor.time() else { return .failure(malformed) }
        guard inRange else { return .failure(outOfRange) }
        if cursor.atEnd { return .success(()) }
        // An offset only follows a date and a time: a local time has none.
        guard Self.startsWithDate(bytes) else { return .failure(malformed) }
        if cursor.skip("Z") || cursor.skip("z") {
            return cursor.atEnd ? .success(()) : .failure(malformed)
        }
        guard cursor.skip("+") || cursor.skip("-"), let hour = cursor.number(2), cursor.skip(":"),
            let minute = cursor.number(2), cursor.atEnd
        else { return .failure(malformed) }
        return hour <= 23 && minute <= 59 ? .success(()) : .failure(outOfRange)
    }

    private static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private struct DateCursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { self.index == self.bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: character) else { return false }
            self.index += 1
            return true
        }

        /// Exactly `width` digits.
        mutating func number(_ width: Int) -> Int? {
            guard self.index + width <= self.bytes.count else { return nil }
            var value = 0
            for byte in self.bytes[self.index..<self.index + width] {
                guard TOMLScalar.isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            self.index += width
            return value
        }

        /// `HH:MM:SS` with an optional fraction: `nil` when malformed, `false` when a field is out of range.
        /// Second 60 is allowed for leap seconds, as RFC 3339 does.
        mutating func time() -> Bool? {
            guard let hour = self.number(2), self.skip(":"), let minute = self.number(2), self.skip(":"),
                let second = self.number(2)
            else { return nil }
            if self.skip(".") {
                let start = self.index
                while self.index < self.bytes.count && TOMLScalar.isDigit(self.bytes[self.index]) { self.index += 1 }
                if self.index == start { return nil }
            }
            return hour <= 23 && minute <= 59 && second <= 60
        }
    }
}

extension String {
    /// The text without one leading `+` or `-`.
    fileprivate var trimmingSign: Substring {
        self.hasPrefix("+") || self.hasPrefix("-") ? self.dropFirst() : self[...]
    }
}
