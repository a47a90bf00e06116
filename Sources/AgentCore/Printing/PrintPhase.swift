/// The phases of a print, named with the stock firmware's state words (`stoped` is the
/// wire spelling).
public enum PrintPhase: String, Equatable {
    case downloading, checking
    case preheating, printing, pausing, paused, resuming, stopping
    case finished, stopped = "stoped", failed

    /// Whether the job is over.
    public var isFinal: Bool { self == .finished || self == .stopped || self == .failed }

    /// The clients' `print_status` number: 4 downloading, 5 checking, 6 preheating,
    /// 1 printing (paused or not), 2 complete, 3 cancelled or failed.
    public var printStatus: Int {
        switch self {
        case .downloading: return 4
        case .checking: return 5
        case .preheating: return 6
        case .printing, .pausing, .paused, .resuming, .stopping: return 1
        case .finished: return 2
        case .stopped, .failed: return 3
        }
    }

    /// The clients' `pause` number: 0 running, 1 paused, 2 pausing, 3 resuming, 4 stopping.
    public var pauseStatus: Int {
        switch self {
        case .paused: return 1
        case .pausing: return 2
        case .resuming: return 3
        case .stopping: return 4
        default: return 0
        }
    }

    /// The action of the print report the phase is reported under: `pause` for pausing and
    /// paused, `resume` for resuming, `stop` for stopping and stopped, `start` for the rest
    /// (the pairs the clients' parsers know).
    public var reportAction: String {
        switch self {
        case .pausing, .paused: return "pause"
        case .resuming: return "resume"
        case .stopping, .stopped: return "stop"
        default: return "start"
        }
    }

    /// Whether the file is still being downloaded or checked (nothing printed yet).
    public var isFetching: Bool { self == .downloading || self == .checking }

    /// Whether printing time counts in this phase (from preheating on, pauses left out).
    var countsTime: Bool { self != .paused && !isFinal && !isFetching }
}
