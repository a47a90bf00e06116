/// What the motion controller last said about its heaters and fan, whatever the backend.
/// A value the controller has not reported yet is nil and is reported as JSON null.
public struct ControllerReadings: Equatable {
    /// The nozzle's temperature in °C.
    public var nozzleTemperature: Double?
    /// The nozzle's target in °C (0 when off).
    public var nozzleTarget: Double?
    /// The bed's temperature in °C.
    public var bedTemperature: Double?
    /// The bed's target in °C (0 when off).
    public var bedTarget: Double?
    /// The part-cooling fan in percent, 0 to 100.
    public var fanSpeedPercent: Int?
    /// The auxiliary fan in percent, 0 to 100, as last commanded (no controller reports it back).
    public var auxFanSpeedPercent: Int?

    /// Creates readings; nothing measured by default.
    public init(nozzleTemperature: Double? = nil, nozzleTarget: Double? = nil, bedTemperature: Double? = nil,
                bedTarget: Double? = nil, fanSpeedPercent: Int? = nil, auxFanSpeedPercent: Int? = nil) {
        self.nozzleTemperature = nozzleTemperature
        self.nozzleTarget = nozzleTarget
        self.bedTemperature = bedTemperature
        self.bedTarget = bedTarget
        self.fanSpeedPercent = fanSpeedPercent
        self.auxFanSpeedPercent = auxFanSpeedPercent
    }
}

extension ControllerReadings {
    /// These readings with the temperatures and targets `latest` reports (a Marlin `ok T:…`
    /// or auto-report names the heaters, never the fan), the rest kept.
    public func merging(temperatures latest: ControllerReadings) -> ControllerReadings {
        var merged = self
        if let value = latest.nozzleTemperature { merged.nozzleTemperature = value }
        if let value = latest.nozzleTarget { merged.nozzleTarget = value }
        if let value = latest.bedTemperature { merged.bedTemperature = value }
        if let value = latest.bedTarget { merged.bedTarget = value }
        return merged
    }
}
