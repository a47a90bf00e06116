import AgentJSON

/// The reports built from the printer's state and the print's live values: answers to
/// `status/query`, `info/query` and `ota/reportVersion`, and the announcements published on
/// every (re)connect.
public enum PrinterReports {
    /// `status/workReport`: busy while `print` follows a job, else free (answer and push).
    public static func status(print: PrintSupervisor, msgid: String?) -> Report {
        workReport(busy: print.isActive, msgid: msgid)
    }

    /// `status/workReport` saying busy or free.
    public static func workReport(busy: Bool, msgid: String?) -> Report {
        Report(type: "status", action: "workReport", msgid: msgid, state: busy ? "busy" : "free")
    }

    /// `info/query`: everything a client's printer card shows: the printer's `state`, and the
    /// readings, the job and the speed mode of `print`.
    public static func info(_ state: PrinterState, print: PrintSupervisor, msgid: String?) -> Report {
        let readings = print.readings
        let temperatures = JSONObject([
            ("curr_hotbed_temp", number(readings.bedTemperature)),
            ("curr_nozzle_temp", number(readings.nozzleTemperature)),
            ("curr_chamber_temp", number(state.chamberTemperature)),
            ("target_hotbed_temp", number(readings.bedTarget)),
            ("target_nozzle_temp", number(readings.nozzleTarget)),
            ("target_chamber_temp", number(state.chamberTarget)),
        ])
        let data = JSONObject([
            ("printerName", .string(state.printerName)),
            ("model", .string(state.modelName)),
            ("model_id", .string(state.modelId)),
            ("ip", state.ip.map { .string($0) } ?? .null),
            ("version", state.firmwareVersion.map { .string($0) } ?? .null),
            ("agent_version", .string(state.agentVersion)),
            ("state", .string(print.isActive ? "busy" : "free")),
            ("temp", .object(temperatures)),
            ("print_speed_mode", integer(print.speedMode)),
            ("fan_speed_pct", integer(readings.fanSpeedPercent)),
            ("aux_fan_speed_pct", integer(state.auxFanSpeedPercent)),
            ("project", print.job.map { .object($0.projectData) } ?? .null),
            ("features", .object(JSONObject())),
        ])
        return Report(type: "info", action: "query", msgid: msgid, state: "done", data: .object(data))
    }

    /// `ota/reportVersion`: the versions the cloud compares against its updates.
    public static func version(_ state: PrinterState, msgid: String?) -> Report {
        let data = JSONObject([
            ("device_unionid", state.deviceUnionId.map { .string($0) } ?? .null),
            ("machine_version", state.firmwareVersion.map { .string($0) } ?? .null),
            ("peripheral_version", state.peripheralVersion.map { .string($0) } ?? .null),
            ("firmware_version", state.firmwareVersion.map { .string($0) } ?? .null),
            ("model_id", .string(state.modelId)),
        ])
        return Report(type: "ota", action: "reportVersion", msgid: msgid, state: "done", data: .object(data))
    }

    /// `lastWill/onlineReport`, published retained on connect (it replaces the will).
    public static func online() -> Report {
        Report(type: "lastWill", action: "onlineReport", msgid: nil, state: "online", message: "device online")
    }

    /// The offline state: the MQTT will, and what a clean shutdown publishes.
    public static func offline() -> Report {
        Report(type: "lastWill", action: "onlineReport", msgid: nil, state: "offline", message: "device offline")
    }

    /// Registers the handlers of the commands answered from the printer's state and the
    /// print's live values, both read when a command comes.
    public static func register(in router: CommandRouter, state: @escaping () -> PrinterState,
                                print: @escaping () -> PrintSupervisor) {
        router.register("status", "query") { status(print: print(), msgid: $0.msgid) }
        router.register("info", "query") { info(state(), print: print(), msgid: $0.msgid) }
        router.register("ota", "reportVersion") { version(state(), msgid: $0.msgid) }
    }

    private static func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
    private static func integer(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }
}
