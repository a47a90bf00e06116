import AgentJSON

/// A command to the printer, parsed from its JSON envelope:
/// `{"type", "action", "msgid", "timestamp", "data"}`.
public struct Command: Equatable {
    /// What the command is about (`status`, `info`, `file`, `print`, ...).
    public var type: String
    /// What to do (`query`, `start`, ...).
    public var action: String
    /// The sender's id of this command, echoed in the report; LAN clients' periodic
    /// queries have none.
    public var msgid: String?
    /// The sender's timestamp in milliseconds, when given.
    public var timestamp: Int64?
    /// The command's arguments: an object, or `.null` when absent.
    public var data: JSONValue

    /// Creates a command from its parts.
    public init(type: String, action: String, msgid: String? = nil, timestamp: Int64? = nil,
                data: JSONValue = .null) {
        self.type = type
        self.action = action
        self.msgid = msgid
        self.timestamp = timestamp
        self.data = data
    }

    /// Reads a command from a parsed payload. On failure the error carries what could be
    /// read of the envelope, so that the error report can still echo the msgid and type.
    public static func parse(_ payload: JSONValue) throws(CommandParseFailure) -> Command {
        guard let envelope = payload.objectValue else {
            throw CommandParseFailure(type: nil, msgid: nil,
                                      failure: CommandFailure(.badRequest, "the payload is \(payload.typeName), expected a JSON object"))
        }
        var msgid: String? = nil
        var problem: String? = nil
        func note(_ sentence: String) { if problem == nil { problem = sentence } }

        switch envelope["msgid"] {
        case nil, .null?: break
        case .string(let value)?: msgid = value
        case let other?: note("\"msgid\" is \(other.typeName), expected a string")
        }
        func word(_ key: String) -> String? {
            switch envelope[key] {
            case nil: note("\"\(key)\" is missing")
            case .string(let value)? where !value.isEmpty: return value
            case .string?: note("\"\(key)\" is empty")
            case let other?: note("\"\(key)\" is \(other.typeName), expected a string")
            }
            return nil
        }
        var type = word("type")
        if let name = type, !IdentityRules.isSafeLevel(name) {
            note("\"type\" must be 1 to 64 letters, digits, - or _: it names the topic of the report")
            type = nil
        }
        let action = word("action")
        var timestamp: Int64? = nil
        switch envelope["timestamp"] {
        case nil, .null?: break
        case let value?:
            timestamp = value.int64Value
            if timestamp == nil { note("\"timestamp\" must be an integer number of milliseconds") }
        }
        let data = envelope["data"] ?? .null
        switch data {
        case .null, .object: break
        default: note("\"data\" is \(data.typeName), expected an object or null")
        }
        if let problem {
            throw CommandParseFailure(type: type, msgid: msgid, failure: CommandFailure(.badRequest, problem))
        }
        guard let type, let action else {
            throw CommandParseFailure(type: type, msgid: msgid, failure: CommandFailure(.badRequest, "incomplete envelope"))
        }
        return Command(type: type, action: action, msgid: msgid, timestamp: timestamp, data: data)
    }
}

/// A payload that is JSON but not a valid command envelope.
public struct CommandParseFailure: Error, Equatable {
    /// The `type`, when it could be read (the error report is published under it).
    public var type: String?
    /// The `msgid`, when it could be read (the error report echoes it).
    public var msgid: String?
    /// What is wrong.
    public var failure: CommandFailure
}
