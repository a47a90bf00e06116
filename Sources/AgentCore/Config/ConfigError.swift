/// Why the agent cannot start with its configuration or identity: one line naming the
/// file, the line and what is wrong, e.g. `/etc/printer-agent/agent.conf:12: unknown key "brokr"`.
public struct ConfigError: Error, Equatable {
    /// Where the problem is: `file:line`, a file, or `command line (--option)`.
    public var origin: String
    /// What is wrong.
    public var message: String

    /// Creates an error at `origin`.
    public init(_ origin: String, _ message: String) {
        self.origin = origin
        self.message = message
    }

    /// The one line printed before the agent exits (control characters a file or the
    /// command line put in it are written as `\xNN`, so it stays one line).
    public var line: String { StoragePath.printable(origin.isEmpty ? message : "\(origin): \(message)") }
}
