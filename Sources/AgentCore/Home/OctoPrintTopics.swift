import AgentJSON

/// The topics and payloads of the OctoPrint-MQTT plugin (OctoPrint/OctoPrint-MQTT,
/// `octoprint_mqtt/__init__.py`), under a configurable base: `event/<Event>` with the
/// OctoPrint event's payload plus `_event` and `_timestamp` (whole seconds), retained only for
/// `ZChange`; `progress/printing` (`location`, `path`, `progress`) and `temperature/<tool>`
/// (`actual`, `target`), retained; and `mqtt`, the will, `connected` or `disconnected`.
public struct OctoPrintTopics: Equatable {
    /// The prefix of every topic, ending in `/`.
    public let base: String

    /// The topics under `base`.
    public init(base: String) { self.base = base }

    /// The will's topic.
    public var lastWill: String { base + "mqtt" }

    /// `connected` (retained) on every connect.
    public var connected: Publication { Publication(topic: lastWill, payload: "connected", retain: true) }

    /// `disconnected` (retained): the will, and what a clean shutdown says.
    public var disconnected: Publication { Publication(topic: lastWill, payload: "disconnected", retain: true) }

    /// The topic of event `name`.
    public func event(_ name: String) -> String { base + "event/" + name }

    /// `event/<name>` with `fields`, `_event` and `_timestamp` (seconds since the epoch).
    public func event(_ name: String, _ fields: [(String, JSONValue)], epochSeconds: Int64) -> Publication {
        var payload = JSONObject(fields)
        payload["_event"] = .string(name)
        payload["_timestamp"] = .int64(epochSeconds)
        return Publication(topic: event(name), payload: JSONCodec.print(.object(payload)), retain: name == "ZChange")
    }

    /// `progress/printing`: the file's storage and path and the whole percent, retained.
    public func progress(location: String, path: String, percent: Int, epochSeconds: Int64) -> Publication {
        let payload = JSONObject([("location", .string(location)), ("path", .string(path)), ("progress", .int(percent)),
                                  ("_timestamp", .int64(epochSeconds))])
        return Publication(topic: base + "progress/printing", payload: JSONCodec.print(.object(payload)), retain: true)
    }

    /// `temperature/<tool>` (`tool0`, `bed`): the reading and the target, retained.
    public func temperature(_ tool: String, actual: Double, target: Double, epochSeconds: Int64) -> Publication {
        let payload = JSONObject([("actual", .number(actual)), ("target", .number(target)), ("_timestamp", .int64(epochSeconds))])
        return Publication(topic: temperatureTopic(tool), payload: JSONCodec.print(.object(payload)), retain: true)
    }

    /// The topic of `temperature/<tool>`.
    public func temperatureTopic(_ tool: String) -> String { base + "temperature/" + tool }

    /// OctoPrint's name of the storage a file is on: `local` for the internal storage,
    /// `sdcard` (the printer's own medium in OctoPrint's words) for the USB stick.
    public static func origin(_ source: PrintSource) -> String { source == .local ? "local" : "sdcard" }

    /// The payload fields of OctoPrint's print events (`PrintStarted`, `PrintPaused`, ...):
    /// `name`, `path`, `origin` and, when known, `size` in bytes.
    public static func jobFields(_ job: PrintJob, size: Int64?) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("name", .string(job.filename)), ("path", .string(job.relativePath)),
                                             ("origin", .string(origin(job.source)))]
        if let size { fields.append(("size", .int64(size))) }
        return fields
    }

    /// The payload fields of `FileAdded` and `FileRemoved` for the G-code file at `path` below
    /// the root of `source`.
    public static func fileFields(_ path: String, source: PrintSource) -> [(String, JSONValue)] {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return [("storage", .string(origin(source))), ("path", .string(path)), ("name", .string(name)),
                ("type", .array([.string("machinecode"), .string("gcode")]))]
    }

    /// OctoPrint's `state_id` and `state_string` for the printer: `OFFLINE` without a
    /// controller, `OPERATIONAL` without a print (a download included), else the print's.
    public static func printerState(controllerReady: Bool, phase: PrintPhase?) -> (id: String, text: String) {
        guard let phase, !phase.isFetching, !phase.isFinal else {
            return controllerReady ? ("OPERATIONAL", "Operational") : ("OFFLINE", "Offline")
        }
        switch phase {
        case .pausing: return ("PAUSING", "Pausing")
        case .paused: return ("PAUSED", "Paused")
        case .resuming: return ("RESUMING", "Resuming")
        case .stopping: return ("CANCELLING", "Cancelling")
        default: return ("PRINTING", "Printing")
        }
    }
}
