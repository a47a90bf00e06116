/// The texts a Marlin 2.1.2.1 board prints, as the simulator prints them.
enum MarlinReplies {
    /// The firmware name and version.
    static let version = "Marlin 2.1.2.1"

    /// What a board prints when it halts (kill()).
    static let halted = "Error:Printer halted. kill() called!"

    /// What a board prints after a reset, before it takes commands.
    static let boot = [
        "start",
        "echo:\(version)",
        "echo: Last Updated: 2023-07-17 | Author: (printer-sim)",
        "echo:Compiled: Jul 17 2023",
        "echo:Free Memory: 4049  PlannerBufferBytes: 1232",
    ]

    /// The reply to M115: the firmware line and the capabilities.
    static func firmwareInfo(autoreport: Bool, keepalive: Bool) -> [String] {
        let capabilities = [
            ("SERIAL_XON_XOFF", false), ("BINARY_FILE_TRANSFER", false), ("EEPROM", true),
            ("VOLUMETRIC", true), ("AUTOREPORT_POS", false), ("AUTOREPORT_TEMP", autoreport),
            ("PROGRESS", false), ("PRINT_JOB", true), ("AUTOLEVEL", true), ("RUNOUT", false),
            ("Z_PROBE", true), ("LEVELING_DATA", false), ("BUILD_PERCENT", true),
            ("SOFTWARE_POWER", false), ("TOGGLE_LIGHTS", true), ("CASE_LIGHT_BRIGHTNESS", true),
            ("EMERGENCY_PARSER", true), ("HOST_ACTION_COMMANDS", true), ("PROMPT_SUPPORT", false),
            ("SDCARD", false), ("REPEAT", false), ("SD_WRITE", false), ("AUTOREPORT_SD_STATUS", false),
            ("LONG_FILENAME", false), ("THERMAL_PROTECTION", true), ("MOTION_MODES", false),
            ("ARCS", true), ("BABYSTEPPING", true), ("CHAMBER_TEMPERATURE", false),
            ("COOLER_TEMPERATURE", false), ("MEATPACK", false), ("HOST_KEEPALIVE", keepalive),
        ]
        return ["FIRMWARE_NAME:\(version) (printer-sim) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin "
                + "PROTOCOL_VERSION:1.0 MACHINE_TYPE:printer-sim EXTRUDER_COUNT:1 "
                + "UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff"]
            + capabilities.map { "Cap:\($0.0):\($0.1 ? 1 : 0)" }
    }

    /// The temperature report of M105, M155 and heater waits:
    /// `T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0`.
    static func temperatures(_ thermals: Thermals) -> String {
        let hotend = thermals[.hotend], bed = thermals[.bed]
        return "T:\(oneDecimal(hotend.temperature)) /\(oneDecimal(hotend.target)) "
            + "B:\(oneDecimal(bed.temperature)) /\(oneDecimal(bed.target)) @:0 B@:0"
    }

    /// M503's report of the settings (abridged).
    static let settings = [
        "echo:; Linear Units:",
        "echo:  G21 ; (mm)",
        "echo:; Steps per unit:",
        "echo:  M92 X80.00 Y80.00 Z400.00 E93.00",
        "echo:; Maximum feedrates (units/s):",
        "echo:  M203 X500.00 Y500.00 Z5.00 E25.00",
    ]

    /// The reply to a command the board does not know.
    static func unknown(_ command: GcodeCommand) -> String {
        "echo:Unknown command: \"\(command.text)\""
    }

    /// The host keepalive printed while a long command runs.
    static let busy = "echo:busy: processing"

    /// Seconds as M113 reports them: whole (`2`, as Marlin), or with the fraction a faster
    /// simulated board uses (`0.2`).
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// `value` (not negative) with one decimal, as `%.1f` prints it.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
