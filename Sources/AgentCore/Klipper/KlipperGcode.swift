/// The G-code lines the agent sends through Klipper's `gcode/script`.
///
/// Klipper splits a script into lines at `\n`, cuts a line at `;`, treats `*` as the start of
/// a checksum and parses the arguments of extended commands with Python's `shlex` (quotes,
/// backslash escapes, `#` comments). A value is passed inside double quotes, so only bytes that
/// none of those rules touch inside quotes may appear in it.
public enum KlipperGcode {
    /// `SDCARD_PRINT_FILE FILENAME="<path>"`: starts printing `path` (relative to the virtual
    /// SD card's directory). Throws `.badRequest` for an empty path and for a path holding a
    /// byte Klipper would not pass through a quoted argument unchanged: `"`, `\`, `#`, `*`,
    /// `;` or a control character (line breaks and DEL included). Spaces, `'`, `$`, backticks
    /// and non-ASCII letters pass as they are.
    public static func printFile(_ path: String) throws(CommandFailure) -> String {
        if path.isEmpty { throw CommandFailure(.badRequest, "the file name to print is empty") }
        for byte in path.utf8 {
            if let name = unsafeCharacterName(byte) {
                throw CommandFailure(.badRequest,
                                     "the file name contains \(name), which Klipper cannot take in a print command; rename the file")
            }
        }
        return "SDCARD_PRINT_FILE FILENAME=\"\(path)\""
    }

    /// The commands that apply a `print/update`, one per value given, in this order: nozzle
    /// target (`SET_HEATER_TEMPERATURE HEATER=extruder TARGET=<°C>`), bed target (the same
    /// with `HEATER=heater_bed`), part-cooling fan (`M106 S<0-255>` from a percentage, clamped
    /// to 0...100), auxiliary fan (`SET_FAN_SPEED FAN=<auxFan> SPEED=<0-1>`, only with a name), print speed (`M220 S<percent>`) and Z offset (`SET_GCODE_OFFSET Z=<mm>
    /// MOVE=1`). Numbers are written with at most 3 decimals and no exponent. The caller
    /// checks the ranges; a value that is not a finite number gives no command.
    public static func settings(nozzleTarget: Double?, bedTarget: Double?, fanPercent: Int?, speedPercent: Int?,
                                zOffset: Double?, auxFan: (name: String, percent: Int)? = nil) -> [String] {
        var lines: [String] = []
        if let text = nozzleTarget.flatMap({ SettingsGcode.decimal($0) }) { lines.append("SET_HEATER_TEMPERATURE HEATER=extruder TARGET=\(text)") }
        if let text = bedTarget.flatMap({ SettingsGcode.decimal($0) }) { lines.append("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=\(text)") }
        if let fanPercent { lines.append(SettingsGcode.fan(fanPercent)) }
        if let auxFan, let speed = SettingsGcode.decimal(Double(min(max(auxFan.percent, 0), 100)) / 100, places: 2) {
            lines.append("SET_FAN_SPEED FAN=\(auxFan.name) SPEED=\(speed)")
        }
        if let speedPercent { lines.append(SettingsGcode.speed(speedPercent)) }
        if let text = zOffset.flatMap({ SettingsGcode.decimal($0) }) { lines.append("SET_GCODE_OFFSET Z=\(text) MOVE=1") }
        return lines
    }

    /// How a message names `byte` when it cannot be passed in a quoted argument, else nil.
    private static func unsafeCharacterName(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "\""): return "a double quote (\")"
        case UInt8(ascii: "\\"): return "a backslash (\\)"
        case UInt8(ascii: "#"): return "a hash sign (#)"
        case UInt8(ascii: "*"): return "an asterisk (*)"
        case UInt8(ascii: ";"): return "a semicolon (;)"
        case UInt8(ascii: "\n"): return "a line feed"
        case UInt8(ascii: "\r"): return "a carriage return"
        case UInt8(ascii: "\t"): return "a tab"
        case 0x7F: return "the control character DEL (0x7F)"
        case 0..<0x20:
            let hex = String(byte, radix: 16, uppercase: true)
            return "the control character 0x\(byte < 0x10 ? "0" : "")\(hex)"
        default: return nil
        }
    }
}
