/// What a printing backend tells the agent about the motion controller. Backends turn
/// their protocol (Marlin lines, Klipper status objects) into these; `PrintSupervisor`
/// turns them into reports.
public enum ControllerEvent: Equatable {
    /// The heaters or the fan changed: the controller's current readings.
    case readings(ControllerReadings)
    /// The job extruded for the first time: preheating is over.
    case extruding
    /// The job moved on.
    case progress(PrintProgress)
    /// The job is paused (asked for, or the controller paused it: a runout, a host action).
    case paused
    /// The job runs again after a pause.
    case resumed
    /// The job printed its last line.
    case finished
    /// The job was stopped and the controller is idle again.
    case stopped
    /// The job cannot go on; says why, in words for the user.
    case failed(String)
    /// The controller (or its display) asks the host to `pause`, `resume` or `cancel` the
    /// print (Marlin's `//action:`): decided and carried out as the same `print/*` command.
    case asks(String)
    /// The controller is printing a job the agent did not start (it ran before the agent
    /// started): the file as the controller names it, and whether it is paused.
    case running(file: String, paused: Bool)
}

/// How far a job has got, as the backend measures it.
public struct PrintProgress: Equatable {
    /// The fraction of the file done, 0 to 1.
    public var fraction: Double
    /// The layer being printed (1-based), when the file or the controller says.
    public var currentLayer: Int?
    /// The layer count, when the file or the controller says.
    public var totalLayers: Int?
    /// The slicer's remaining time (M73 R), when the file carries it.
    public var remainingMinutes: Int?
    /// The commanded Z height in millimetres, when known (the file's moves, Klipper's toolhead).
    public var z: Double?

    /// Creates a progress value.
    public init(fraction: Double, currentLayer: Int? = nil, totalLayers: Int? = nil, remainingMinutes: Int? = nil,
                z: Double? = nil) {
        self.fraction = fraction
        self.currentLayer = currentLayer
        self.totalLayers = totalLayers
        self.remainingMinutes = remainingMinutes
        self.z = z
    }
}
