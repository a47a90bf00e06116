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
    /// The auxiliary fan in percent (only where one is configured).
    public var auxFanPercent: Int?
    /// The box fan's level: only 0 (no box fan is driven), accepted so that clients sending
    /// every setting are not refused.
    public var boxFanLevel: Int?
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
                auxFanPercent: Int? = nil, boxFanLevel: Int? = nil, speedMode: Int? = nil, zOffset: Double? = nil) {
        self.nozzleTarget = nozzleTarget
        self.bedTarget = bedTarget
        self.fanPercent = fanPercent
        self.auxFanPercent = auxFanPercent
        self.boxFanLevel = boxFanLevel
        self.speedMode = speedMode
        self.zOffset = zOffset
    }

    /// Reads `data.settings` (or `data` itself when it has no `settings` object); `hasAuxFan`
    /// says whether an auxiliary fan is configured (without one, `aux_fan_speed_pct` must be 0).
    public static func parse(_ data: JSONValue, hasAuxFan: Bool = false) throws(CommandFailure) -> PrintSettings {
        let settings = data["settings"].flatMap { $0.objectValue == nil ? nil : $0 } ?? data
        let fans = try self.fans(settings, hasAuxFan: hasAuxFan)
        let parsed = PrintSettings(
            nozzleTarget: try CommandFields.optionalNumber("target_nozzle_temp", in: settings, range: 0...maxNozzle),
            bedTarget: try CommandFields.optionalNumber("target_hotbed_temp", in: settings, range: 0...maxBed),
            fanPercent: fans.fanPercent, auxFanPercent: fans.auxFanPercent, boxFanLevel: fans.boxFanLevel,
            speedMode: try CommandFields.optionalInt("print_speed_mode", in: settings, range: 1...3),
            zOffset: try CommandFields.optionalNumber("z_comp", in: settings, range: zOffsets))
        if parsed == PrintSettings() {
            throw CommandFailure(.badRequest, "print/update needs at least one of target_nozzle_temp, target_hotbed_temp, fan_speed_pct, aux_fan_speed_pct, box_fan_level, print_speed_mode, z_comp")
        }
        return parsed
    }

    /// The fans of `data` (`fan_speed_pct`, `aux_fan_speed_pct`, `box_fan_level`), for
    /// `print/update` and `fan/set` alike; nothing else set. Without an auxiliary fan
    /// (`hasAuxFan` false) its speed must be 0; the box fan's level must be 0 (no box fan is
    /// driven): clients send every setting, and 0 matches what the reports say.
    public static func fans(_ data: JSONValue, hasAuxFan: Bool) throws(CommandFailure) -> PrintSettings {
        let aux = try CommandFields.optionalInt("aux_fan_speed_pct", in: data, range: 0...100)
        if let aux, aux != 0, !hasAuxFan {
            throw CommandFailure(.badRequest, "aux_fan_speed_pct must be 0 on this printer: no auxiliary fan is configured (aux_fan_index or klipper_aux_fan)")
        }
        let box = try CommandFields.optionalInt("box_fan_level", in: data, range: 0...100)
        if let box, box != 0 {
            throw CommandFailure(.badRequest, "box_fan_level must be 0 on this printer: it has no box fan the agent drives")
        }
        return PrintSettings(fanPercent: try CommandFields.optionalInt("fan_speed_pct", in: data, range: 0...100),
                             auxFanPercent: hasAuxFan ? aux : nil, boxFanLevel: box)
    }

    /// The targets of `tempature/set` (`target_nozzle_temp`, `target_hotbed_temp`, at least one),
    /// in the ranges of `print/update`; nothing else set.
    public static func temperatures(_ data: JSONValue) throws(CommandFailure) -> PrintSettings {
        let targets = PrintSettings(
            nozzleTarget: try CommandFields.optionalNumber("target_nozzle_temp", in: data, range: 0...maxNozzle),
            bedTarget: try CommandFields.optionalNumber("target_hotbed_temp", in: data, range: 0...maxBed))
        guard targets != PrintSettings() else {
            throw CommandFailure(.badRequest, "tempature/set needs target_nozzle_temp, target_hotbed_temp or both")
        }
        return targets
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
        if let auxFanPercent { data["aux_fan_speed_pct"] = .int(auxFanPercent) }
        if let boxFanLevel { data["box_fan_level"] = .int(boxFanLevel) }
        if let speedMode { data["print_speed_mode"] = .int(speedMode) }
        if let zOffset { data["z_comp"] = .number(zOffset) }
        return .object(data)
    }
}
