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

    /// `info/query`: everything a client's printer card shows, in the firmware's shape
    /// (action `report`, whole numbers, 0 where nothing is measured): the printer's `state`,
    /// `urls` in LAN mode only (there is nothing to point at otherwise), and the readings, the job, the last job and the speed mode of `print`. `canPrint`
    /// says whether a controller is configured (`features`).
    public static func info(_ state: PrinterState, print: PrintSupervisor, canPrint: Bool, msgid: String?) -> Report {
        let readings = print.readings
        let project: (PrintJob?) -> JSONValue = { job in job.map { .object($0.projectData(speedMode: print.speedMode)) } ?? .null }
        var data = JSONObject([
            ("printerName", .string(state.printerName)),
            ("model", .string(state.modelName)),
            ("model_id", .string(state.modelId)),
            ("ip", .string(state.ip ?? "")),
            ("version", .string(state.firmwareVersion ?? "")),
            ("agent_version", .string(state.agentVersion)),
            ("state", .string(print.isActive ? "busy" : "free")),
            ("temp", .object(PrintSupervisor.temperatures(readings))),
            ("print_speed_mode", .int(print.speedMode)),
            ("fan_speed_pct", .int(readings.fanSpeedPercent ?? 0)),
            ("aux_fan_speed_pct", .int(readings.auxFanSpeedPercent ?? 0)),
            ("box_fan_level", .int(0)),
            ("project", project(print.job)),
            ("last_project", project(print.lastJob)),
            ("features", .object(PrinterFeatures.flags(canPrint: canPrint))),
        ])
        if let upload = state.fileUploadUrl {
            data["urls"] = .object(JSONObject([("fileUploadurl", .string(upload))]))
        }
        return Report(type: "info", action: "report", msgid: msgid, state: "done", data: .object(data))
    }

    /// `ota/reportVersion`: the versions the cloud compares against its updates.
    public static func version(_ state: PrinterState, msgid: String?) -> Report {
        let data = JSONObject([
            ("device_unionid", state.deviceUnionId.map { .string($0) } ?? .null),
            ("machine_version", state.firmwareVersion.map { .string($0) } ?? .null),
            ("peripheral_version", .string(state.peripheralVersion ?? "")),
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
                                print: @escaping () -> PrintSupervisor, canPrint: Bool) {
        router.register("status", "query") { status(print: print(), msgid: $0.msgid) }
        router.register("info", "query") { info(state(), print: print(), canPrint: canPrint, msgid: $0.msgid) }
        router.register("ota", "reportVersion") { version(state(), msgid: $0.msgid) }
    }
}
