import AgentJSON

/// The JSON documents of the OctoPrint-compatible API (docs/octoprint-api.md), shaped as
/// OctoPrint 1.10 answers them, with the fields its clients (slicers, Home Assistant's
/// `pyoctoprintapi`, `octorest`, Cura's plugin) read.
public enum OctoDocuments {
    /// The OctoPrint version the API answers as.
    public static let serverVersion = "1.10.3"
    /// The API version OctoPrint 1.10 reports.
    public static let apiVersion = "0.1"

    /// `GET /api/version`.
    public static func version() -> JSONValue {
        .object(JSONObject([("api", .string(apiVersion)), ("server", .string(serverVersion)),
                            ("text", .string("OctoPrint " + serverVersion))]))
    }

    /// `GET /api/server`, with the agent's own `printer` object (the web page shows it): the
    /// printer's name and model, its firmware's version (null when unknown), the agent's, and
    /// the firmware update under way (`ota`: its `version` and `percent`; null when none).
    public static func server(_ state: PrinterState, ota: (version: String, percent: Int)?) -> JSONValue {
        let update = ota.map { JSONValue.object(JSONObject([("version", .string($0.version)), ("percent", .int($0.percent))])) }
        let printer = JSONObject([
            ("name", .string(state.printerName)), ("model", .string(state.modelName)),
            ("firmware", state.firmwareVersion.map(JSONValue.string) ?? .null), ("agent", .string(state.agentVersion)),
            ("ota", update ?? .null),
        ])
        return .object(JSONObject([("version", .string(serverVersion)), ("safemode", .null), ("printer", .object(printer))]))
    }

    /// `POST /api/login` with the API key: the API user, an administrator.
    public static func login(session: String) -> JSONValue {
        .object(JSONObject([
            ("_is_external_client", .bool(false)), ("_login_mechanism", .string("apikey")),
            ("name", .string("_api")), ("active", .bool(true)), ("user", .bool(true)), ("admin", .bool(true)),
            ("apikey", .null), ("settings", .object(JSONObject())), ("groups", .array([.string("admins"), .string("users")])),
            ("permissions", .array([])), ("roles", .array([.string("admin"), .string("user")])),
            ("session", .string(session)),
        ]))
    }

    /// `GET /api/plugin/appkeys`, as OctoPrint's app-key plugin answers it: `keys` (none: the
    /// agent has one key, not one for each application) and `pending`, the requests `waiting`
    /// for the owner's decision keyed by the code that decides them (OctoPrint's `user_token`),
    /// each with `app_id`, `user_id` (null: any user may decide) and `user_token`, and the
    /// agent's own `age`, the seconds since the request was made at `now`.
    public static func appKeys(waiting: [AppKeyRequests.Pending], now: Int64) -> JSONValue {
        let pending = waiting.map { request in
            (request.code, JSONValue.object(JSONObject([
                ("app_id", .string(request.app)), ("user_id", .null), ("user_token", .string(request.code)),
                ("age", .int(Int((now - request.madeMs) / 1000))),
            ])))
        }
        return .object(JSONObject([("keys", .array([])), ("pending", .object(JSONObject(pending)))]))
    }

    /// The UUID OctoPrint's discovery plugin announces (`plugins.discovery.upnpUuid`, the
    /// mDNS `uuid`): version 3, from the MD5 of the device id, so it stays the same.
    public static func uuid(deviceIdMD5: [UInt8]) -> String { MessageID.uuid(from: deviceIdMD5, version: 3) }

    /// `GET /api/settings`: the printer's name, no webcam, the discovery UUID; `sdSupport`
    /// on, the USB stick being the `sdcard` origin.
    public static func settings(name: String, uuid: String) -> JSONValue {
        let webcam = JSONObject([
            ("webcamEnabled", .bool(false)), ("timelapseEnabled", .bool(false)), ("streamUrl", .string("")),
            ("snapshotUrl", .string("")), ("snapshotSslValidation", .bool(true)), ("bitrate", .string("10000k")),
            ("flipH", .bool(false)), ("flipV", .bool(false)), ("rotate90", .bool(false)),
        ])
        let discovery = JSONObject([
            ("upnpUuid", .string(uuid)), ("publicHost", .null), ("publicPort", .null),
            ("httpUsername", .null), ("httpPassword", .null), ("pathPrefix", .null),
        ])
        return .object(JSONObject([
            ("api", .object(JSONObject([("allowCrossOrigin", .bool(false))]))),
            ("appearance", .object(JSONObject([("name", .string(name)), ("color", .string("default"))]))),
            ("feature", .object(JSONObject([("sdSupport", .bool(true))]))),
            ("plugins", .object(JSONObject([("discovery", .object(discovery))]))),
            ("webcam", .object(webcam)),
        ]))
    }

    /// `GET /api/printerprofiles`: one profile, `_default`, for the printer's model (one
    /// extruder, a heated bed; the build volume is not known to the agent and left out).
    public static func printerProfiles(name: String, model: String) -> JSONValue {
        let profile = JSONObject([
            ("id", .string("_default")), ("name", .string(name)), ("model", .string(model)),
            ("color", .string("default")), ("default", .bool(true)), ("current", .bool(true)),
            ("heatedBed", .bool(true)), ("heatedChamber", .bool(false)),
            ("extruder", .object(JSONObject([("count", .int(1)), ("sharedNozzle", .bool(false)),
                                             ("offsets", .array([.array([.int(0), .int(0)])]))]))),
        ])
        return .object(JSONObject([("profiles", .object(JSONObject([("_default", .object(profile))])))]))
    }

    /// `GET /api/connection`: the controller's port (its serial device or Klipper socket) and
    /// speed, the one profile; the agent connects by itself, so the options offer only these.
    public static func connection(state: OctoState, port: String?, baudrate: Int?) -> JSONValue {
        let portValue = port.map(JSONValue.string) ?? .null
        let baudValue = baudrate.map(JSONValue.int) ?? .null
        return .object(JSONObject([
            ("current", .object(JSONObject([("state", .string(state.text)), ("port", portValue), ("baudrate", baudValue),
                                            ("printerProfile", .string("_default"))]))),
            ("options", .object(JSONObject([
                ("ports", .array(port.map { [.string($0)] } ?? [])), ("baudrates", .array(baudrate.map { [.int($0)] } ?? [])),
                ("printerProfiles", .array([.object(JSONObject([("id", .string("_default")), ("name", .string("_default"))]))])),
                ("portPreference", portValue), ("baudratePreference", baudValue),
                ("printerProfilePreference", .string("_default")), ("autoconnect", .bool(true)),
            ]))),
        ]))
    }

    /// `GET /api/printer`: the temperatures (`tool0`, `bed`), whether a USB stick is there
    /// (`sd.ready`: the `sdcard` origin), the state.
    public static func printer(_ readings: ControllerReadings, state: OctoState) -> JSONValue {
        func heater(_ actual: Double?, _ target: Double?) -> JSONValue {
            .object(JSONObject([("actual", actual.map(JSONValue.number) ?? .null),
                                ("target", target.map(JSONValue.number) ?? .null), ("offset", .int(0))]))
        }
        return .object(JSONObject([
            ("temperature", .object(JSONObject([
                ("tool0", heater(readings.nozzleTemperature, readings.nozzleTarget)),
                ("bed", heater(readings.bedTemperature, readings.bedTarget)),
            ]))),
            ("sd", .object(JSONObject([("ready", .bool(state.sdReady))]))),
            ("state", .object(JSONObject([("text", .string(state.text)), ("flags", .object(state.flags))]))),
        ]))
    }

    /// `GET /api/job`: the active task's file and progress (every field null without one).
    /// `size` and `date` are the file's, when the caller could read them.
    public static func job(_ job: PrintJob?, state: OctoState, size: Int64?, dateSeconds: Int64?) -> JSONValue {
        let file: JSONObject
        let progress: JSONObject
        var estimate = JSONValue.null
        var filament = JSONValue.null
        if let job {
            file = JSONObject([
                ("name", .string(job.filename)), ("display", .string(job.filename)),
                ("path", .string(job.relativePath)), ("origin", .string(origin(job.source))),
                ("size", size.map(JSONValue.int64) ?? .null), ("date", dateSeconds.map(JSONValue.int64) ?? .null),
            ])
            let printSeconds = job.activeMs / 1000
            progress = JSONObject([
                ("completion", .number(job.progress)), ("filepos", .null),
                ("printTime", .int64(printSeconds)),
                ("printTimeLeft", job.remainingMinutes.map { .int64(Int64($0) * 60) } ?? .null),
                ("printTimeLeftOrigin", .string(job.slicerRemainingMinutes != nil ? "estimate" : "linear")),
                ("layer", job.currentLayer.map(JSONValue.int) ?? .null), ("layerCount", job.totalLayers.map(JSONValue.int) ?? .null),
            ])
            estimate = job.estimatedSeconds.map(JSONValue.int64) ?? .null
            if let length = job.filamentLengthMm {
                filament = .object(JSONObject([("tool0", .object(JSONObject([("length", .number(length)), ("volume", .null)])))]))
            }
        } else {
            file = JSONObject([("name", .null), ("display", .null), ("path", .null), ("origin", .null),
                               ("size", .null), ("date", .null)])
            progress = JSONObject([("completion", .null), ("filepos", .null), ("printTime", .null),
                                   ("printTimeLeft", .null), ("printTimeLeftOrigin", .null), ("layer", .null),
                                   ("layerCount", .null)])
        }
        return .object(JSONObject([
            ("job", .object(JSONObject([("file", .object(file)), ("estimatedPrintTime", estimate),
                                        ("lastPrintTime", .null), ("filament", filament), ("user", .string("_api"))]))),
            ("progress", .object(progress)),
            ("state", .string(state.text)),
        ]))
    }

    /// OctoPrint's name of a storage: `local`, or `sdcard` for the USB stick (OctoPrint's
    /// second origin).
    public static func origin(_ source: PrintSource) -> String { source == .local ? "local" : "sdcard" }

    /// One entry of a file listing, at `path` below the root of `source`'s storage (no
    /// leading `/`); `base` is the API's URL (`http://host:port`) the `refs` point into;
    /// `children`, for a folder listed recursively. A USB stick's file is an `sdcard` entry
    /// as OctoPrint makes it of an SD card's: its `name` is its whole path, `display` its name.
    public static func fileEntry(_ entry: FileEntry, path: String, base: String, source: PrintSource = .local,
                                 children: [JSONValue]? = nil) -> JSONValue {
        var object = JSONObject([
            ("name", .string(source == .local ? entry.name : path)), ("display", .string(entry.name)), ("path", .string(path)),
            ("origin", .string(origin(source))),
        ])
        if entry.isDirectory {
            object["type"] = .string("folder")
            object["typePath"] = .array([.string("folder")])
            if let children { object["children"] = .array(children) }
        } else {
            object["type"] = .string("machinecode")
            object["typePath"] = .array([.string("machinecode"), .string("gcode")])
            object["size"] = .int64(entry.size)
            object["date"] = .int64(entry.modifiedMs / 1000)
        }
        object["refs"] = .object(JSONObject([("resource", .string(resource(path, base: base, source: source)))]))
        return .object(object)
    }

    /// `GET /api/files` and `/api/files/local`: the entries and the free space; `GET
    /// /api/files/sdcard` (`freeBytes` nil): the entries only, as OctoPrint answers for its SD card.
    public static func files(_ entries: [JSONValue], freeBytes: Int64?, withFree: Bool = true) -> JSONValue {
        var object = JSONObject([("files", .array(entries))])
        if withFree { object["free"] = freeBytes.map(JSONValue.int64) ?? .null }
        return .object(object)
    }

    /// The answer to an upload (201): the stored file at `path`, and what was done with it.
    public static func uploaded(name: String, path: String, base: String, selected: Bool, printed: Bool) -> JSONValue {
        let local = JSONObject([
            ("name", .string(name)), ("display", .string(name)), ("path", .string(path)), ("origin", .string("local")),
            ("refs", .object(JSONObject([("resource", .string(resource(path, base: base)))]))),
        ])
        return .object(JSONObject([
            ("files", .object(JSONObject([("local", .object(local))]))), ("done", .bool(true)),
            ("effectiveSelect", .bool(selected)), ("effectivePrint", .bool(printed)),
        ]))
    }

    /// The URL of the file at `path` (below the root of `source`'s storage) on the API at `base`.
    public static func resource(_ path: String, base: String, source: PrintSource = .local) -> String {
        base + "/api/files/" + origin(source) + "/" + escaped(path)
    }

    /// An error answer: `{"error": message}`, as OctoPrint 1.10 answers an API error.
    public static func error(_ message: String) -> JSONValue {
        .object(JSONObject([("error", .string(message))]))
    }

    /// `path` percent-encoded for a URL, its `/` kept.
    public static func escaped(_ path: String) -> String { AsciiText.percentEncoded(path, keeping: [UInt8(ascii: "/")]) }
}
