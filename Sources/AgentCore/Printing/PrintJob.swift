import AgentJSON

/// Which storage a print file is on.
public enum PrintSource: String, Equatable {
    /// The printer's internal storage.
    case local
    /// The USB stick.
    case udisk

    /// The firmware's number for the storage (`filetype`): 1 local, 2 USB.
    public var fileType: Int { self == .local ? 1 : 2 }
}

/// The print the agent is running: what was asked for, where the controller is, and
/// the clock of it. Reported in print reports and in `info`'s `project`.
public struct PrintJob: Equatable {
    /// The task id: the cloud's when it gave one, else a number the agent assigned
    /// (`TaskNumbering`). Clients take it from `project.task_id` for pause/resume/stop.
    public var taskId: String
    /// The client's `localtask` (a uuid from Slicer Next, `print/localtasktrans`), echoed in reports.
    public var localTask = ""
    /// The file's name.
    public var filename: String
    /// The file's directory below its storage root.
    public var directory: StoragePath
    /// The storage the file is on.
    public var source: PrintSource
    /// The file's absolute path on the printer (what `file` deletes are checked against).
    public var absolutePath: String
    /// The phase.
    public var phase: PrintPhase = .preheating
    /// Progress in percent, 0 to 100.
    public var progress: Double = 0
    /// The layer being printed, when known.
    public var currentLayer: Int?
    /// The layer count, when known (the file's header, then the controller).
    public var totalLayers: Int?
    /// The commanded Z height in millimetres, when known.
    public var currentZ: Double?
    /// The slicer's remaining minutes from the latest `M73 R`, when the file carries them.
    public var slicerRemainingMinutes: Int?
    /// The slicer's estimate of the whole print in seconds, from the file's header.
    public var estimatedSeconds: Int64?
    /// The filament the whole print uses, in millimetres, from the file's header.
    public var filamentLengthMm: Double?
    /// What the slicer wrote about the file (`print/getSliceParam`), null when not read.
    public var sliceParameters: JSONValue = .null
    /// Milliseconds the job has spent not paused.
    public private(set) var activeMs: Int64 = 0
    private var clockMs: Int64

    /// A job starting now (monotonic `now`), in the `preheating` phase.
    public init(taskId: String, filename: String, directory: StoragePath, source: PrintSource,
                absolutePath: String, totalLayers: Int? = nil, estimatedSeconds: Int64? = nil, now: Int64) {
        self.taskId = taskId
        self.filename = filename
        self.directory = directory
        self.source = source
        self.absolutePath = absolutePath
        self.totalLayers = totalLayers
        self.estimatedSeconds = estimatedSeconds
        clockMs = now
    }

    /// Takes in what the slicer wrote in the file, read once the file is in place (a download,
    /// a plate extracted from a `.gcode.3mf`): layers, estimate, filament, slice parameters.
    public mutating func describe(by metadata: GcodeMetadata) {
        if let layers = metadata.layerCount { totalLayers = layers }
        if let seconds = metadata.estimatedSeconds { estimatedSeconds = seconds }
        filamentLengthMm = metadata.filamentLengthMm
        sliceParameters = metadata.sliceParameters
    }

    /// Moves the job's clock to `now`, counting the time unless the job is paused.
    public mutating func advanceClock(to now: Int64) {
        if now > clockMs, phase.countsTime { activeMs += now - clockMs }
        clockMs = max(clockMs, now)
    }

    /// Takes in the backend's measure of progress.
    public mutating func apply(_ update: PrintProgress) {
        progress = min(100, max(0, update.fraction * 100))
        if let layer = update.currentLayer { currentLayer = layer }
        if let total = update.totalLayers, total > 0 { totalLayers = total }
        if let remaining = update.remainingMinutes { slicerRemainingMinutes = max(0, remaining) }
        if let z = update.z { currentZ = z }
    }

    /// Whole minutes printed so far (`print_time`).
    public var printMinutes: Int { Int(activeMs / 60_000) }

    /// Minutes left (`remain_time`): the slicer's `M73 R` when the file has it, else from
    /// progress and elapsed time once 1% is done, else the header's estimate less the
    /// elapsed time; nil when nothing is known.
    public var remainingMinutes: Int? {
        if phase == .finished { return 0 }
        if let slicer = slicerRemainingMinutes { return slicer }
        if progress >= 1 {
            let seconds = Double(activeMs) / 1000 * (100 - progress) / progress
            return Int(seconds / 60)
        }
        if let estimate = estimatedSeconds { return Int(max(0, estimate - activeMs / 1000) / 60) }
        return nil
    }

    /// The file's path below its root, as `filepath` in reports ("/models/a.gcode").
    public var filePath: String {
        directory.isRoot ? "/" + filename : directory.displayText + "/" + filename
    }

    /// The file's path below its root as the firmware names the job's file: with its
    /// directories, without a leading slash ("models/a.gcode").
    public var relativePath: String {
        directory.isRoot ? filename : directory.relativeText + "/" + filename
    }

    /// The filament used so far, in millimetres: the header's total in proportion to
    /// progress (0 when the file does not say).
    public var suppliesUsage: Int {
        guard let total = filamentLengthMm, total > 0 else { return 0 }
        return Int(total * Double(wholeProgress) / 100)
    }

    /// The data of a print report, in the firmware's shape: exactly the keys the clients'
    /// parsers read (anycubic-cloud-api rejects a print report with a key it does not know),
    /// numbers never null (0 where unknown).
    public var reportData: JSONObject {
        JSONObject([
            ("taskid", .string(taskId)),
            ("localtask", .string(localTask)),
            ("filename", .string(relativePath)),
            ("display_filename", .string(filename)),
            ("filetype", .int(source.fileType)),
        ] + progressMembers)
    }

    /// How far the job is, in both the print report and `project`.
    private var progressMembers: [(String, JSONValue)] {
        [("progress", .int(wholeProgress)),
         ("curr_layer", .int(currentLayer ?? 0)),
         ("total_layers", .int(totalLayers ?? 0)),
         ("remain_time", .int(remainingMinutes ?? 0)),
         ("print_time", .int(printMinutes)),
         ("supplies_usage", .int(suppliesUsage))]
    }

    /// `info`'s `project` (and `last_project`): the job as the firmware describes it there,
    /// with the integer `task_id` clients pause, resume and stop it by, and its state.
    /// `speedMode` is the print's speed mode (1 silent, 2 standard, 3 sport).
    public func projectData(speedMode: Int) -> JSONObject {
        JSONObject([
            ("task_id", TaskNumbering.wireValue(of: taskId)),
            ("localtask", .string(localTask)),
            ("filename", .string(relativePath)),
            ("project_type", .int(1)),
            ("state", .string(phase.rawValue)),
            ("print_status", .int(phase.printStatus)),
            ("pause", .int(phase.pauseStatus)),
            ("print_speed_mode", .int(speedMode)),
        ] + progressMembers)
    }

    /// Progress as the whole percent clients show (100 only when finished).
    var wholeProgress: Int {
        phase == .finished || phase == .checking ? 100 : min(99, Int(progress))
    }
}
