import AgentJSON

/// What a request to Klipper's API server was for (and so which method it calls).
public enum KlipperRequest: Equatable {
    /// `info`: Klipper's state and version.
    case identify
    /// `objects/subscribe` of `KlipperStatus.subscribedObjects` (all fields), with pushes
    /// sent as `notify_status_update`.
    case subscribe
    /// `gcode/subscribe_output`: what G-code commands print, pushed as `notify_gcode_response`.
    case subscribeOutput
    /// `gcode/script` with this script.
    case script(String)
    /// `gcode/script` with this script, whose outcome someone waits for (a move, a console
    /// command): told apart from the scripts sent without waiting.
    case run(String)
    /// `pause_resume/pause`.
    case pause
    /// `pause_resume/resume`.
    case resume
    /// `pause_resume/cancel`.
    case cancel

    /// The API method the request calls.
    public var method: String {
        switch self {
        case .identify: return "info"
        case .subscribe: return "objects/subscribe"
        case .subscribeOutput: return "gcode/subscribe_output"
        case .script, .run: return "gcode/script"
        case .pause: return "pause_resume/pause"
        case .resume: return "pause_resume/resume"
        case .cancel: return "pause_resume/cancel"
        }
    }

    /// The request's `params` object.
    var params: JSONObject {
        switch self {
        case .identify, .pause, .resume, .cancel:
            return JSONObject()
        case .subscribe:
            let objects = JSONObject(KlipperStatus.subscribedObjects.map { ($0, JSONValue.null) })
            return JSONObject([("objects", .object(objects)),
                               ("response_template", .object(JSONObject([("method", .string(KlipperClient.pushMethod))])))])
        case .subscribeOutput:
            return JSONObject([("response_template", .object(JSONObject([("method", .string(KlipperClient.outputMethod))])))])
        case .script(let script), .run(let script):
            return JSONObject([("script", .string(script))])
        }
    }
}

/// What a frame from Klipper, or the loss of the connection, means to the backend.
public enum KlipperEvent: Equatable {
    /// `KlipperClient.status` now holds new values (the subscription's reply or a push).
    case statusChanged
    /// A line of G-code output (`M114`'s position, `// Unknown command`, a `RESPOND`).
    case output(String)
    /// Klipper answered this request with a result.
    case succeeded(KlipperRequest)
    /// Klipper answered this request with an error (its message), or the request can no
    /// longer be answered because the connection closed.
    case failed(KlipperRequest, String)
    /// A frame that is not JSON, not an object, a reply to no pending request or a message
    /// of no known kind: the backend logs it and the connection goes on.
    case protocolError(String)
}

/// Klipper's API protocol as a pure state machine (design decision 3): it builds request
/// frames with fresh ids, remembers what each pending request was for, matches replies by id
/// in whatever order they come, and merges the subscription's status pushes into `status`.
/// It never trusts a frame: anything malformed becomes a `protocolError` event.
public struct KlipperClient {
    /// The `method` of the subscription's pushes (the subscribe request's response template).
    static let pushMethod = "notify_status_update"
    /// The `method` of the G-code output's pushes (the output subscription's response template).
    static let outputMethod = "notify_gcode_response"
    /// The message of every request failed by `connectionLost()`.
    public static let connectionClosedMessage = "the connection to the controller closed"
    /// The largest id before numbering starts again at 1 (the same on 32- and 64-bit boards,
    /// and exact as a JSON number).
    static let maxId = Int(Int32.max)

    /// A request sent and not answered yet.
    private struct Pending {
        var id: Int
        var request: KlipperRequest
    }

    /// The merged state of the subscribed objects; kept across reconnects.
    public private(set) var status = KlipperStatus()
    private var pending: [Pending] = []
    /// The id of the latest request (0 before the first); internal so that tests can start
    /// near `maxId` to see the numbering wrap.
    var lastId = 0

    /// A client with no request sent and no status known.
    public init() {}

    /// How many requests wait for their reply.
    public var pendingCount: Int { pending.count }

    /// The frame of `request` (its JSON and the 0x03 terminator) under a fresh id, which is
    /// remembered until its reply comes or the connection is lost.
    public mutating func request(_ request: KlipperRequest) -> [UInt8] {
        let id = freshId()
        pending.append(Pending(id: id, request: request))
        let message = JSONObject([("id", .int(id)), ("method", .string(request.method)), ("params", .object(request.params))])
        var bytes = Array(JSONCodec.print(.object(message)).utf8)
        bytes.append(0x03)
        return bytes
    }

    /// What one frame (without its 0x03) says: a reply to a pending request, or a status push.
    public mutating func handle(frame: [UInt8]) -> [KlipperEvent] {
        let message: JSONObject
        do {
            guard let object = try JSONCodec.parse(frame).objectValue else {
                return [.protocolError("the controller sent a frame that is not a JSON object: \(Self.excerpt(frame))")]
            }
            message = object
        } catch {
            return [.protocolError("the controller sent a frame that is not JSON (\(error.message)): \(Self.excerpt(frame))")]
        }
        if let id = message["id"], id != .null { return reply(id: id, message) }
        if message["method"]?.stringValue == Self.pushMethod {
            guard let delta = message["params"]?["status"]?.objectValue else {
                return [.protocolError("the controller sent a status update without a status object: \(Self.excerpt(frame))")]
            }
            status.apply(delta)
            return [.statusChanged]
        }
        if message["method"]?.stringValue == Self.outputMethod, let line = message["params"]?["response"]?.stringValue {
            return [.output(line)]
        }
        return [.protocolError("the controller sent a message that is neither a reply nor a status update: \(Self.excerpt(frame))")]
    }

    /// The connection closed: every pending request fails (in the order they were sent) and
    /// will never be answered. `status` is kept: the print's state survives a reconnect.
    public mutating func connectionLost() -> [KlipperEvent] {
        let failed = pending.map { KlipperEvent.failed($0.request, Self.connectionClosedMessage) }
        pending.removeAll()
        return failed
    }

    /// The events of a reply carrying `id`.
    private mutating func reply(id: JSONValue, _ message: JSONObject) -> [KlipperEvent] {
        guard let number = id.int64Value, let index = pending.firstIndex(where: { Int64($0.id) == number }) else {
            return [.protocolError("the controller replied to a request it was not sent (id \(Self.excerpt(Array(JSONCodec.print(id).utf8))))")]
        }
        let request = pending.remove(at: index).request
        if let error = message["error"] {
            return [.failed(request, Self.errorMessage(error, of: request))]
        }
        guard let result = message["result"] else {
            return [.failed(request, "the controller's reply to \(request.method) has neither a result nor an error")]
        }
        guard request == .subscribe else { return [.succeeded(request)] }
        guard let full = result["status"]?.objectValue else {
            return [.failed(request, "the controller's reply to \(request.method) carries no status object")]
        }
        status.apply(full)
        return [.statusChanged, .succeeded(request)]
    }

    /// The sentence of a reply's `error` (`{"error": <kind>, "message": <sentence>}`).
    private static func errorMessage(_ error: JSONValue, of request: KlipperRequest) -> String {
        if let message = error["message"]?.stringValue, !message.isEmpty { return message }
        if let kind = error["error"]?.stringValue, !kind.isEmpty { return kind }
        if let text = error.stringValue, !text.isEmpty { return text }
        return "the controller refused \(request.method) without saying why"
    }

    /// The next id after `lastId` that no pending request holds, from 1 up to `maxId` and
    /// round again.
    private mutating func freshId() -> Int {
        repeat {
            lastId = lastId >= Self.maxId ? 1 : lastId + 1
        } while pending.contains { $0.id == lastId }
        return lastId
    }

    /// The start of `frame` for a log line: at most 120 bytes, with bytes other than
    /// printable ASCII shown as `.`, and its size when it is longer.
    private static func excerpt(_ frame: [UInt8]) -> String {
        let limit = 120
        let shown = frame.prefix(limit).map { byte -> UInt8 in
            byte >= 0x20 && byte < 0x7F ? byte : UInt8(ascii: ".")
        }
        let text = String(decoding: shown, as: UTF8.self)
        return frame.count > limit ? "\(text)... (\(frame.count) bytes)" : text
    }
}
