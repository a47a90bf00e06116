import AgentJSON

/// A report the printer publishes on `.../<type>/report`, in the envelope
/// `{"type", "action", "msgid", "timestamp", "state", "code", "msg", "data"}`.
public struct Report: Equatable {
    /// The report's type (the topic level before `/report`).
    public var type: String
    /// The report's action (may differ from the command's, e.g. `workReport`).
    public var action: String
    /// The msgid of the command answered, or nil for a pushed report (a fresh one is made).
    public var msgid: String?
    /// The state word (`done`, `success`, `failed`, `free`, `online`, a progress word).
    public var state: String
    /// 200 or an error code.
    public var code: ReplyCode
    /// A sentence for people: "ok" on success, what went wrong on failure.
    public var message: String
    /// The report's payload data, or `.null`.
    public var data: JSONValue

    /// Creates a report from its parts.
    public init(type: String, action: String, msgid: String?, state: String,
                code: ReplyCode = .ok, message: String = "ok", data: JSONValue = .null) {
        self.type = type
        self.action = action
        self.msgid = msgid
        self.state = state
        self.code = code
        self.message = message
        self.data = data
    }

    /// The successful answer to `command`.
    public static func success(_ command: Command, state: String = "done", data: JSONValue = .null) -> Report {
        Report(type: command.type, action: command.action, msgid: command.msgid, state: state, data: data)
    }

    /// The `failed` answer to a command of `type`/`action` with the failure's code and message.
    public static func failure(type: String, action: String, msgid: String?, _ failure: CommandFailure) -> Report {
        Report(type: type, action: action, msgid: msgid, state: "failed", code: failure.code,
               message: failure.message)
    }

    /// The report `body` gives for `command` (nil: none now), or the `failed` answer of the
    /// failure it throws.
    public static func answering(_ command: Command, _ body: (Command) throws(CommandFailure) -> Report?) -> Report? {
        do {
            return try body(command)
        } catch {
            return .failure(type: command.type, action: command.action, msgid: command.msgid, error)
        }
    }

    /// The envelope as JSON text. `msgid` is this report's, or `freshMsgid` for a pushed
    /// report; `timestamp` is wall-clock milliseconds.
    public func payload(timestamp: Int64, freshMsgid: String) -> String {
        JSONCodec.print(.object(JSONObject([
            ("type", .string(type)),
            ("action", .string(action)),
            ("msgid", .string(msgid ?? freshMsgid)),
            ("timestamp", .int64(timestamp)),
            ("state", .string(state)),
            ("code", .int(code.rawValue)),
            ("msg", .string(message)),
            ("data", data),
        ])))
    }

    /// The bare acknowledgement published on `.../response`: exactly one key.
    public static func acknowledgement(msgid: String) -> String {
        JSONCodec.print(.object(JSONObject([("msgid", .string(msgid))])))
    }
}
