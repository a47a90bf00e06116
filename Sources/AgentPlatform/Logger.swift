import AgentCore

/// Writes log lines to standard error (journald and syslog wrappers pick them up there),
/// each as `printer-agent[<level>]: <message>`, dropping lines below the configured level.
public final class Logger {
    /// The least important level written.
    public var level: LogLevel

    /// Creates a logger writing `level` and above.
    public init(level: LogLevel) { self.level = level }

    /// Writes `message` at `severity` when it is at or above the level.
    public func log(_ severity: LogLevel, _ message: String) {
        guard severity >= level else { return }
        StandardStreams.err("printer-agent[\(severity.name)]: \(message)\n")
    }
}
