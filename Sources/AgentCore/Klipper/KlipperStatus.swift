import AgentJSON

/// Where Klipper's `print_stats` says the print stands (its `state` word).
public enum KlipperPrintState: String, Equatable {
    /// No print loaded, or the last one was cleared.
    case standby
    /// A print is running.
    case printing
    /// A print is paused.
    case paused
    /// The last print finished.
    case complete
    /// The last print was cancelled.
    case cancelled
    /// The last print stopped on an error (`message` says which).
    case error
}

/// The merged state of the Klipper objects the agent subscribes to, as the subscription's
/// first reply (full values) and its pushes (changed fields only) build it up. Values are
/// kept as Klipper sent them and read through typed accessors: a field that is missing, null
/// or of the wrong type reads as nil (unknown), never as a guess and never as a crash.
public struct KlipperStatus: Equatable {
    /// The objects the agent subscribes to, all fields of each.
    public static let subscribedObjects = ["print_stats", "virtual_sdcard", "extruder", "heater_bed", "fan", "webhooks",
                                           "toolhead"]

    /// Object name to its fields (each an object), subscribed objects only.
    private var objects = JSONObject()

    /// A status that knows nothing yet.
    public init() {}

    /// Merges `status` (`{<object>: {<field>: value, ...}, ...}`, full or a delta) field by
    /// field: a field it carries replaces the one held, a field it leaves out keeps its value.
    /// Objects the agent did not subscribe to, and objects that are not JSON objects, are ignored.
    public mutating func apply(_ status: JSONObject) {
        for member in status.members {
            guard Self.subscribedObjects.contains(member.key), case .object(let delta) = member.value else { continue }
            var fields = objects[member.key]?.objectValue ?? JSONObject()
            for field in delta.members { fields[field.key] = field.value }
            objects[member.key] = .object(fields)
        }
    }

    /// `print_stats.state`; nil for a word this version does not know.
    public var printState: KlipperPrintState? {
        string("print_stats", "state").flatMap { KlipperPrintState(rawValue: $0) }
    }

    /// `print_stats.filename`: the file being printed, relative to the virtual SD card (empty
    /// when none is loaded).
    public var filename: String? { string("print_stats", "filename") }

    /// `print_stats.print_duration`: seconds spent printing (pauses and heating excluded).
    public var printDurationSeconds: Double? { number("print_stats", "print_duration") }

    /// `print_stats.total_duration`: seconds since the print started.
    public var totalDurationSeconds: Double? { number("print_stats", "total_duration") }

    /// `print_stats.filament_used`: millimetres of filament extruded by this print.
    public var filamentUsedMm: Double? { number("print_stats", "filament_used") }

    /// `print_stats.message`: why the print is in the `error` state (empty otherwise).
    public var printMessage: String? { string("print_stats", "message") }

    /// `print_stats.info.current_layer`: nil until the print sets it (Klipper sends null).
    public var currentLayer: Int? { layer("current_layer") }

    /// `print_stats.info.total_layer`: nil until the print sets it (Klipper sends null).
    public var totalLayers: Int? { layer("total_layer") }

    /// `virtual_sdcard.progress`: the fraction of the file read, clamped to 0...1.
    public var progress: Double? {
        number("virtual_sdcard", "progress").map { min(max($0, 0), 1) }
    }

    /// `virtual_sdcard.is_active`: whether the virtual SD card is feeding a print.
    public var isActive: Bool? {
        if case .bool(let flag) = field("virtual_sdcard", "is_active") { return flag }
        return nil
    }

    /// Heater temperatures and targets (`extruder`, `heater_bed`) and the part-cooling fan
    /// (`fan.speed`, 0 to 1, as a rounded percentage).
    public var readings: ControllerReadings {
        ControllerReadings(
            nozzleTemperature: number("extruder", "temperature"), nozzleTarget: number("extruder", "target"),
            bedTemperature: number("heater_bed", "temperature"), bedTarget: number("heater_bed", "target"),
            fanSpeedPercent: number("fan", "speed").map { Int(min(max($0, 0), 1) * 100 + 0.5) })
    }

    /// `toolhead.position`'s X, Y and Z (the commanded position, in millimetres).
    public var position: AxisPosition? {
        guard case .array(let axes)? = field("toolhead", "position"), axes.count >= 3,
              let x = axes[0].doubleValue, let y = axes[1].doubleValue, let z = axes[2].doubleValue else { return nil }
        return AxisPosition(x: x, y: y, z: z)
    }

    /// `webhooks.state`: `ready`, `startup`, `shutdown` or `error`.
    public var webhooksState: String? { string("webhooks", "state") }

    /// `webhooks.state_message`: Klipper's sentence about its state.
    public var webhooksMessage: String? { string("webhooks", "state_message") }

    /// Why Klipper has stopped working, from `webhooks`: its state is `shutdown` (an
    /// emergency stop, an MCU error) or `error` (a configuration or connection error), with
    /// Klipper's own message, which says what clears it. Nil while it is ready or starting.
    /// Klipper leaves `print_stats` at `paused` when it shuts down during a print, so this
    /// is the only place the fault shows.
    public var fault: String? {
        let opening: String, clears: String
        switch webhooksState {
        case "shutdown"?: (opening, clears) = ("Klipper shut down: ", "FIRMWARE_RESTART clears it")
        case "error"?: (opening, clears) = ("Klipper stopped on an error: ", "fix it, then RESTART")
        default: return nil
        }
        let message = Self.sentences(webhooksMessage ?? "")
        if message.isEmpty { return opening + "no reason given (" + clears + ")" }
        return opening + message + (Self.namesRestart(message) ? "" : " (" + clears + ")")
    }

    /// Whether `message` already says which restart clears the fault (`RESTART`, or
    /// `FIRMWARE_RESTART`), as Klipper's own messages do.
    private static func namesRestart(_ message: String) -> Bool {
        let word = Array("RESTART".utf8), bytes = Array(message.utf8)
        guard bytes.count >= word.count else { return false }
        return (0...(bytes.count - word.count)).contains { bytes[$0..<($0 + word.count)].elementsEqual(word) }
    }

    /// Why Klipper cannot take a print now, from `webhooks`: its `fault`, or that it is still
    /// starting (`startup`, `state_message` tells what it waits for). Nil while it is ready,
    /// or before it said.
    public var notReadyReason: String? {
        if let fault { return fault }
        guard webhooksState == "startup" else { return nil }
        let message = Self.sentences(webhooksMessage ?? "")
        return "Klipper is starting up" + (message.isEmpty ? "" : ": " + message)
    }

    /// Klipper's multi-line state message as one line: its first line (the cause) ends with
    /// a full stop, the wrapped lines after it are joined with spaces.
    static func sentences(_ message: String) -> String {
        let lines = message.utf8.split(separator: UInt8(ascii: "\n"))
            .map { String(ConfigFile.trimmed(Substring($0))) }.filter { !$0.isEmpty }
        guard let first = lines.first else { return "" }
        var text = first
        if lines.count > 1, let last = text.utf8.last, !Array(".:!?".utf8).contains(last) { text += "." }
        for line in lines.dropFirst() { text += " " + line }
        return text
    }

    /// The value of `name` in `object`, as last sent.
    private func field(_ object: String, _ name: String) -> JSONValue? {
        objects[object]?[name]
    }

    /// The field when it is a string.
    private func string(_ object: String, _ name: String) -> String? {
        field(object, name)?.stringValue
    }

    /// The field when it is a finite number.
    private func number(_ object: String, _ name: String) -> Double? {
        guard let value = field(object, name)?.doubleValue, value.isFinite else { return nil }
        return value
    }

    /// `print_stats.info.<name>` when it is a whole number, not negative, that fits an Int.
    private func layer(_ name: String) -> Int? {
        guard let value = field("print_stats", "info")?[name]?.int64Value, value >= 0 else { return nil }
        return Int(exactly: value)
    }
}
