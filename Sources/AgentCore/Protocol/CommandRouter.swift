/// Dispatches a command on its JSON `type` and `action` (never on the topic tail) to the
/// handler registered for it. Every command of the protocol is known to the router: one
/// without a handler yet answers `notAvailable`, one the protocol does not have answers
/// `unknownCommand`. The only commands met with silence (the acknowledgement alone) are
/// those the firmware itself stays silent on: queries about hardware the printer lacks.
public final class CommandRouter {
    /// Carries out one command and returns its report, or nil when the firmware answers
    /// nothing (the acknowledgement of its msgid is still sent).
    public typealias Handler = (Command) -> Report?

    /// The types and actions of `docs/protocol.md` (with the agent's own `ota/install` and `gcode/send`).
    public static let protocolCommands: [(type: String, actions: [String])] = [
        ("status", ["query"]),
        ("info", ["query"]),
        ("print", ["start", "pause", "resume", "stop", "cancel", "update", "query", "getSliceParam", "localtasktrans"]),
        ("file", ["listLocal", "listUdisk", "deleteLocal", "deleteUdisk", "deleteBatch", "fileDetails"]),
        ("ota", ["reportVersion", "update", "install"]),
        ("tempature", ["query", "set"]),
        ("fan", ["query", "set", "setSpeed"]),
        ("light", ["control", "query"]),
        ("video", ["startCapture", "stopCapture"]),
        ("peripherie", ["query"]),
        ("axis", ["move", "turnOff", "query"]),
        ("multiColorBox", ["getInfo"]),
        ("aiSettings", ["query"]),
        ("extfilbox", ["query"]),
        ("gcode", ["send"]),
    ]

    private var handlers: [String: Handler] = [:]

    /// Creates a router with no handlers.
    public init() {}

    /// Makes `handler` carry out `type`/`action`, which must be a command of the protocol.
    public func register(_ type: String, _ action: String, _ handler: @escaping Handler) {
        precondition(Self.isProtocolCommand(type, action), "not a protocol command: \(type)/\(action)")
        handlers[type + "/" + action] = handler
    }

    /// Makes `type`/`action` answer nothing, as the firmware does for a query about hardware
    /// the printer does not have (a colour box, AI detection, an external filament holder).
    public func registerSilent(_ type: String, _ action: String) {
        register(type, action) { _ in nil }
    }

    /// The report answering `command`, or nil when the command is answered with silence.
    public func route(_ command: Command) -> Report? {
        if let handler = handlers[command.type + "/" + command.action] { return handler(command) }
        let failure: CommandFailure
        if Self.isProtocolCommand(command.type, command.action) {
            failure = CommandFailure(.notAvailable, "\(command.type)/\(command.action) is not available in this version of the agent")
        } else if Self.protocolCommands.contains(where: { $0.type == command.type }) {
            failure = CommandFailure(.unknownCommand, "unknown action \"\(command.action)\" for type \"\(command.type)\"")
        } else {
            failure = CommandFailure(.unknownCommand, "unknown command type \"\(command.type)\"")
        }
        return .failure(type: command.type, action: command.action, msgid: command.msgid, failure)
    }

    private static func isProtocolCommand(_ type: String, _ action: String) -> Bool {
        protocolCommands.contains { $0.type == type && $0.actions.contains(action) }
    }
}
