import AgentJSON

/// The `peripherie` (sic, the wire spelling) report: which peripherals are attached, each as
/// 0 or 1: `{"camera", "multiColorBox", "udisk"}`. The agent has no camera or multi-colour
/// box support yet, so those are 0; `udisk` is the live USB stick state.
///
/// The pushed report (on a stick's insertion or removal) is the same report as the answer to
/// `peripherie/query`, action `query` and state `done`, with a fresh msgid: clients key on
/// `type`, and the one open client that parses this report (hass-anycubic_cloud) accepts
/// only `action == "query"` with `state == "done"` and rejects anything else as unknown.
public enum PeripheralReports {
    /// The report's type.
    public static let type = "peripherie"

    /// The answer to `peripherie/query` (the command's msgid echoed).
    public static func query(udiskPresent: Bool, msgid: String?) -> Report {
        let data = JSONObject([
            ("camera", .int(0)),
            ("multiColorBox", .int(0)),
            ("udisk", .int(udiskPresent ? 1 : 0)),
        ])
        return Report(type: type, action: "query", msgid: msgid, state: "done", data: .object(data))
    }

    /// The report pushed when a stick is inserted or removed (a fresh msgid is made when it is published).
    public static func changed(udiskPresent: Bool) -> Report {
        query(udiskPresent: udiskPresent, msgid: nil)
    }

    /// The queries and commands about hardware this report says is absent, which the firmware
    /// of a printer without it answers with silence: the colour box (`multiColorBox`), the
    /// camera (`video`), AI failure detection (`aiSettings`) and the external filament holder
    /// (`extfilbox`). Clients poll the queries every few seconds; an error answer would stand
    /// in their state as a printer fault.
    public static let absentHardware: [(type: String, action: String)] = [
        ("multiColorBox", "getInfo"), ("video", "startCapture"), ("video", "stopCapture"),
        ("aiSettings", "query"), ("extfilbox", "query"),
    ]

    /// Registers the handler of `peripherie/query`, answered from `udiskPresent` at the moment
    /// the command arrives, and silence for the commands of `absentHardware`.
    public static func register(in router: CommandRouter, udiskPresent: @escaping () -> Bool) {
        router.register(type, "query") { query(udiskPresent: udiskPresent(), msgid: $0.msgid) }
        for command in absentHardware { router.registerSilent(command.type, command.action) }
    }
}
