/// The pieces of a `print/update`'s G-code that Marlin and Klipper write alike: numbers
/// without an exponent, the part-cooling fan and the print speed.
public enum SettingsGcode {
    /// `M106 S<0-255>` for the part-cooling fan at `percent` (clamped to 0...100), or
    /// `M106 P<index> S<0-255>` for fan `index`.
    public static func fan(_ percent: Int, index: Int? = nil) -> String {
        let clamped = min(max(percent, 0), 100)
        return "M106 " + (index.map { "P\($0) " } ?? "") + "S\((clamped * 255 + 50) / 100)"
    }

    /// `M220 S<percent>`: the print speed as a percentage of the file's.
    public static func speed(_ percent: Int) -> String { "M220 S\(percent)" }

    /// `value` rounded to `places` decimals (at most 6), without an exponent: trailing zeros
    /// dropped (`215`, `0.05`, `-1.25`), or kept when `fixed` (`215.00`, as Marlin hosts write
    /// it); nil when it is not a finite number. Magnitudes are capped at 10^12 so that the
    /// scaled value always fits an Int64 (and no libm call is needed: the device binary does
    /// not link it).
    public static func decimal(_ value: Double, places: Int = 3, fixed: Bool = false) -> String? {
        guard value.isFinite else { return nil }
        let digits = min(max(places, 0), 6)
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64(min(value.magnitude, 1e12) * Double(scale) + 0.5)
        var text = (value < 0 && scaled > 0 ? "-" : "") + "\(scaled / scale)"
        var fraction = scaled % scale
        var kept = digits
        while !fixed, kept > 0, fraction % 10 == 0 {
            fraction /= 10
            kept -= 1
        }
        if kept > 0 {
            let written = "\(fraction)"
            text += "." + String(repeating: "0", count: kept - written.utf8.count) + written
        }
        return text
    }
}
