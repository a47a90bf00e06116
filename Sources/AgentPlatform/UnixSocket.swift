import CLibc

/// Connections to a local stream socket, such as the motion controller's API socket
/// (Klipper's on `/tmp/unix_uds1` on Gen B printers).
public enum UnixSocket {
    /// Connects to the stream socket at `path` and returns the descriptor: non-blocking,
    /// close-on-exec, ready for a `StreamChannel`. A Unix socket connect completes or fails at
    /// once, so there is nothing to wait for. The errors (`SystemError.call` is
    /// `connect <path>`) say what a person can check: no socket at the path (ENOENT), a socket
    /// nobody listens on (ECONNREFUSED), a listener whose backlog is full (EAGAIN: try again
    /// later), a path that is empty, holds a NUL byte or is longer than an address holds.
    /// The descriptor is closed on every failure.
    public static func connect(_ path: String) throws(SystemError) -> Int32 {
        let call = "connect \(path)"
        if path.isEmpty {
            throw SystemError(call: call, errno: EINVAL, message: "connect: the controller's socket path is empty")
        }
        if path.utf8.contains(0) {
            throw SystemError(call: call, errno: EINVAL, message: "\(call): the path contains a NUL byte")
        }
        let limit = agent_unix_path_max()
        if path.utf8.count > limit {
            throw SystemError(call: call, errno: ENAMETOOLONG,
                              message: "\(call): the path is \(path.utf8.count) bytes, longer than the \(limit) a Unix socket address holds")
        }
        let descriptor = try retryingEINTR("socket for \(path)") { agent_unix_stream_socket() }
        if agent_unix_connect(descriptor, path) == 0 { return descriptor }
        let code = agent_errno()
        _ = close(descriptor)
        throw SystemError(call: call, errno: code, message: "\(call): \(explain(code))")
    }

    /// What `code` from connect(2) means for the person reading the log.
    private static func explain(_ code: Int32) -> String {
        switch code {
        case ENOENT:
            return "the controller's socket is not there (is its API server running, and is this the right path?)"
        case ECONNREFUSED:
            return "nobody listens on the controller's socket (its API server is not running or is restarting)"
        case EAGAIN:
            return "the controller's socket has too many connections waiting to be accepted; try again later"
        default:
            return SystemError.describe(code)
        }
    }
}
