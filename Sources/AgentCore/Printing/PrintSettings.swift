import AgentJSON

/// What `print/update` changes during a print: any subset of the nozzle and bed targets,
/// the fan, the speed mode and the Z offset, each checked against a safe range.
public struct PrintSettings: Equatable {
    /// The nozzle's target in °C.
    public var nozzleTarget: Double?
    /// The bed's target in °C.
    public var bedTarget: Double?
    /// The part-cooling fan in percent.
    public var fanPercent: Int?
    /// 1 silent, 2 standard, 3 sport.
    public var speedMode: Int?
    /// The Z offset in millimetres (absolute, not a step).
    public var zOffset: Double?

    /// The highest nozzle target accepted.
    public static let maxNozzle = 300.0
    /// The highest bed target accepted.
    public static let maxBed = 120.0
    /// The Z offsets accepted, in millimetres.
    public static let zOffsets = -2.0...2.0

    /// Creates settings; nothing changed by default.
    public init(nozzleTarget: Double? = nil, bedTarget: Double? = nil, fanPercent: Int? = nil,
                speedMode: Int? = nil, zOffset: Double? = nil) {
        self.nozzleTarget = nozzleTarget
        self.bedTarget = bedTarget
        self.fanPercent = fanPercent
        self.speedMode = speedMode
        self.zOffset = zOffset
    }

    /// Reads `data.settings` (or `data` itself when it has no `settings` object).
    public static func parse(_ data: JSONValue) throws(CommandFailure) -> PrintSettings {
        let settings = data["settings"].flatMap { $0.objectValue == nil ? nil : $0 } ?? data
        if settings["aux_fan_speed_pct"] != nil && settings["aux_fan_speed_pct"] != .null {
            throw CommandFailure(.notAvailable, "this printer has no auxiliary fan the agent can drive (aux_fan_speed_pct)")
        }
        let parsed = PrintSettings(
            nozzleTarget: try CommandFields.optionalNumber("target_nozzle_temp", in: settings, range: 0...maxNozzle),
            bedTarget: try CommandFields.optionalNumber("target_hotbed_temp", in: settings, range: 0...maxBed),
            fanPercent: try CommandFields.optionalInt("fan_speed_pct", in: settings, range: 0...100),
            speedMode: try CommandFields.optionalInt("print_speed_mode", in: settings, range: 1...3),
            zOffset: try CommandFields.optionalNumber("z_comp", in: settings, range: zOffsets))
        if parsed == PrintSettings() {
            throw CommandFailure(.badRequest, "print/update needs at least one of target_nozzle_temp, target_hotbed_temp, fan_speed_pct, print_speed_mode, z_comp")
        }
        return parsed
    }

    /// The feed rate percentage of the speed mode: silent 50%, standard 100%, sport 150%.
    public var speedPercent: Int? { speedMode.map(Self.speedPercent(ofMode:)) }

    /// The feed rate percentage of speed mode `mode` (1 to 3).
    public static func speedPercent(ofMode mode: Int) -> Int { [50, 100, 150][min(2, max(0, mode - 1))] }

    /// The settings as the report echoes them.
    public var reportData: JSONValue {
        var data = JSONObject()
        if let nozzleTarget { data["target_nozzle_temp"] = .number(nozzleTarget) }
        if let bedTarget { data["target_hotbed_temp"] = .number(bedTarget) }
        if let fanPercent { data["fan_speed_pct"] = .int(fanPercent) }
        if let speedMode { data["print_speed_mode"] = .int(speedMode) }
        if let zOffset { data["z_comp"] = .number(zOffset) }
        return .object(data)
    }
}
