import AgentJSON

/// The printer's state as OctoPrint names it (`state.text` and `state.flags` of
/// `/api/printer`, `state` of `/api/job`), from whether the controller is connected and the
/// phase of the print task, if one is active.
public struct OctoState: Equatable {
    /// OctoPrint's words: `Offline`, `Operational`, `Starting`, `Printing`, `Pausing`,
    /// `Paused`, `Resuming`, `Cancelling`.
    public let text: String
    /// The controller is connected (OctoPrint's `operational`).
    public let operational: Bool
    /// The print phase, when a task is active.
    public let phase: PrintPhase?
    /// A USB stick is mounted: OctoPrint's SD card is ready (`sdReady`, `sd.ready`).
    public let sdReady: Bool

    /// The state for a controller that is connected or not, the active task's `phase`, and
    /// whether a USB stick is mounted.
    public init(connected: Bool, phase: PrintPhase?, sdReady: Bool = false) {
        operational = connected
        self.phase = phase
        self.sdReady = sdReady
        guard connected else {
            text = "Offline"
            return
        }
        switch phase {
        case nil, .finished?, .stopped?, .failed?: text = "Operational"
        case .downloading?, .checking?, .preheating?: text = "Starting"
        case .printing?: text = "Printing"
        case .pausing?: text = "Pausing"
        case .paused?: text = "Paused"
        case .resuming?: text = "Resuming"
        case .stopping?: text = "Cancelling"
        }
    }

    /// Whether a print task is under way, paused or not (OctoPrint's `printing` covers
    /// starting, printing, pausing and resuming).
    public var isPrinting: Bool {
        guard operational, let phase else { return false }
        return !phase.isFinal && phase != .paused && phase != .stopping
    }

    /// `state.flags` as OctoPrint 1.10 gives them.
    public var flags: JSONObject {
        JSONObject([
            ("operational", .bool(operational)),
            ("printing", .bool(isPrinting)),
            ("cancelling", .bool(phase == .stopping)),
            ("pausing", .bool(phase == .pausing)),
            ("resuming", .bool(phase == .resuming)),
            ("finishing", .bool(false)),
            ("closedOrError", .bool(!operational)),
            ("error", .bool(false)),
            ("paused", .bool(phase == .paused)),
            ("ready", .bool(operational && (phase == nil || phase?.isFinal == true))),
            ("sdReady", .bool(sdReady)),
        ])
    }
}
