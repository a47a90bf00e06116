/// A decimal number as a slicer writes it (`215`, `0.2`, `1487.59`): its digits as one
/// integer and the count of digits after the point. It stays exact until it is turned into
/// a Double, so that a unit change (metres to millimetres) is a shift of the decimal point
/// and `1.2345` m becomes exactly 1234.5 mm, not 1234.4999999999998.
struct GcodeDecimal: Equatable {
    /// All the digits, without the point.
    var digits: UInt64
    /// How many of them come after the point.
    var fractionDigits: Int

    /// Parses `text` (trimmed): digits with at most one point and at least one digit. No
    /// sign, exponent or other byte; too many digits to hold exactly is malformed too.
    static func parse(_ text: ArraySlice<UInt8>) -> GcodeDecimal? {
        var digits: UInt64 = 0
        var count = 0
        var fractionDigits: Int? = nil
        for byte in GcodeText.trimmed(text) {
            if byte == UInt8(ascii: ".") {
                if fractionDigits != nil { return nil }
                fractionDigits = 0
                continue
            }
            guard GcodeText.isDigit(byte) else { return nil }
            let (times10, overflow1) = digits.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            digits = sum
            count += 1
            if let fraction = fractionDigits { fractionDigits = fraction + 1 }
        }
        guard count > 0 else { return nil }
        return GcodeDecimal(digits: digits, fractionDigits: fractionDigits ?? 0)
    }

    /// The value times 10^`shift`, correctly rounded while the digits fit a Double's 53-bit
    /// mantissa; nil when the scale is beyond 10^±22 (no slicer writes such numbers).
    func value(shift: Int = 0) -> Double? {
        let exponent = shift - fractionDigits
        guard exponent >= -22, exponent <= 22 else { return nil }
        var power = 1.0
        for _ in 0..<(exponent < 0 ? -exponent : exponent) { power *= 10 }  // exact up to 1e22
        return exponent < 0 ? Double(digits) / power : Double(digits) * power
    }

    /// The whole part (the fraction dropped), when it is at most 2^53 (exact as a JSON number).
    var wholePart: Int64? {
        var whole = digits
        for _ in 0..<fractionDigits { whole /= 10 }
        return whole <= GcodeNumbers.maxExact ? Int64(whole) : nil
    }

    /// The exact sum of this number and `other`, or nil when it does not fit.
    func adding(_ other: GcodeDecimal) -> GcodeDecimal? {
        let places = max(fractionDigits, other.fractionDigits)
        guard let left = scaled(to: places), let right = other.scaled(to: places) else { return nil }
        let (sum, overflow) = left.addingReportingOverflow(right)
        return overflow ? nil : GcodeDecimal(digits: sum, fractionDigits: places)
    }

    /// The digits written with `places` digits after the point (places >= fractionDigits).
    private func scaled(to places: Int) -> UInt64? {
        var value = digits
        for _ in fractionDigits..<places {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = times10
        }
        return value
    }
}

/// The number formats of slicer comments: plain numbers, comma lists, integers and
/// durations. Every parser returns nil for anything malformed: a bad value leaves its field
/// unknown and never stops the reading.
enum GcodeNumbers {
    /// The largest integer reported (2^53: every integer up to it is exact in JSON).
    static let maxExact: UInt64 = 9_007_199_254_740_992

    /// A number, or the first item of a list (`220,220` is 220: the first extruder's).
    static func first(_ value: ArraySlice<UInt8>) -> Double? {
        guard let item = GcodeText.items(value).first else { return nil }
        return GcodeDecimal.parse(item)?.value()
    }

    /// The sum of a list's items (`1000.00, 500.00` is 1500), each one ending in `unit`
    /// when it is given (`1.2m, 0m`), then times 10^`shift`. The sum is exact (98.40 + 52.82
    /// is 151.22, not 151.22000000000003). Nil when any item is malformed.
    static func sum(_ value: ArraySlice<UInt8>, unit: UInt8? = nil, shift: Int = 0) -> Double? {
        var total = GcodeDecimal(digits: 0, fractionDigits: 0)
        for var item in GcodeText.items(value) {
            if let unit {
                guard item.last == unit else { return nil }
                item = item.dropLast()
            }
            guard let number = GcodeDecimal.parse(item), let sum = total.adding(number) else { return nil }
            total = sum
        }
        return total.value(shift: shift)
    }

    /// A whole number (`120`); a fraction or a value over 2^31 - 1 (a count that large is
    /// garbage, and `Int` is 32 bits on armv7) is malformed.
    static func count(_ value: ArraySlice<UInt8>) -> Int? {
        guard let number = GcodeDecimal.parse(value), number.fractionDigits == 0,
              number.digits <= UInt64(Int32.max) else { return nil }
        return Int(number.digits)
    }

    /// Seconds written as a number (`;TIME:3600`, a fraction is dropped).
    static func seconds(_ value: ArraySlice<UInt8>) -> Int64? {
        GcodeDecimal.parse(value)?.wholePart
    }

    /// Seconds written as a duration: `1d 2h 3m 4s`, `2h 3m`, `45m 10s`, `12s`: whole numbers
    /// with a unit each, days to seconds in that order, spaces between them optional.
    static func duration(_ value: ArraySlice<UInt8>) -> Int64? {
        var total: Int64 = 0
        var lastUnit = 5  // units are ranked d 4, h 3, m 2, s 1 and must decrease
        var number: Int64? = nil
        for byte in GcodeText.trimmed(value) {
            if GcodeText.isDigit(byte) {
                let (times10, overflow1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - 0x30))
                if overflow1 || overflow2 { return nil }
                number = sum
            } else if GcodeText.isBlank(byte) {
                if number != nil { return nil }  // a number without its unit
            } else {
                guard let amount = number, let found = unit(byte), found.rank < lastUnit else { return nil }
                let (part, overflow1) = amount.multipliedReportingOverflow(by: found.seconds)
                let (sum, overflow2) = total.addingReportingOverflow(part)
                if overflow1 || overflow2 { return nil }
                total = sum
                lastUnit = found.rank
                number = nil
            }
        }
        guard number == nil, lastUnit < 5, total <= Int64(maxExact) else { return nil }
        return total
    }

    /// A duration unit's rank and length in seconds.
    private static func unit(_ byte: UInt8) -> (rank: Int, seconds: Int64)? {
        switch byte {
        case UInt8(ascii: "d"): return (4, 86_400)
        case UInt8(ascii: "h"): return (3, 3_600)
        case UInt8(ascii: "m"): return (2, 60)
        case UInt8(ascii: "s"): return (1, 1)
        default: return nil
        }
    }
}
