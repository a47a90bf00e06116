/// The light types of `light/control` and `light/query`.
public enum LightType: Int, Equatable, CaseIterable {
    /// The toolhead light.
    case head = 1
    /// The chamber (enclosure or case) light.
    case chamber = 2
    /// The camera's light.
    case camera = 3

    /// The configuration key that names this light's action.
    public var configKey: String {
        switch self {
        case .head: return "light_head"
        case .chamber: return "light_chamber"
        case .camera: return "light_camera"
        }
    }
}

/// How a configured light is switched (`light_head`, `light_chamber`, `light_camera`):
///
/// - `marlin-m355`: Marlin's case light, `M355 S<0|1> P<0-255>`;
/// - `marlin-m150`: Marlin's LED strip, `M150 R U B W <0-255>` (white at the brightness), `M150 R0 U0 B0 W0` off;
/// - `gcode:<on>|<off>`: G-code lines (`\n` between them) for on and off, where `{pwm}` is the
///   brightness as 0-255 and `{percent}` as 0-100;
/// - `klipper-pin:<name>`: Klipper's `SET_PIN PIN=<name> VALUE=<0-1>` (an `[output_pin]`);
/// - `klipper-led:<name>`: Klipper's `SET_LED LED=<name> RED= GREEN= BLUE= WHITE=<0-1>`;
/// - `led:<name>`: a Linux LED, `<leds_root>/<name>/brightness`, scaled to its `max_brightness`.
public enum LightAction: Equatable {
    /// `marlin-m355`.
    case marlinCaseLight
    /// `marlin-m150`.
    case marlinLedStrip
    /// `gcode:<on>|<off>`, each a list of lines with the placeholders still in.
    case gcode(on: [String], off: [String])
    /// `klipper-pin:<name>`.
    case klipperPin(String)
    /// `klipper-led:<name>`.
    case klipperLed(String)
    /// `led:<name>`.
    case linuxLed(String)

    /// Which controller the action's G-code is for; nil for a Linux LED (no controller needed).
    public var controller: ControllerKind? {
        switch self {
        case .marlinCaseLight, .marlinLedStrip: return .marlin
        case .klipperPin, .klipperLed: return .klipper
        case .gcode, .linuxLed: return nil
        }
    }

    /// Reads one of the forms above; `key` names the setting in a message.
    public static func parse(_ text: String, key: String) throws(ConfigError) -> LightAction {
        if text == "marlin-m355" { return .marlinCaseLight }
        if text == "marlin-m150" { return .marlinLedStrip }
        if let rest = after("gcode:", in: text) {
            let halves = rest.split(separator: "|", omittingEmptySubsequences: false)
            guard halves.count == 2 else { throw ConfigError("", key + ": gcode: needs the on and the off G-code separated by |, not \"" + text + "\"") }
            let on = try ConfigKeys.gcodeLines(String(halves[0]))
            let off = try ConfigKeys.gcodeLines(String(halves[1]))
            guard !on.isEmpty, !off.isEmpty else { throw ConfigError("", key + ": gcode: needs G-code for both on and off, not \"" + text + "\"") }
            return .gcode(on: on, off: off)
        }
        if let name = after("klipper-pin:", in: text) { return .klipperPin(try self.name(name, key: key)) }
        if let name = after("klipper-led:", in: text) { return .klipperLed(try self.name(name, key: key)) }
        if let name = after("led:", in: text) { return .linuxLed(try self.name(name, key: key)) }
        throw ConfigError("", key + " must be marlin-m355, marlin-m150, gcode:<on>|<off>, klipper-pin:<name>, klipper-led:<name> or led:<name>, not \"" + text + "\"")
    }

    /// `text` after `prefix`, or nil when it does not start with it.
    private static func after(_ prefix: String, in text: String) -> String? {
        text.hasPrefix(prefix) ? String(decoding: Array(text.utf8.dropFirst(prefix.utf8.count)), as: UTF8.self) : nil
    }

    /// A Klipper object or Linux LED name: letters, digits, `_`, `-`, `.` and `:` only (no
    /// `/`, so a LED name cannot leave the LED directory, and nothing Klipper would split on).
    static func name(_ text: String, key: String) throws(ConfigError) -> String {
        let allowed: (UInt8) -> Bool = { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        guard !text.isEmpty, text != ".", text != "..", text.utf8.allSatisfy(allowed) else {
            throw ConfigError("", key + ": the name must be letters, digits, _, -, . or :, not \"" + text + "\"")
        }
        return text
    }
}

/// A light's state as `light/query` and `light/control` report it.
public struct LightState: Equatable {
    /// Which light.
    public var type: LightType
    /// Whether it is on.
    public var on: Bool
    /// 0 to 100.
    public var brightness: Int

    /// Creates a state.
    public init(type: LightType, on: Bool, brightness: Int) {
        self.type = type
        self.on = on
        self.brightness = brightness
    }
}
