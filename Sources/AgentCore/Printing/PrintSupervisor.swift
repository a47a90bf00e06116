import AgentJSON

/// The print job's state machine (design decision 3): commands and controller events in,
/// reports out. It keeps the lifecycle of the stock firmware (`preheating`, `printing`,
/// `pausing`/`paused`, `resuming`/`resumed`, `stopping`/`stoped`, `finished`, `failed`),
/// flips `status/workReport` between busy and free, and paces what is pushed: progress at
/// most once a second and at least every 10 s while printing; temperatures and the fan
/// when they move by 0.5 °C / 1 %, at most once a second.
public struct PrintSupervisor {
    /// The shortest gap between two pushes of the same kind.
    public static let minimumGapMs: Int64 = 1_000
    /// The longest gap between two progress reports while printing.
    public static let progressHeartbeatMs: Int64 = 10_000
    /// The smallest temperature change that is pushed, in °C.
    public static let temperatureStep = 0.5
    /// The smallest fan change that is pushed, in percent.
    public static let fanStep = 1

    /// The job, while one is active.
    public private(set) var job: PrintJob?
    /// The job that ended last (`info`'s `last_project`), until the next one starts.
    public private(set) var lastJob: PrintJob?
    /// Why the job that ended last failed, when it did (`failed`'s message).
    public private(set) var lastFailure: String?
    /// The controller's latest readings.
    public private(set) var readings = ControllerReadings()
    /// The speed mode (1 silent, 2 standard, 3 sport): standard until `print/update` sets one.
    public private(set) var speedMode = 2
    /// The Z offset last set through `print/update`, in millimetres.
    public private(set) var zOffset = 0.0
    /// Whether `print/update`'s answer carries `z_comp`: the Kobra 2 firmware's does and its
    /// clients read it; later models' clients reject a settings key they do not know.
    public let reportsZOffset: Bool

    private var lastProgressReport: (at: Int64, signature: [Int?])?
    private var lastTemperatures: (at: Int64, readings: ControllerReadings)?
    private var lastFan: (at: Int64, percent: Int?)?

    /// A supervisor with no job and nothing measured; `reportsZOffset` as for the model.
    public init(reportsZOffset: Bool = false) {
        self.reportsZOffset = reportsZOffset
    }

    /// Whether a job keeps the printer busy.
    public var isActive: Bool { job != nil }

    // MARK: Commands

    /// Starts `job` for `command`: the answer (`preheating`), then the busy status. The
    /// backend is given the file next; `withdraw` undoes this when it refuses it.
    public mutating func begin(_ job: PrintJob, answering command: Command, now: Int64) -> [Report] {
        self.job = job
        lastJob = nil
        lastProgressReport = (now, signature(job))
        return [printReport(action: "start", msgid: command.msgid), PrinterReports.workReport(busy: true, msgid: nil)]
    }

    /// Forgets the job `begin` just started, when the backend then refused its file: no
    /// report, as if it had not begun (the command is answered with the backend's failure).
    public mutating func withdraw() {
        job = nil
        lastProgressReport = nil
    }

    /// Starts `job` in the `downloading` phase for `command`: the answer, then the busy status.
    public mutating func beginDownload(_ job: PrintJob, answering command: Command, now: Int64) -> [Report] {
        var fetching = job
        fetching.phase = .downloading
        return begin(fetching, answering: command, now: now)
    }

    /// The download reached `fraction` (0 to 1); its reports are paced like progress.
    public mutating func downloadProgressed(_ fraction: Double, now: Int64) -> [Report] {
        guard job?.phase == .downloading else { return [] }
        job?.progress = min(100, max(0, fraction * 100))
        return due(now: now)
    }

    /// The download is complete: its size and hash are being checked.
    public mutating func checking(now: Int64) -> [Report] {
        guard job?.phase == .downloading else { return [] }
        job?.phase = .checking
        job?.progress = 100
        lastProgressReport = (now, job.map(signature) ?? [])
        return [printReport(action: "start", msgid: nil)]
    }

    /// The file is in place and the backend took it: `preheating`, with progress from 0, and
    /// what `metadata` says of the file when it was read.
    public mutating func downloaded(now: Int64, metadata: GcodeMetadata? = nil) -> [Report] {
        guard job?.phase.isFetching == true else { return [] }
        job?.phase = .preheating
        if let metadata { job?.describe(by: metadata) }
        job?.progress = 0
        job?.advanceClock(to: now)
        return [printReport(action: "start", msgid: nil)]
    }

    /// The job ends as `failed` with `code` and `message` (a download that failed or was
    /// stopped): its report, then the free status.
    public mutating func fail(_ code: ReplyCode, _ message: String) -> [Report] {
        end(.failed, action: "start", code: code, message: message)
    }

    /// Takes over `job`, which the controller was already running: the busy status, then
    /// the job's report in its phase. Nothing when a job is already followed.
    public mutating func adopt(_ job: PrintJob, now: Int64) -> [Report] {
        guard self.job == nil else { return [] }
        self.job = job
        lastProgressReport = (now, signature(job))
        return [PrinterReports.workReport(busy: true, msgid: nil), printReport(action: "start", msgid: nil)]
    }

    /// Checks that a job is active and that `command`'s `taskid`, when given, names it
    /// (`"-1"` names the active job, whatever its id).
    public func checkTask(of command: Command) throws(CommandFailure) -> PrintJob {
        guard let job else { throw CommandFailure(.conflict, "no print is active") }
        if let taskId = try CommandFields.optionalIdentifier("taskid", in: command.data),
           taskId != job.taskId, taskId != TaskNumbering.activeJob {
            throw CommandFailure(.conflict, "task " + taskId + " is not the active print (the active task is " + job.taskId + ")")
        }
        return job
    }

    /// Checks that `print/update` can set `settings` now: during a job, for that job
    /// (`checkTask`); with no job, for no task or `"-1"`, and only temperatures and fans,
    /// which `tempature/set` and `fan/set` set idle too (Home Assistant's LAN integration sets
    /// them through `print/update` alone). The speed mode and the Z offset belong to a print.
    public func checkUpdate(_ command: Command, _ settings: PrintSettings) throws(CommandFailure) {
        if job != nil {
            _ = try checkTask(of: command)
            return
        }
        if let taskId = try CommandFields.optionalIdentifier("taskid", in: command.data), taskId != TaskNumbering.activeJob {
            throw CommandFailure(.conflict, "no print is active (task " + taskId + " is not running)")
        }
        if settings.speedMode != nil || settings.zOffset != nil {
            throw CommandFailure(.conflict, "no print is active: print_speed_mode and z_comp change a running print only")
        }
    }

    /// What `print/pause`, `resume`, `stop` or `cancel` should do now: `.ask` means the
    /// backend must be asked and `phase` entered; `.answer` is a reply with nothing to do
    /// (the job is already there); a failure explains why it cannot be done.
    public enum Transition: Equatable {
        case ask(PrintPhase)
        case answer(Report)
    }

    /// The transition `command` (`pause`, `resume`, `stop`, `cancel`) asks for.
    public func transition(for command: Command) throws(CommandFailure) -> Transition {
        let job = try checkTask(of: command)
        func already(_ state: String) -> Transition {
            .answer(Report(type: "print", action: command.action, msgid: command.msgid, state: state,
                           data: .object(job.reportData)))
        }
        switch (command.action, job.phase) {
        case ("pause", .preheating), ("pause", .printing): return .ask(.pausing)
        case ("pause", .pausing), ("pause", .paused): return already(job.phase.rawValue)
        // A resume during the pause is carried out after it (clients show the job paused as
        // soon as they see `pausing`, and offer resume at once).
        case ("resume", .paused), ("resume", .pausing): return .ask(.resuming)
        case ("resume", .resuming): return already("resuming")
        case ("stop", .stopping), ("cancel", .stopping): return already("stopping")
        case ("stop", _), ("cancel", _): return .ask(.stopping)
        default:
            throw CommandFailure(.conflict, "cannot " + command.action + " a print that is " + job.phase.rawValue)
        }
    }

    /// Enters `phase` after the backend accepted `command`; returns the answer.
    public mutating func enter(_ phase: PrintPhase, answering command: Command) -> Report {
        job?.phase = phase
        return printReport(action: command.action, msgid: command.msgid)
    }

    /// Notes what `print/update` set and the backend took; returns the answer: the current
    /// temperatures and the whole `settings` object, as the firmware answers.
    public mutating func updated(_ settings: PrintSettings, answering command: Command) -> Report {
        if let mode = settings.speedMode { speedMode = mode }
        if let offset = settings.zOffset { zOffset = offset }
        var wanted = readings
        if let target = settings.nozzleTarget { wanted.nozzleTarget = target }
        if let target = settings.bedTarget { wanted.bedTarget = target }
        if let fan = settings.fanPercent { wanted.fanSpeedPercent = fan }
        var values = JSONObject([
            ("target_nozzle_temp", .int(Self.whole(wanted.nozzleTarget))),
            ("target_hotbed_temp", .int(Self.whole(wanted.bedTarget))),
            ("fan_speed_pct", .int(wanted.fanSpeedPercent ?? 0)),
            ("print_speed_pct", .int(PrintSettings.speedPercent(ofMode: speedMode))),
            ("print_speed_mode", .int(speedMode)),
        ])
        if reportsZOffset { values["z_comp"] = .number(zOffset) }
        var data = JSONObject([
            ("curr_hotbed_temp", .int(Self.whole(readings.bedTemperature))),
            ("curr_nozzle_temp", .int(Self.whole(readings.nozzleTemperature))),
            ("settings", .object(values)),
        ])
        if let job { data["taskid"] = .string(job.taskId) }
        return Report(type: "print", action: command.action, msgid: command.msgid, state: "updated", data: .object(data))
    }

    /// Notes the client's `localtask` for the active job.
    public mutating func noteLocalTask(_ localTask: String) { job?.localTask = localTask }

    /// The answer to `print/query`: the job's report as its phase was entered (action
    /// `start`, `pause`, `resume` or `stop`, which the clients parse), or nothing when no
    /// job is active: the firmware is silent then.
    public func query(_ command: Command) -> Report? {
        guard let job else { return nil }
        return printReport(action: job.phase.reportAction, msgid: command.msgid)
    }

    // MARK: Controller events and time

    /// Takes in what the controller did at monotonic time `now`; returns what to publish.
    public mutating func handle(_ event: ControllerEvent, now: Int64) -> [Report] {
        job?.advanceClock(to: now)
        var reports: [Report] = []
        switch event {
        case .readings(let latest):
            readings = latest
        case .extruding:
            if job?.phase == .preheating {
                job?.phase = .printing
                reports.append(progressReport(now: now))
            }
        case .progress(let update):
            job?.apply(update)
        case .paused:
            // Asked to resume during the pause, the job stays `resuming` until it has.
            if let phase = job?.phase, phase != .paused, phase != .stopping, phase != .resuming {
                job?.phase = .paused
                reports.append(printReport(action: "pause", msgid: nil))
            }
        case .resumed:
            if let phase = job?.phase, phase == .paused || phase == .resuming || phase == .pausing {
                reports.append(printReport(action: "resume", msgid: nil, state: "resumed", phase: .printing))
                job?.phase = .printing
            }
        case .finished:
            reports += end(.finished, action: "start", code: .ok, message: "ok")
        case .stopped:
            reports += end(.stopped, action: "stop", code: .ok, message: "ok")
        case .failed(let reason):
            reports += end(.failed, action: "start", code: .controllerFailed, message: reason)
        case .running, .asks:
            break  // the service adopts a running job (it knows the storage) and runs requests as commands
        }
        return reports + due(now: now)
    }

    /// Called about every 250 ms: the reports whose time has come.
    public mutating func tick(now: Int64) -> [Report] {
        job?.advanceClock(to: now)
        return due(now: now)
    }

    // MARK: Reports

    /// A print report of the job in its phase (or `state`/`phase` given).
    private func printReport(action: String, msgid: String?, state: String? = nil, phase: PrintPhase? = nil) -> Report {
        guard var job else { return Report(type: "print", action: action, msgid: msgid, state: "free") }
        if let phase { job.phase = phase }
        return Report(type: "print", action: action, msgid: msgid, state: state ?? job.phase.rawValue,
                      data: .object(job.reportData))
    }

    private mutating func end(_ phase: PrintPhase, action: String, code: ReplyCode, message: String) -> [Report] {
        guard var finished = job else { return [] }
        finished.phase = phase
        job = nil
        lastJob = finished
        lastFailure = phase == .failed ? message : nil
        lastProgressReport = nil
        return [Report(type: "print", action: action, msgid: nil, state: phase.rawValue, code: code,
                       message: message, data: .object(finished.reportData)),
                PrinterReports.workReport(busy: false, msgid: nil)]
    }

    /// The paced progress report: `printing`, or `downloading` with the download's progress.
    private mutating func progressReport(now: Int64) -> Report {
        let report = printReport(action: "start", msgid: nil)
        if let job { lastProgressReport = (now, signature(job)) }
        return report
    }

    private func signature(_ job: PrintJob) -> [Int?] {
        [job.wholeProgress, job.currentLayer, job.totalLayers, job.remainingMinutes]
    }

    private mutating func due(now: Int64) -> [Report] {
        var reports: [Report] = []
        if let job, job.phase == .printing || job.phase == .downloading {
            let last = lastProgressReport
            let gap = now - (last?.at ?? Int64.min / 2)
            if gap >= Self.progressHeartbeatMs || (gap >= Self.minimumGapMs && last?.signature != signature(job)) {
                reports.append(progressReport(now: now))
            }
        }
        if Self.temperaturesMoved(from: lastTemperatures?.readings, to: readings),
           now - (lastTemperatures?.at ?? Int64.min / 2) >= Self.minimumGapMs {
            lastTemperatures = (now, readings)
            reports.append(Self.temperatureReport(readings, action: "auto", msgid: nil))
        }
        if let fan = readings.fanSpeedPercent, lastFan == nil || abs(fan - (lastFan?.percent ?? -100)) >= Self.fanStep,
           now - (lastFan?.at ?? Int64.min / 2) >= Self.minimumGapMs {
            lastFan = (now, fan)
            reports.append(Self.fanReport(readings, action: "auto", msgid: nil))
        }
        return reports
    }

    private static func temperaturesMoved(from old: ControllerReadings?, to new: ControllerReadings) -> Bool {
        func moved(_ a: Double?, _ b: Double?) -> Bool {
            switch (a, b) {
            case (nil, nil): return false
            case let (a?, b?): return abs(a - b) >= temperatureStep
            default: return true
            }
        }
        guard let old else {
            return new.nozzleTemperature != nil || new.bedTemperature != nil
        }
        return moved(old.nozzleTemperature, new.nozzleTemperature) || moved(old.nozzleTarget, new.nozzleTarget)
            || moved(old.bedTemperature, new.bedTemperature) || moved(old.bedTarget, new.bedTarget)
    }

    /// `tempature` report (`query` answer or `auto` push) of `readings`: whole degrees, 0
    /// where nothing is measured yet, and the chamber at 0 (no supported printer has one).
    public static func temperatureReport(_ readings: ControllerReadings, action: String, msgid: String?) -> Report {
        Report(type: "tempature", action: action, msgid: msgid, state: "done", data: .object(temperatures(readings)))
    }

    /// The six temperatures of `tempature` reports and of `info`'s `temp`.
    public static func temperatures(_ readings: ControllerReadings) -> JSONObject {
        JSONObject([
            ("curr_hotbed_temp", .int(whole(readings.bedTemperature))),
            ("curr_nozzle_temp", .int(whole(readings.nozzleTemperature))),
            ("curr_chamber_temp", .int(0)),
            ("target_hotbed_temp", .int(whole(readings.bedTarget))),
            ("target_nozzle_temp", .int(whole(readings.nozzleTarget))),
            ("target_chamber_temp", .int(0)),
        ])
    }

    /// `fan` report (`query` answer or `auto` push) of `readings`: 0 for a fan nobody set.
    public static func fanReport(_ readings: ControllerReadings, action: String, msgid: String?) -> Report {
        Report(type: "fan", action: action, msgid: msgid, state: "done", data: .object(JSONObject([
            ("fan_speed_pct", .int(readings.fanSpeedPercent ?? 0)),
            ("aux_fan_speed_pct", .int(readings.auxFanSpeedPercent ?? 0)),
            ("box_fan_level", .int(0)),
        ])))
    }

    /// `value` rounded to a whole degree, 0 when unknown: the firmware reports integers.
    static func whole(_ value: Double?) -> Int {
        guard let value, value.isFinite, abs(value) < 100_000 else { return 0 }
        return Int(value.rounded())
    }
}
