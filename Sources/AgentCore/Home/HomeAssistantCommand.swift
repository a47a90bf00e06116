import AgentJSON

/// A message on a Home Assistant command topic (`<base>hass/set/<command>`) turned into the
/// command the cloud would send for it, so that it takes the same path and checks: `pause`
/// `ON`/`OFF` (print/pause, print/resume), `cancel` (print/stop), `emergency_stop`
/// (`M112` through the G-code console), `nozzle_target` and `bed_target` (tempature/set),
/// `fan` (fan/set), `light_<type>` `ON`/`OFF` (light/control) and `install` `install`
/// (ota/install, only when the configuration allows it: `home_ota_install`).
public enum HomeAssistantCommand {
    /// The longest payload a control takes (`ON`, `PRESS`, a number), in bytes.
    public static let maxPayload = 64
    /// The payload of the firmware entity's install command (`payload_install`).
    public static let installPayload = "install"

    /// The command for `payload` on `topic` below `commandPrefix`, or a failure that says what
    /// was wrong (nothing is done then); `install` is refused unless `installAllowed`.
    public static func command(topic: String, payload: [UInt8], commandPrefix: String,
                               installAllowed: Bool) throws(CommandFailure) -> Command {
        guard topic.hasPrefix(commandPrefix) else { throw CommandFailure(.unknownCommand, "not a command topic: " + topic) }
        let name = String(decoding: topic.utf8.dropFirst(commandPrefix.utf8.count), as: UTF8.self)
        guard payload.count <= maxPayload else {
            throw CommandFailure(.payloadTooLarge, name + " takes at most " + String(maxPayload) + " bytes, not " + String(payload.count))
        }
        let text = String(decoding: payload, as: UTF8.self)
        switch name {
        case "pause":
            return Command(type: "print", action: try onOff(text, name) ? "pause" : "resume")
        case "cancel":
            return Command(type: "print", action: "stop")
        case "emergency_stop":
            return Command(type: "gcode", action: "send", data: object([("gcode", .string("M112"))]))
        case "nozzle_target":
            return Command(type: "tempature", action: "set", data: object([("target_nozzle_temp", try number(text, name))]))
        case "bed_target":
            return Command(type: "tempature", action: "set", data: object([("target_hotbed_temp", try number(text, name))]))
        case "fan":
            return Command(type: "fan", action: "set", data: object([("fan_speed_pct", try number(text, name))]))
        case "install":
            guard installAllowed else {
                throw CommandFailure(.forbidden, "installing firmware from Home Assistant is not allowed (home_ota_install = no)")
            }
            guard text == installPayload else { throw CommandFailure(.badRequest, "install takes \"" + installPayload + "\", not \"" + text + "\"") }
            return Command(type: "ota", action: "install")
        default:
            guard let light = LightType.allCases.first(where: { $0.configKey == name }) else {
                throw CommandFailure(.unknownCommand, "unknown Home Assistant command \"" + name + "\"")
            }
            return Command(type: "light", action: "control",
                           data: object([("type", .int(light.rawValue)), ("status", .int(try onOff(text, name) ? 1 : 0))]))
        }
    }

    private static func object(_ members: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(members)) }

    private static func onOff(_ text: String, _ name: String) throws(CommandFailure) -> Bool {
        switch text {
        case "ON": return true
        case "OFF": return false
        default: throw CommandFailure(.badRequest, name + " takes ON or OFF, not \"" + text + "\"")
        }
    }

    /// A JSON number (the checks of the command it becomes apply the range).
    private static func number(_ text: String, _ name: String) throws(CommandFailure) -> JSONValue {
        let failure = CommandFailure(.badRequest, name + " takes a number, not \"" + text + "\"")
        let value: JSONValue
        do {
            value = try JSONCodec.parse(text)
        } catch {
            throw failure
        }
        guard case .number(let number) = value, number.isFinite else { throw failure }
        return .number(number)
    }
}
