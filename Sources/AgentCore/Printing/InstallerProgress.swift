/// The progress a firmware installer prints, read from one line of its output: swupdate's
/// `[ 34%]` or `34%`, rauc's `installing: 45% Copying image`, or a plain `progress: 12.5%`.
public enum InstallerProgress {
    /// The longest whole part read: more digits than this cannot be a percentage.
    private static let maxWholeDigits = 3

    /// The last percentage in `line` that lies within 0...100 (the whole part of `12.5%`,
    /// so 99.9% is not reported as done), or nil when there is none. A percentage is a
    /// decimal number, `34` or `12.5`, right before a `%`.
    public static func percent(in line: String) -> Int? {
        let bytes = Array(line.utf8)
        var found: Int? = nil
        for index in bytes.indices where bytes[index] == UInt8(ascii: "%") {
            if let value = wholePart(endingAt: index, in: bytes), value <= 100 { found = value }
        }
        return found
    }

    /// The whole part of the number `ddd` or `ddd.ddd` that ends right before `end`, or nil
    /// when no digit is there (or too many).
    private static func wholePart(endingAt end: Int, in bytes: [UInt8]) -> Int? {
        var start = digitsStart(before: end, in: bytes)
        guard start < end else { return nil }
        var wholeEnd = end
        if start > 0, bytes[start - 1] == UInt8(ascii: ".") {
            wholeEnd = start - 1
            start = digitsStart(before: wholeEnd, in: bytes)
        }
        guard wholeEnd - start <= maxWholeDigits else { return nil }
        var value = 0
        for digit in bytes[start..<wholeEnd] { value = value * 10 + Int(digit - UInt8(ascii: "0")) }
        return value
    }

    /// Where the run of decimal digits that ends right before `end` starts (`end` when none).
    private static func digitsStart(before end: Int, in bytes: [UInt8]) -> Int {
        var start = end
        while start > 0, bytes[start - 1] >= UInt8(ascii: "0"), bytes[start - 1] <= UInt8(ascii: "9") { start -= 1 }
        return start
    }
}
