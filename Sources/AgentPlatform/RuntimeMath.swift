/// The three libm functions the device binary needs (the Embedded runtime calls `ceil`;
/// `Double.rounded(.towardZero)` calls `trunc`, `Double.rounded()` calls `round`), done with
/// integer conversion. Providing
/// them in the binary keeps glibc's libm (about 900 KB, 390 kB of it resident once loaded)
/// out of the process: the device build exports them under their C names (`deviceCeil`,
/// `deviceTrunc`, `deviceRound` in PrinterAgent), and nothing else the agent links needs libm.
public enum RuntimeMath {
    /// 2^52: every Double of this magnitude or more is already a whole number.
    private static let integral: Double = 4_503_599_627_370_496

    /// `x` rounded toward zero, as C's `trunc` (NaN and infinities unchanged, sign of zero kept).
    public static func trunc(_ x: Double) -> Double {
        guard x.magnitude < integral else { return x }
        let whole = Double(Int64(x))
        return whole == 0 ? (x.sign == .minus ? -0.0 : 0.0) : whole
    }

    /// `x` rounded to the nearest whole number, halfway cases away from zero, as C's `round`.
    public static func round(_ x: Double) -> Double {
        let whole = trunc(x)
        guard (x - whole).magnitude >= 0.5 else { return whole }
        return x < 0 ? whole - 1 : whole + 1
    }

    /// The smallest whole number not less than `x`, as C's `ceil`.
    public static func ceil(_ x: Double) -> Double {
        let whole = trunc(x)
        return whole < x ? whole + 1 : whole
    }
}
