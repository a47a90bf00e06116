/// What the agent knows about the printer itself, for `status`, `info` and `ota` reports.
/// The print's live values (busy, readings, the job, the speed mode) are not kept here: the
/// reports take them from their one owner, `PrintSupervisor`. Values nobody has measured yet
/// are nil and reported as JSON null, never guessed.
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
    public var chamberTemperature: Double? = nil
    public var chamberTarget: Double? = nil
    public var auxFanSpeedPercent: Int? = nil

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

    /// The model's marketing name (or "Anycubic <id>" for a model id not in the list).
    public var modelName: String { ModelCatalog.name(of: modelId) }
}

/// The model ids of Anycubic's MQTT printers and their names.
public enum ModelCatalog {
    /// Known model ids and names.
    public static let models: [(id: String, name: String)] = [
        ("20021", "Kobra 2 Pro"), ("20022", "Kobra 2 Plus"), ("20023", "Kobra 2 Max"),
        ("20024", "Kobra 3"), ("20025", "Kobra S1"), ("20026", "Kobra 3 Max"),
        ("20027", "Kobra 3 V2"), ("20029", "Kobra S1 Max"), ("20030", "Kobra X"),
    ]

    /// The name of `modelId`.
    public static func name(of modelId: String) -> String {
        models.first { $0.id == modelId }?.name ?? "Anycubic \(modelId)"
    }
}
