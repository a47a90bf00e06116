/// The integer `code` of a report: 200 is success, anything else an error (clients treat
/// only the integer 200 as success). The stock firmware's own codes are kept; the agent's
/// other errors use HTTP-like numbers, listed in docs/protocol.md ("Reply codes").
public struct ReplyCode: Equatable {
    /// The number on the wire.
    public var rawValue: Int

    /// Creates a code from its number.
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    /// The command was carried out.
    public static let ok = ReplyCode(200)
    /// The payload is not a JSON object, or a field is missing or of the wrong type.
    public static let badRequest = ReplyCode(400)
    /// The printer's configuration does not allow the command (a console command outside
    /// the allow-list, or the console off).
    public static let forbidden = ReplyCode(403)
    /// The `type` or `action` is not one the protocol knows.
    public static let unknownCommand = ReplyCode(404)
    /// The payload is over the configured size limit.
    public static let payloadTooLarge = ReplyCode(413)
    /// The command does not fit the printer's state (no print to pause, another task id).
    public static let conflict = ReplyCode(409)
    /// The motion controller failed, restarted or stopped answering; or the download server
    /// failed (an HTTP error, a dropped connection, a stall).
    public static let controllerFailed = ReplyCode(502)
    /// A downloaded file is not what was announced (size, MD5, signature), or a `.gcode.3mf`
    /// is damaged (truncated, sizes that cannot be true, a wrong CRC-32).
    public static let verificationFailed = ReplyCode(422)
    /// The disk is full.
    public static let insufficientStorage = ReplyCode(507)
    /// The task was stopped before it printed (`print/stop` during the download).
    public static let cancelled = ReplyCode(499)
    /// What the command needs is not there now (no controller connected).
    public static let unavailable = ReplyCode(503)
    /// The command is known but this build of the agent does not carry it out yet.
    public static let notAvailable = ReplyCode(501)
    /// Stock code: a print task is still active.
    public static let printActive = ReplyCode(10101)
}

/// A command that could not be carried out: the code and the sentence its report carries.
public struct CommandFailure: Error, Equatable {
    /// The report's `code`.
    public var code: ReplyCode
    /// The report's `msg`: what went wrong, in words a person can act on.
    public var message: String

    /// Creates a failure with a code and a message.
    public init(_ code: ReplyCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
