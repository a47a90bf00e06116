/// The lines a host writes to a Marlin-style controller: a G-code line from a file made ready
/// to send (`clean`), and a command framed with its line number and checksum (`numbered`),
/// which lets the controller detect a corrupted or lost line and ask for it again.
public enum MarlinLine {
    /// `N<number> <command>*<checksum>\n`: the checksum is the XOR of every byte before `*`,
    /// written in decimal, as Marlin checks it. `command` is one cleaned command (no newline,
    /// no comment).
    public static func numbered(_ number: Int, _ command: [UInt8]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(command.count + 20)
        line.append(UInt8(ascii: "N"))
        appendDecimal(number, to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: command)
        var checksum: UInt8 = 0
        for byte in line { checksum ^= byte }
        line.append(UInt8(ascii: "*"))
        appendDecimal(Int(checksum), to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// The command of a file's line: without its `;` comment and without the spaces, tabs and
    /// carriage returns around it. Nil for a line with nothing left to send (blank, or only a
    /// comment). The result is a slice of `raw`: nothing is copied.
    public static func clean(_ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let code = raw.firstIndex(of: UInt8(ascii: ";")).map { raw[..<$0] } ?? raw
        let command = GcodeText.trimmed(code)
        return command.isEmpty ? nil : command
    }

    /// Appends `value` in decimal (with a `-` when negative).
    private static func appendDecimal(_ value: Int, to line: inout [UInt8]) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        repeat {
            line.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }
}
