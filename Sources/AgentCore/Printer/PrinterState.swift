import AgentJSON

/// What the agent knows about the printer itself, for `status`, `info` and `ota` reports.
/// The print's live values (busy, readings, the job, the speed mode) are not kept here: the
/// reports take them from their one owner, `PrintSupervisor`.
public struct PrinterState: Equatable {
    /// The name shown to users.
    public var printerName: String
    /// The model id.
    public var modelId: String
    /// The cloud's union id of the device, when the identity gives one.
    public var deviceUnionId: String?
    /// The firmware version read from the version file, or nil when there is none.
    public var firmwareVersion: String?
    /// The motion controller's firmware version, when a file says it.
    public var peripheralVersion: String? = nil
    /// The agent's own version.
    public var agentVersion: String
    /// The printer's IPv4 address on the LAN, when it has one.
    public var ip: String?
    /// In LAN mode, the URL files are uploaded to (`info.urls.fileUploadurl`); nil otherwise.
    public var fileUploadUrl: String? = nil

    /// Creates the state of a printer nothing has been measured on yet.
    public init(printerName: String, modelId: String, deviceUnionId: String?, firmwareVersion: String?,
                agentVersion: String, ip: String?) {
        self.printerName = printerName
        self.modelId = modelId
        self.deviceUnionId = deviceUnionId
        self.firmwareVersion = firmwareVersion
        self.agentVersion = agentVersion
        self.ip = ip
    }

    /// Whether the model is a Kobra 2 (the first generation of MQTT printers, whose firmware
    /// and clients speak a slightly older dialect).
    public var isKobra2: Bool { ModelCatalog.kobra2.contains(modelId) }

    /// The model's marketing name (or "Anycubic <id>" for a model id not in the list).
    public var modelName: String { ModelCatalog.name(of: modelId) }
}

/// What this agent can do, as `info`'s `features` says it: the firmware's flags, each true
/// only where the agent really does it (the app hides what is false).
public enum PrinterFeatures {
    /// The flags, given whether the agent prints (a controller is configured): then it
    /// preheats and prints `.gcode.3mf` files (their plate extracted) through either backend.
    public static func flags(canPrint: Bool) -> JSONObject {
        JSONObject([
            ("auto_leveling_support", .bool(false)),
            ("vibration_compensation_support", .bool(false)),
            ("flow_calibration_support", .bool(false)),
            ("drying_first_support", .bool(false)),
            ("camera_timelapse_support", .bool(false)),
            ("gcode_3mf_support", .bool(canPrint)),
            ("delete_batch_support", .bool(true)),
            ("preheating_support", .bool(canPrint)),
            ("fod_support", .bool(false)),
            ("pre_cancel_support", .bool(false)),
        ])
    }
}

/// The model ids of Anycubic's MQTT printers and their names.
public enum ModelCatalog {
    /// Known model ids and names.
    public static let models: [(id: String, name: String)] = [
        ("20021", "Kobra 2 Pro"), ("20022", "Kobra 2 Plus"), ("20023", "Kobra 2 Max"),
        ("20024", "Kobra 3"), ("20025", "Kobra S1"), ("20026", "Kobra 3 Max"),
        ("20027", "Kobra 3 V2"), ("20029", "Kobra S1 Max"), ("20030", "Kobra X"),
    ]

    /// The Kobra 2 series.
    public static let kobra2 = ["20021", "20022", "20023"]

    /// The name of `modelId`.
    public static func name(of modelId: String) -> String {
        models.first { $0.id == modelId }?.name ?? "Anycubic \(modelId)"
    }
}
