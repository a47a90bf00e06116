import AgentJSON

/// `light/control` and `light/query`: the request checked against the configured lights, the
/// G-code that switches each kind of light, and the reports.
public enum LightControl {
    /// Reads `{type (1 head, 2 chamber, 3 camera), status (0 off, 1 on), brightness (0-100)}`.
    /// A light that is not configured is refused (409). Without `brightness` a light keeps
    /// the brightness it had (`previous`), or is at 100 the first time.
    public static func parse(_ data: JSONValue, config: ControlConfig,
                             previous: (LightType) -> LightState?) throws(CommandFailure) -> (LightState, LightAction) {
        guard let number = try CommandFields.optionalInt("type", in: data, range: 1...3), let type = LightType(rawValue: number) else {
            throw CommandFailure(.badRequest, "\"type\" is missing (1 head, 2 chamber, 3 camera)")
        }
        guard let action = config.light(type) else {
            throw CommandFailure(.conflict, "this printer has no " + name(type) + " light configured (set " + type.configKey + " in the configuration)")
        }
        guard let status = try CommandFields.optionalInt("status", in: data, range: 0...1) else {
            throw CommandFailure(.badRequest, "\"status\" is missing (0 off, 1 on)")
        }
        let brightness = try CommandFields.optionalInt("brightness", in: data, range: 0...100) ?? previous(type)?.brightness ?? 100
        return (LightState(type: type, on: status == 1, brightness: brightness), action)
    }

    /// The G-code lines that put a light of `action` in `state`; empty for a Linux LED (no
    /// controller involved).
    public static func gcode(_ action: LightAction, _ state: LightState) -> [String] {
        let percent = state.on ? state.brightness : 0
        let pwm = (percent * 255 + 50) / 100
        let fraction = SettingsGcode.decimal(Double(percent) / 100, places: 2) ?? "0"
        let level = String(pwm)
        switch action {
        case .marlinCaseLight:
            return [state.on ? "M355 S1 P" + level : "M355 S0"]
        case .marlinLedStrip:
            return ["M150 R" + level + " U" + level + " B" + level + " W" + level]
        case .gcode(let on, let off):
            return (state.on ? on : off).map { line in
                replacing("{percent}", with: String(percent), in: replacing("{pwm}", with: level, in: line))
            }
        case .klipperPin(let name):
            return ["SET_PIN PIN=" + name + " VALUE=" + fraction]
        case .klipperLed(let name):
            return ["SET_LED LED=" + name + " RED=" + fraction + " GREEN=" + fraction + " BLUE=" + fraction + " WHITE=" + fraction]
        case .linuxLed:
            return []
        }
    }

    /// The value to write to a Linux LED's `brightness` for `state`, scaled to its `max_brightness`.
    public static func ledValue(_ state: LightState, maxBrightness: Int) -> Int {
        state.on ? (state.brightness * max(maxBrightness, 0) + 50) / 100 : 0
    }

    /// `{type, status, brightness}` of one light.
    public static func data(_ state: LightState) -> JSONValue {
        .object(JSONObject([("type", .int(state.type.rawValue)), ("status", .int(state.on ? 1 : 0)),
                            ("brightness", .int(state.brightness))]))
    }

    /// `{lights: [{type, status, brightness}, …]}` of the configured lights, in type order;
    /// a light never switched by the agent is reported off at brightness 0.
    public static func queryData(config: ControlConfig, states: (LightType) -> LightState?) -> JSONValue {
        let lights = LightType.allCases.filter { config.light($0) != nil }.map { type in
            data(states(type) ?? LightState(type: type, on: false, brightness: 0))
        }
        return .object(JSONObject([("lights", .array(lights))]))
    }

    /// How messages name a light type.
    private static func name(_ type: LightType) -> String {
        switch type {
        case .head: return "head"
        case .chamber: return "chamber"
        case .camera: return "camera"
        }
    }

    /// `text` with every `placeholder` replaced by `value`.
    private static func replacing(_ placeholder: String, with value: String, in text: String) -> String {
        let needle = Array(placeholder.utf8)
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: needle) {
                result += value.utf8
                index += needle.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
