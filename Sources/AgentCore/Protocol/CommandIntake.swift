import AgentJSON

/// A message as it arrives from the broker.
public struct InboundMessage {
    /// The topic it was published on.
    public var topic: String
    /// Its payload bytes.
    public var payload: [UInt8]
    /// Whether the broker delivered it as a retained message.
    public var retained: Bool

    /// Creates a message.
    public init(topic: String, payload: [UInt8], retained: Bool) {
        self.topic = topic
        self.payload = payload
        self.retained = retained
    }
}

/// What the intake decided about a message.
public enum IntakeDecision: Equatable {
    /// A valid, new command: acknowledge it (when it has a msgid) and carry it out.
    case execute(Command)
    /// An invalid command: acknowledge it (when its msgid could be read) and publish the report.
    case reject(ackMsgid: String?, Report)
    /// Not for execution (retained, repeated, another device's): log the reason only.
    case ignore(String)
}

/// Turns broker messages into commands, applying the protocol's rules of hostile input:
/// foreign topics, retained messages and repeated msgids are ignored; oversized and
/// malformed payloads are answered with an error report.
public struct CommandIntake {
    /// The printer's topics.
    public let topics: DeviceTopics
    /// The largest payload accepted, in bytes.
    public let maxPayload: Int
    private var recent: RecentMessageIDs

    /// Creates an intake for the printer of `topics`.
    public init(topics: DeviceTopics, maxPayload: Int, recent: RecentMessageIDs = RecentMessageIDs()) {
        self.topics = topics
        self.maxPayload = maxPayload
        self.recent = recent
    }

    /// The type of reports about messages that could not be read as a command at all.
    public static let errorType = "error"

    /// Decides what to do with `message`, received at monotonic time `now` (milliseconds).
    public mutating func decide(_ message: InboundMessage, now: Int64) -> IntakeDecision {
        guard topics.isCommand(message.topic) else {
            return .ignore("ignored a message on \(message.topic): not a command topic of this printer")
        }
        if message.retained {
            return .ignore("ignored a retained message on \(message.topic): retained commands are never executed")
        }
        if message.payload.count > maxPayload {
            return .reject(ackMsgid: nil, Report.failure(
                type: Self.errorType, action: Self.errorType, msgid: nil,
                CommandFailure(.payloadTooLarge, "payload of \(message.payload.count) bytes on \(message.topic) is over the limit of \(maxPayload) bytes")))
        }
        let payload: JSONValue
        do {
            payload = try JSONCodec.parse(message.payload)
        } catch {
            return .reject(ackMsgid: nil, Report.failure(
                type: Self.errorType, action: Self.errorType, msgid: nil,
                CommandFailure(.badRequest, error.message)))
        }
        let command: Command
        do {
            command = try Command.parse(payload)
        } catch {
            return .reject(ackMsgid: error.msgid, Report.failure(
                type: error.type ?? Self.errorType, action: Self.errorType, msgid: error.msgid, error.failure))
        }
        if let msgid = command.msgid, !recent.isFirstSighting(msgid, now: now) {
            return .ignore("ignored \(command.type)/\(command.action) with msgid \(msgid): already received in the last \(recent.windowMs / 1000) s")
        }
        return .execute(command)
    }
}
