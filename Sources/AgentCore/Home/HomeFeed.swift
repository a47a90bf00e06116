import AgentJSON

/// Everything the home session publishes, derived from successive `HomeSnapshot`s (design
/// decision 7: the print's facts have one owner, the feed only compares): the OctoPrint-MQTT
/// events, progress and temperatures, and the state document and print events the Home
/// Assistant entities read (`HomeAssistantDiscovery`).
public struct HomeFeed {
    /// The smallest temperature change published, in °C (the plugin's `temperatureThreshold`).
    public static let temperatureStep = 0.1
    /// The shortest gap between two publications of one temperature or of the state document.
    public static let minimumGapMs: Int64 = 1_000
    /// The print events Home Assistant's event entity knows.
    public static let printEvents = ["PrintStarted", "PrintDone", "PrintFailed", "PrintCancelled", "PrintPaused", "PrintResumed"]

    /// The OctoPrint-MQTT topics.
    public let topics: OctoPrintTopics
    /// `Connected`'s payload: the controller's serial port or socket, and the serial speed (nil for a socket).
    private let port: String
    private let baudrate: Int?
    private var previous = HomeSnapshot()
    private var lastProgress: (path: String, percent: Int)?
    private var lastTemperatures: [String: (actual: Double, target: Double, at: Int64)] = [:]
    private var lastState: (payload: String, at: Int64)?

    /// A feed under `topics`; `port` and `baudrate` are the controller's connection.
    public init(topics: OctoPrintTopics, port: String, baudrate: Int?) {
        self.topics = topics
        self.port = port
        self.baudrate = baudrate
    }

    /// The topic of the state document the Home Assistant entities read.
    public var stateTopic: String { topics.base + "hass/state" }
    /// The topic of the print events Home Assistant's event entity reads.
    public var eventTopic: String { topics.base + "hass/event" }
    /// The topic of the firmware's state Home Assistant's update entity reads.
    public var updateTopic: String { topics.base + "hass/update" }

    /// What changed since the last snapshot, at monotonic `nowMs` and wall-clock `epochSeconds`.
    public mutating func update(_ snapshot: HomeSnapshot, nowMs: Int64, epochSeconds: Int64) -> [Publication] {
        var out: [Publication] = []
        let old = previous
        previous = snapshot
        if old.controllerReady != snapshot.controllerReady {
            out.append(controllerEvent(snapshot.controllerReady, epochSeconds: epochSeconds))
        }
        out += lifecycle(from: old, to: snapshot, epochSeconds: epochSeconds)
        let oldState = OctoPrintTopics.printerState(controllerReady: old.controllerReady, phase: old.job?.phase)
        let newState = OctoPrintTopics.printerState(controllerReady: snapshot.controllerReady, phase: snapshot.job?.phase)
        if oldState != newState {
            out.append(topics.event("PrinterStateChanged", [("state_id", .string(newState.id)), ("state_string", .string(newState.text))],
                                    epochSeconds: epochSeconds))
        }
        if let job = snapshot.job, !job.phase.isFetching {
            out += progress(job, percent: job.wholeProgress, epochSeconds: epochSeconds)
        }
        out += temperatures(snapshot.readings, nowMs: nowMs, epochSeconds: epochSeconds, force: false)
        // An event comes with the state it led to, whenever the state document last went out.
        out += state(snapshot, nowMs: nowMs, epochSeconds: epochSeconds, paced: out.isEmpty)
        if old.update?.version != snapshot.update?.version || old.update?.percent != snapshot.update?.percent
            || old.installedVersion != snapshot.installedVersion || old.availableVersion != snapshot.availableVersion {
            out.append(firmware(snapshot))
        }
        return out
    }

    /// What a new connection to the home broker announces: `connected`, then the current
    /// progress, temperatures, state document and firmware (all retained).
    public mutating func announcements(nowMs: Int64, epochSeconds: Int64) -> [Publication] {
        let snapshot = previous
        var out = [topics.connected]
        let path = lastProgress?.path ?? ""
        let location = snapshot.job.map { OctoPrintTopics.origin($0.source) } ?? ""
        out.append(topics.progress(location: path.isEmpty ? "" : location, path: path, percent: lastProgress?.percent ?? 0,
                                   epochSeconds: epochSeconds))
        out += temperatures(snapshot.readings, nowMs: nowMs, epochSeconds: epochSeconds, force: true)
        lastState = nil
        out += state(snapshot, nowMs: nowMs, epochSeconds: epochSeconds, paced: false)
        out.append(firmware(snapshot))
        return out
    }

    /// A file arrived through the LAN upload at `path` below the local storage: `Upload`, then `FileAdded`.
    public func uploaded(_ path: String, epochSeconds: Int64) -> [Publication] {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return [topics.event("Upload", [("name", .string(name)), ("path", .string(path)), ("target", .string("local")),
                                        ("select", .bool(false)), ("print", .bool(false)),
                                        ("effective_select", .bool(false)), ("effective_print", .bool(false))],
                             epochSeconds: epochSeconds),
                topics.event("FileAdded", OctoPrintTopics.fileFields(path, source: .local), epochSeconds: epochSeconds)]
    }

    /// A file at `path` below the root of `source` was deleted: `FileRemoved`.
    public func removed(_ path: String, source: PrintSource, epochSeconds: Int64) -> Publication {
        topics.event("FileRemoved", OctoPrintTopics.fileFields(path, source: source), epochSeconds: epochSeconds)
    }

    // MARK: Derived publications

    private func controllerEvent(_ ready: Bool, epochSeconds: Int64) -> Publication {
        guard ready else { return topics.event("Disconnected", [], epochSeconds: epochSeconds) }
        var fields: [(String, JSONValue)] = [("port", .string(port))]
        if let baudrate { fields.append(("baudrate", .int(baudrate))) }
        return topics.event("Connected", fields, epochSeconds: epochSeconds)
    }

    /// `ZChange` when the commanded height of `job` differs from that of `old`.
    private func zChange(from old: PrintJob?, to job: PrintJob, epochSeconds: Int64) -> [Publication] {
        guard let z = job.currentZ, z != old?.currentZ else { return [] }
        return [topics.event("ZChange", [("new", .number(z)), ("old", old?.currentZ.map { .number($0) } ?? .null)],
                             epochSeconds: epochSeconds)]
    }

    /// The print's events: the end of the job followed until now, its start, a pause, a
    /// resume, and each change of the commanded height (`ZChange`, retained, as OctoPrint
    /// fires it for every Z it sends, hops included).
    private mutating func lifecycle(from old: HomeSnapshot, to new: HomeSnapshot, epochSeconds: Int64) -> [Publication] {
        var out: [Publication] = []
        let oldJob = old.job.flatMap { $0.phase.isFetching ? nil : $0 }
        let newJob = new.job.flatMap { $0.phase.isFetching ? nil : $0 }
        if let ended = oldJob, newJob?.taskId != ended.taskId {
            let last = new.lastJob.flatMap { $0.taskId == ended.taskId ? $0 : nil } ?? ended
            // A height reached in the same turn as the end still comes before it.
            out += zChange(from: ended, to: last, epochSeconds: epochSeconds)
            out += endEvents(last, size: old.fileSize, failure: new.lastFailure, epochSeconds: epochSeconds)
        }
        guard let job = newJob else { return out }
        let fields = OctoPrintTopics.jobFields(job, size: new.fileSize)
        if oldJob?.taskId != job.taskId {
            out += events("PrintStarted", fields, epochSeconds: epochSeconds)
            lastProgress = nil
            return out + progress(job, percent: 0, epochSeconds: epochSeconds)
        }
        out += zChange(from: oldJob, to: job, epochSeconds: epochSeconds)
        let before = oldJob?.phase
        if job.phase == .paused, before != .paused {
            out += events("PrintPaused", fields, epochSeconds: epochSeconds)
        } else if job.phase == .printing, before == .paused || before == .resuming || before == .pausing {
            out += events("PrintResumed", fields, epochSeconds: epochSeconds)
        }
        return out
    }

    /// `PrintDone`; `PrintCancelled` then `PrintFailed` (`cancelled`); or `Error` then
    /// `PrintFailed` (`error`), as OctoPrint fires them, each with the print's `time` in seconds.
    private mutating func endEvents(_ job: PrintJob, size: Int64?, failure: String?, epochSeconds: Int64) -> [Publication] {
        let fields = OctoPrintTopics.jobFields(job, size: size) + [("time", .number(Double(job.activeMs) / 1000))]
        switch job.phase {
        case .finished:
            return events("PrintDone", fields, epochSeconds: epochSeconds) + progress(job, percent: 100, epochSeconds: epochSeconds)
        case .stopped:
            return events("PrintCancelled", fields, epochSeconds: epochSeconds)
                + [topics.event("PrintFailed", fields + [("reason", .string("cancelled"))], epochSeconds: epochSeconds)]
        default:
            return [topics.event("Error", [("error", .string(failure ?? "the print failed"))], epochSeconds: epochSeconds)]
                + events("PrintFailed", fields + [("reason", .string("error"))], epochSeconds: epochSeconds)
        }
    }

    /// OctoPrint event `name`, and the same on Home Assistant's event topic.
    private func events(_ name: String, _ fields: [(String, JSONValue)], epochSeconds: Int64) -> [Publication] {
        [topics.event(name, fields, epochSeconds: epochSeconds),
         Publication(topic: eventTopic, payload: JSONCodec.print(.object(JSONObject([("event_type", .string(name))]))))]
    }

    /// `progress/printing` when the whole percent or the file changed.
    private mutating func progress(_ job: PrintJob, percent: Int, epochSeconds: Int64) -> [Publication] {
        let path = job.relativePath
        if let last = lastProgress, last.path == path, last.percent == percent { return [] }
        lastProgress = (path, percent)
        return [topics.progress(location: OctoPrintTopics.origin(job.source), path: path, percent: percent,
                                epochSeconds: epochSeconds)]
    }

    /// `temperature/tool0` and `temperature/bed` that moved by `temperatureStep` (reading or
    /// target) and were not published within `minimumGapMs`; every known one when `force`.
    /// A heater with neither a reading nor a target is skipped, as the plugin does.
    private mutating func temperatures(_ readings: ControllerReadings, nowMs: Int64, epochSeconds: Int64,
                                       force: Bool) -> [Publication] {
        var out: [Publication] = []
        let heaters = [("tool0", readings.nozzleTemperature, readings.nozzleTarget),
                       ("bed", readings.bedTemperature, readings.bedTarget)]
        for (tool, actual, target) in heaters {
            guard actual != nil || target != nil else { continue }
            let now = (actual: actual ?? 0, target: target ?? 0)
            if !force, let last = lastTemperatures[tool] {
                let moved = abs(now.actual - last.actual) >= Self.temperatureStep - 1e-9
                    || abs(now.target - last.target) >= Self.temperatureStep - 1e-9
                guard moved, nowMs - last.at >= Self.minimumGapMs else { continue }
            }
            lastTemperatures[tool] = (now.actual, now.target, nowMs)
            out.append(topics.temperature(tool, actual: now.actual, target: now.target, epochSeconds: epochSeconds))
        }
        return out
    }

    /// The state document when it changed; when `paced`, at most once a second (and then it is
    /// not even built: this runs after every reactor callback, once per line streamed to a board).
    private mutating func state(_ snapshot: HomeSnapshot, nowMs: Int64, epochSeconds: Int64, paced: Bool) -> [Publication] {
        if paced, let last = lastState, nowMs - last.at < Self.minimumGapMs { return [] }
        let payload = JSONCodec.print(.object(Self.stateDocument(snapshot, epochSeconds: epochSeconds)))
        if let last = lastState, last.payload == payload { return [] }
        lastState = (payload, nowMs)
        return [Publication(topic: stateTopic, payload: payload, retain: true)]
    }

    /// The state document: `state` (`offline`, `idle` or the print's phase), `printing` and
    /// `paused` (`ON`/`OFF`), `progress`, `file`, `time_left` (seconds), `completion` (ISO 8601,
    /// UTC, to the minute), `layer`, `z` (mm), `total_layers` and `fan`; null where unknown.
    static func stateDocument(_ snapshot: HomeSnapshot, epochSeconds: Int64) -> JSONObject {
        let job = snapshot.job
        let state = job.map { $0.phase.rawValue } ?? (snapshot.controllerReady ? "idle" : "offline")
        let remaining = job.flatMap { $0.phase.isFetching ? nil : $0.remainingMinutes }
        let completion: JSONValue = remaining.map {
            .string(CivilTime.iso8601(epochSeconds: epochSeconds / 60 * 60 + Int64($0) * 60))
        } ?? .null
        let printing = job.map { !$0.phase.isFetching } ?? false
        return JSONObject([
            ("state", .string(state)),
            ("printing", .string(printing ? "ON" : "OFF")),
            ("paused", .string(job?.phase == .paused || job?.phase == .pausing ? "ON" : "OFF")),
            ("progress", .int(printing ? job?.wholeProgress ?? 0 : 0)),
            ("file", .string(job?.filename ?? "")),
            ("time_left", remaining.map { .int($0 * 60) } ?? .null),
            ("completion", completion),
            ("layer", job?.currentLayer.map { .int($0) } ?? .null),
            ("z", job?.currentZ.map { .number($0) } ?? .null),
            ("total_layers", job?.totalLayers.map { .int($0) } ?? .null),
            ("fan", .int(snapshot.readings.fanSpeedPercent ?? 0)),
        ])
    }

    /// The firmware document of Home Assistant's update entity: the installed version, the
    /// update on its way (else the one available) as the latest, whether it is installing and how far.
    private func firmware(_ snapshot: HomeSnapshot) -> Publication {
        let latest = snapshot.update?.version ?? snapshot.availableVersion ?? snapshot.installedVersion
        var document = JSONObject([("installed_version", .string(snapshot.installedVersion)),
                                   ("latest_version", .string(latest)),
                                   ("in_progress", .bool(snapshot.update != nil))])
        if let percent = snapshot.update?.percent { document["update_percentage"] = .int(percent) }
        return Publication(topic: updateTopic, payload: JSONCodec.print(.object(document)), retain: true)
    }
}
