/// How the agent talks to a Marlin board: the configured pause, resume and cancel G-code,
/// the sender's limits, and the session's timing.
public struct MarlinSetup {
    /// How often temperatures are asked for (`M105`) or auto-reported (`M155 S2`).
    public static let temperatureIntervalMs: Int64 = 2_000
    /// How long after a board's restart (`start`) numbering starts again: the board prints
    /// its banner and refuses the lines that were on their way, and flushes its receive
    /// buffer as it does; an `M110` sent into that would be lost with them.
    public static let rebootQuietMs: Int64 = 1_000
    /// How long a run of G-code someone waits for (a move, a console command) may take.
    public static let runTimeoutMs: Int64 = 120_000

    /// The commands that pause a print (park the head, ...).
    public var pauseGcode: [[UInt8]]
    /// The commands that resume a paused print.
    public var resumeGcode: [[UInt8]]
    /// The commands that cancel a print (heaters off, ...).
    public var cancelGcode: [[UInt8]]
    /// The flow control's limits (the board's receive buffer, timeouts).
    public var senderLimits: MarlinSender.Limits
    /// The fan number of the auxiliary fan (`M106 P<n>`), or nil when there is none.
    public var auxFanIndex: Int?

    /// A setup with these commands (one line each) and limits.
    public init(pauseGcode: [String] = [], resumeGcode: [String] = [], cancelGcode: [String] = [],
                senderLimits: MarlinSender.Limits = MarlinSender.Limits(), auxFanIndex: Int? = nil) {
        self.pauseGcode = pauseGcode.map { Array($0.utf8) }
        self.resumeGcode = resumeGcode.map { Array($0.utf8) }
        self.cancelGcode = cancelGcode.map { Array($0.utf8) }
        self.senderLimits = senderLimits
        self.auxFanIndex = auxFanIndex
    }
}
