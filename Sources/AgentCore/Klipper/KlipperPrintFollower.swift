/// The print Klipper runs, as the agent follows it through the merged status (design
/// decision 3): Klipper reads the file and keeps the print's state itself, and this turns
/// the changes of that state into `ControllerEvent`s: the readings, the first extrusion, the
/// progress when it moves, pause and resume, the end, and a print Klipper was already running
/// when the agent started. The supervisor paces the reports made of them.
public struct KlipperPrintFollower {
    /// Quiet time after which a print in progress fails: the controller stopped answering.
    public static let printLostAfterMs: Int64 = 20_000

    /// What is known of the job being followed.
    private struct Job {
        /// Whether Klipper has been seen running it (until then, the state it had when the
        /// print was asked is stale: the previous print's).
        var seenRunning = false
        /// The state when the print was asked.
        var staleState: KlipperPrintState?
        var extruded = false
        var lastState: KlipperPrintState?
        var lastProgress: PrintProgress?
        /// A resume was taken while the status still showed the job printing: a `paused`
        /// seen before it shows `printing` again belongs to the pause that resume ended.
        var stalePause = false
    }

    private var job: Job?
    private var readings = ControllerReadings()
    /// The print state last seen, with or without a job.
    private var lastSeenState: KlipperPrintState?

    /// A follower with no job and nothing measured.
    public init() {}

    /// Whether a job is followed.
    public var isFollowing: Bool { job != nil }

    /// A print was asked of Klipper: follow the job it starts (the state until it changes
    /// belongs to the previous print).
    public mutating func started() { job = Job(staleState: lastSeenState) }

    /// Klipper refused the print that was asked: it fails.
    public mutating func refused(_ message: String) -> [ControllerEvent] {
        guard job != nil else { return [] }
        job = nil
        return [.failed("the controller refused the print: " + message)]
    }

    /// Klipper took a resume. Asked during the pause, the pause and the resume may both fall
    /// between two status updates, which then never show the job paused: the job is resumed
    /// now. After a pause the status showed, the `printing` that follows says it.
    public mutating func resumeTaken() -> [ControllerEvent] {
        guard var current = job, current.seenRunning, current.lastState == .printing else { return [] }
        current.stalePause = true
        job = current
        return [.resumed]
    }

    /// Klipper has been silent for `quietMs`: a followed print fails once that is too long.
    public mutating func silence(_ quietMs: Int64) -> [ControllerEvent] {
        guard job != nil, quietMs >= Self.printLostAfterMs else { return [] }
        job = nil
        return [.failed(Self.silenceMessage(quietMs))]
    }

    /// The sentence for a controller silent for `quietMs`.
    public static func silenceMessage(_ quietMs: Int64) -> String {
        "the controller stopped answering (nothing for " + String(quietMs / 1000) + " s)"
    }

    /// The events the merged `status` means: readings, a print to adopt, progress and the
    /// job's state.
    public mutating func follow(_ status: KlipperStatus) -> [ControllerEvent] {
        var events: [ControllerEvent] = []
        if status.readings != readings {
            readings = status.readings
            events.append(.readings(readings))
        }
        let state = status.printState
        if job == nil, status.fault == nil, state == .printing || state == .paused, let file = status.filename,
           !file.isEmpty {
            // A print that ran before the agent (or its restart): follow it. Not one that a
            // shut down Klipper left `paused`: that print is over.
            job = Job(seenRunning: true, extruded: (status.filamentUsedMm ?? 0) > 0, lastState: state)
            events.append(.running(file: file, paused: state == .paused))
        }
        defer { lastSeenState = state }
        guard var current = job else { return events }
        // Seen running, or gone from the stale state to an end (not to `standby`, which
        // Klipper passes through as it loads the file): a print that ended or failed between
        // two updates. A Klipper shut down (it leaves `print_stats` at `paused`) or in error
        // ends the job whatever the state, with Klipper's own message.
        let ended = state == .complete || state == .cancelled || state == .error
        if state == .printing || state == .paused || (ended && state != current.staleState) {
            current.seenRunning = true
        }
        if let fault = status.fault {
            job = nil
            return events + [.failed(fault)]
        }
        guard current.seenRunning else {
            job = current
            return events
        }
        var ending: ControllerEvent?
        switch state {
        case .printing?:
            current.stalePause = false
            if current.lastState == .paused { events.append(.resumed) }
            if !current.extruded, (status.filamentUsedMm ?? 0) > 0 {
                current.extruded = true
                events.append(.extruding)
            }
        case .paused? where current.stalePause:
            break
        case .paused?:
            if current.lastState != .paused { events.append(.paused) }
        case .complete?:
            ending = .finished
        case .cancelled?:
            ending = .stopped
        case .error?:
            ending = .failed("the controller stopped the print: " + (status.printMessage ?? status.webhooksMessage ?? "error"))
        case .standby?:
            ending = .failed("the controller dropped the print (it restarted)")
        case nil:
            break
        }
        let progress = PrintProgress(fraction: status.progress ?? 0, currentLayer: status.currentLayer,
                                     totalLayers: status.totalLayers, z: status.position?.z)
        if progress != current.lastProgress {
            current.lastProgress = progress
            events.append(.progress(progress))
        }
        current.lastState = current.stalePause && state == .paused ? .printing : state
        if let ending {
            job = nil
            events.append(ending)
        } else {
            job = current
        }
        return events
    }
}
