/// What the controls (`fan/set`, `axis/*`, `light/*`, `gcode/send`) need to know about the
/// printer beyond the controller: its auxiliary fan, its axis numbering, its lights and the
/// G-code console's allow-list. Each has a configuration key (`keys`).
public struct ControlConfig: Equatable {
    /// The Marlin fan number of the auxiliary fan (`M106 P<n>`), or nil when there is none.
    public var auxFanIndex: Int? = nil
    /// The Klipper `[fan_generic]` name of the auxiliary fan (`SET_FAN_SPEED FAN=<name>`), or nil.
    public var klipperAuxFan: String? = nil
    /// What each `axis` number of `axis/move` names, or nil for the model's (`axisMap(forModel:)`).
    public var axisMap: AxisMap? = nil
    /// The longest jog `axis/move` takes, in millimetres.
    public var maxJogMm = 100
    /// The head light's action, or nil when there is none.
    public var headLight: LightAction? = nil
    /// The chamber light's action, or nil.
    public var chamberLight: LightAction? = nil
    /// The camera light's action, or nil.
    public var cameraLight: LightAction? = nil
    /// Where Linux LEDs are (`/sys/class/leds`; tests use a directory of their own).
    public var ledsRoot = "/sys/class/leds"
    /// The G-code commands (`G28`, `M503`, upper case) the console may send; empty: the console is off.
    public var consoleAllowed: [String] = []

    /// Nothing configured: no auxiliary fan, the standard axis map, no lights, the console off.
    public init() {}

    /// The axis map: the configured one, or the standard map of model `modelId`.
    public func axisMap(forModel modelId: String) -> AxisMap {
        axisMap ?? AxisMap.standard(forModel: modelId)
    }

    /// Whether an auxiliary fan is configured for `controller`.
    public func hasAuxFan(_ controller: ControllerKind) -> Bool {
        switch controller {
        case .marlin: return auxFanIndex != nil
        case .klipper: return klipperAuxFan != nil
        case .none: return false
        }
    }

    /// The action of light `type`, or nil when it is not configured.
    public func light(_ type: LightType) -> LightAction? {
        switch type {
        case .head: return headLight
        case .chamber: return chamberLight
        case .camera: return cameraLight
        }
    }

    /// The configuration keys of the controls, in the order the default file documents them.
    static let keys: [(name: String, apply: ConfigKeys.Apply)] = [
        ("aux_fan_index", { config, value throws(ConfigError) in config.controls.auxFanIndex = try ConfigKeys.integer(value, in: 1...7) }),
        ("klipper_aux_fan", { config, value throws(ConfigError) in config.controls.klipperAuxFan = try LightAction.name(value, key: "klipper_aux_fan") }),
        ("axis_map", { config, value throws(ConfigError) in config.controls.axisMap = try AxisMap.parse(value) }),
        ("axis_max_distance", { config, value throws(ConfigError) in config.controls.maxJogMm = try ConfigKeys.integer(value, in: 1...1000) }),
        ("light_head", { config, value throws(ConfigError) in config.controls.headLight = try LightAction.parse(value, key: "light_head") }),
        ("light_chamber", { config, value throws(ConfigError) in config.controls.chamberLight = try LightAction.parse(value, key: "light_chamber") }),
        ("light_camera", { config, value throws(ConfigError) in config.controls.cameraLight = try LightAction.parse(value, key: "light_camera") }),
        ("leds_root", { config, value throws(ConfigError) in config.controls.ledsRoot = try ConfigKeys.directory(value) }),
        ("gcode_console", { config, value throws(ConfigError) in config.controls.consoleAllowed = try commandWords(value) }),
    ]

    /// `G28 M503 M114 SET_PIN`: G-code command words (a letter and digits, or a Klipper
    /// extended command: letters, digits and `_`; any case), separated by spaces or commas,
    /// kept in upper case; empty for none.
    static func commandWords(_ text: String) throws(ConfigError) -> [String] {
        var words: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let bytes = word.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
            guard let letter = bytes.first, letter >= 65, letter <= 90, bytes.count >= 2,
                  bytes.dropFirst().allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || $0 == UInt8(ascii: "_")
                      || $0 == UInt8(ascii: ".") }) else {
                throw ConfigError("", "gcode_console must be G-code commands such as G28 M114 M503, separated by spaces, not \"" + String(word) + "\"")
            }
            words.append(String(decoding: bytes, as: UTF8.self))
        }
        return words
    }
}
