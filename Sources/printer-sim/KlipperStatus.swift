import AgentJSON

/// The printer objects Klipper's `objects/query` and `objects/subscribe` report, with
/// the fields the simulator keeps.
extension KlipperPrinter {
    /// The objects `objects/list` names.
    static let objectNames = [
        "webhooks", "print_stats", "virtual_sdcard", "extruder", "heater_bed", "fan", "toolhead", "display_status",
        "output_pin caselight", "led chamber_led", "fan_generic aux_fan",
    ]

    /// The status of object `name` at `now` (every field), nil for an unknown object.
    func status(of name: String, now: Double) -> JSONObject? {
        switch name {
        case "webhooks":
            return JSONObject([("state", .string(webhooksState)), ("state_message", .string(webhooksMessage))])
        case "print_stats":
            return printStats(now: now)
        case "virtual_sdcard":
            return JSONObject([
                ("file_path", job?.openPath.map(JSONValue.string) ?? .null),
                ("progress", .number(progress)),
                ("is_active", .bool(printState == .printing)),
                ("file_position", .int(job?.filePosition ?? 0)),
                ("file_size", .int(job?.fileSize ?? 0)),
            ])
        case "extruder":
            return heater(.hotend)
        case "heater_bed":
            return heater(.bed)
        case "fan":
            return JSONObject([("speed", .number(rounded(machine.fanSpeed, 3))), ("rpm", .null)])
        case "toolhead":
            return JSONObject([
                ("position", .array(machine.motion.position.map { .number(rounded($0, 4)) })),
                ("homed_axes", .string(machine.motion.homedAxes)),
                ("print_time", .number(rounded(machine.printTime, 3))),
            ])
        case "output_pin caselight":
            return JSONObject([("value", .number(caselight))])
        case "led chamber_led":
            return JSONObject([("color_data", .array([.array(chamberLed.map { .number($0) })]))])
        case "fan_generic aux_fan":
            return JSONObject([("speed", .number(auxFan)), ("rpm", .null)])
        case "display_status":
            return JSONObject([
                ("progress", .number(machine.displayProgress ?? progress)),
                ("message", machine.displayMessage.map(JSONValue.string) ?? .null),
            ])
        default:
            return nil
        }
    }

    /// `print_stats`.
    private func printStats(now: Double) -> JSONObject {
        JSONObject([
            ("filename", .string(job?.filename ?? "")),
            ("total_duration", .number(rounded(job?.totalDuration(now: now) ?? 0, 3))),
            ("print_duration", .number(rounded(job?.printDuration(now: now) ?? 0, 3))),
            ("filament_used", .number(rounded(job?.filamentUsed(extruded: machine.extruded) ?? 0, 4))),
            ("state", .string(printState.rawValue)),
            ("message", .string(printMessage)),
            ("info", .object(JSONObject([
                ("total_layer", totalLayer.map(JSONValue.int) ?? .null),
                ("current_layer", currentLayer.map(JSONValue.int) ?? .null),
            ]))),
        ])
    }

    /// `extruder` or `heater_bed`: temperature to 0.01 °C, target, power.
    private func heater(_ id: HeaterID) -> JSONObject {
        let heater = machine.thermals[id]
        return JSONObject([
            ("temperature", .number(rounded(heater.temperature, 2))),
            ("target", .number(heater.target)),
            ("power", .number(heater.power)),
        ])
    }

    /// `virtual_sdcard.progress`: bytes read over the file's size.
    private var progress: Double {
        guard let job, job.fileSize > 0 else { return 0 }
        return Double(job.filePosition) / Double(job.fileSize)
    }

    /// `value` rounded to `decimals` decimals.
    private func rounded(_ value: Double, _ decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
