import AgentJSON

/// The request bodies of the OctoPrint-compatible API, read and checked: the commands of
/// `POST /api/job`, `POST /api/files/local/<path>`, `POST /api/printer/command`,
/// `/api/printer/tool` and `bed`, and the app-key request and decision. Every failure is a `badRequest` with a sentence saying what to send.
public enum OctoRequest {
    /// What `POST /api/job` asks for.
    public enum JobCommand: Equatable {
        /// Print the selected file.
        case start
        /// Stop the print.
        case cancel
        /// Pause (`pause`), resume (`resume`) or switch between them (`toggle`, or no action).
        case pause(PauseAction)
    }

    /// The `action` of a `pause` job command.
    public enum PauseAction: String, Equatable {
        case pause, resume, toggle
    }

    /// The body as a JSON object.
    public static func object(_ bytes: [UInt8]) throws(CommandFailure) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONCodec.parse(bytes)
        } catch {
            throw CommandFailure(.badRequest, "the body is not JSON: send a JSON object with \"command\"")
        }
        guard value.objectValue != nil else {
            throw CommandFailure(.badRequest, "the body is " + value.typeName + ", expected a JSON object")
        }
        return value
    }

    /// `{"command": "start" | "cancel" | "pause", "action": ...}`.
    public static func jobCommand(_ bytes: [UInt8]) throws(CommandFailure) -> JobCommand {
        let body = try object(bytes)
        let command = try CommandFields.string("command", in: body)
        switch command {
        case "start": return .start
        case "cancel": return .cancel
        case "pause":
            let word = try CommandFields.optionalString("action", in: body) ?? "toggle"
            guard let action = PauseAction(rawValue: word) else {
                throw CommandFailure(.badRequest, "\"action\" must be pause, resume or toggle, not " + StoragePath.quoted(word))
            }
            return .pause(action)
        default:
            throw CommandFailure(.badRequest, "\"command\" must be start, cancel or pause, not " + StoragePath.quoted(command)
                                 + " (restart is not supported)")
        }
    }

    /// `{"command": "select", "print": true|false}` on a file: whether to print it.
    public static func fileCommand(_ bytes: [UInt8]) throws(CommandFailure) -> Bool {
        let body = try object(bytes)
        let command = try CommandFields.string("command", in: body)
        guard command == "select" else {
            throw CommandFailure(.badRequest, "\"command\" must be select, not " + StoragePath.quoted(command)
                                 + " (slice, copy and move are not supported)")
        }
        return try yesOrNo("print", in: body) ?? false
    }

    /// `{"decision": true|false}` of `POST /plugin/appkeys/decision/<code>`: whether the
    /// owner approves the application's request.
    public static func decision(_ bytes: [UInt8]) throws(CommandFailure) -> Bool {
        guard let decision = try yesOrNo("decision", in: try object(bytes)) else {
            throw CommandFailure(.badRequest, "send {\"decision\": true} to approve the application, or false to deny it")
        }
        return decision
    }

    /// The field `name` of `body` as OctoPrint reads a yes-or-no: a JSON boolean, or a string
    /// `flag` reads; nil when it is missing or null.
    static func yesOrNo(_ name: String, in body: JSONValue) throws(CommandFailure) -> Bool? {
        switch body[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .string(let text)?: return flag(text)
        case let other?: throw CommandFailure(.badRequest, "\"" + name + "\" is " + other.typeName + ", expected true or false")
        }
    }

    /// `{"command": "G28"}` or `{"commands": ["G28", "M114"]}`: the G-code lines.
    public static func printerCommands(_ bytes: [UInt8]) throws(CommandFailure) -> [String] {
        let body = try object(bytes)
        if let one = try CommandFields.optionalString("command", in: body) { return [one] }
        guard case .array(let items)? = body["commands"] else {
            throw CommandFailure(.badRequest, "send \"command\" (one G-code line) or \"commands\" (an array of lines)")
        }
        guard !items.isEmpty, items.count <= ConsoleRequest.maxLines else {
            throw CommandFailure(.badRequest, "\"commands\" must hold 1 to " + String(ConsoleRequest.maxLines) + " lines")
        }
        var lines: [String] = []
        for item in items {
            guard let line = item.stringValue else {
                throw CommandFailure(.badRequest, "\"commands\" holds " + item.typeName + ", expected G-code lines as strings")
            }
            lines.append(line)
        }
        return lines
    }

    /// A heater's new target, as the data of `tempature/set` (which checks the range):
    /// `POST /api/printer/tool` `{"command": "target", "targets": {"tool0": t}}`, or with
    /// `bed`, `POST /api/printer/bed` `{"command": "target", "target": t}`.
    public static func heaterTarget(_ bytes: [UInt8], bed: Bool) throws(CommandFailure) -> JSONValue {
        let body = try object(bytes)
        let command = try CommandFields.string("command", in: body)
        guard command == "target" else {
            throw CommandFailure(.badRequest, "\"command\" must be target, not " + StoragePath.quoted(command)
                                 + " (offsets, extrusion and tool selection are not supported)")
        }
        let target: JSONValue?
        if bed {
            target = body["target"]
        } else {
            guard let targets = body["targets"]?.objectValue, targets.members.count == 1, let tool = targets["tool0"] else {
                throw CommandFailure(.badRequest, "\"targets\" must be {\"tool0\": <°C>}: the printer has one tool, tool0")
            }
            target = tool
        }
        guard let target, target.doubleValue != nil else {
            throw CommandFailure(.badRequest, "the target must be a temperature in °C")
        }
        return .object(JSONObject([(bed ? "target_hotbed_temp" : "target_nozzle_temp", target)]))
    }

    /// `{"app": name, "user": name}` of an app-key request: the application's name, 1 to
    /// 64 bytes with no control character.
    public static func appName(_ bytes: [UInt8]) throws(CommandFailure) -> String {
        let app = try CommandFields.string("app", in: try object(bytes))
        guard !app.isEmpty, app.utf8.count <= 64, !app.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw CommandFailure(.badRequest, "\"app\" must be the application's name, 1 to 64 characters")
        }
        return app
    }

    /// An OctoPrint form flag: `true`, `yes`, `y` or `1` (any case) is set, anything else not.
    public static func flag(_ text: String?) -> Bool {
        guard let text else { return false }
        let lowered = String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        return ["true", "yes", "y", "1"].contains(lowered)
    }

    /// The HTTP status of a failure's code: the code itself when it is an HTTP error status,
    /// 409 for a print that is active, 500 for anything else.
    public static func status(_ code: ReplyCode) -> Int {
        if code == .printActive { return 409 }
        return (400...599).contains(code.rawValue) ? code.rawValue : 500
    }
}
