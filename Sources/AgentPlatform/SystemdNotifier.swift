import CLibc

/// Tells systemd that the agent is ready and alive over `NOTIFY_SOCKET` (sd_notify's
/// protocol, without linking libsystemd): `READY=1` once, then `WATCHDOG=1` at half the
/// `WATCHDOG_USEC` interval. Does nothing when systemd did not set the variables.
public struct SystemdNotifier {
    /// The socket path from `NOTIFY_SOCKET` (a leading `@` is an abstract socket).
    public let socketPath: String?
    /// How often to ping the watchdog, in milliseconds (nil: no watchdog).
    public let watchdogIntervalMs: Int64?

    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC` (ignored when `WATCHDOG_PID` names another process).
    public init() {
        socketPath = Environment.value("NOTIFY_SOCKET").flatMap { $0.isEmpty ? nil : $0 }
        var interval: Int64? = nil
        if let usec = Environment.value("WATCHDOG_USEC").flatMap({ Int64($0) }), usec > 0 {
            let pid = Environment.value("WATCHDOG_PID").flatMap { Int32($0) }
            if pid == nil || pid == getpid() { interval = max(usec / 2000, 1) }
        }
        watchdogIntervalMs = socketPath == nil ? nil : interval
    }

    /// Sends `state` (e.g. `READY=1`); a failure is returned for the log, never fatal.
    public func notify(_ state: String) -> SystemError? {
        guard let socketPath else { return nil }
        var text = state
        let result = text.withUTF8 { agent_send_unix_datagram(socketPath, $0.baseAddress, $0.count) }
        return result == 0 ? nil : SystemError.fromErrno("sd_notify \(socketPath)")
    }
}

/// The process environment.
public enum Environment {
    /// The value of the variable `name`, or nil.
    public static func value(_ name: String) -> String? {
        guard let text = getenv(name) else { return nil }
        return String(cString: text)
    }
}
