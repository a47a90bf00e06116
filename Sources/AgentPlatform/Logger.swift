import AgentCore

/// Writes log lines to standard error (journald and syslog wrappers pick them up there),
/// each as `printer-agent[<level>]: <message>`, dropping lines below the configured level.
public final class Logger {
    /// The least important level written.
    public var level: LogLevel
    private let write: (String) -> Void

    /// Creates a logger writing `level` and above to `write` (standard error unless a test
    /// reads the lines itself).
    public init(level: LogLevel, write: @escaping (String) -> Void = StandardStreams.err) {
        self.level = level
        self.write = write
    }

    /// Writes `message` at `severity` when it is at or above the level.
    public func log(_ severity: LogLevel, _ message: String) {
        guard severity >= level else { return }
        write("printer-agent[\(severity.name)]: \(message)\n")
    }
}
