import CLibc

/// A failed system or library call: which call, on what, and errno's meaning
/// (the platform layer's one error type).
public struct SystemError: Error, Equatable {
    /// The call that failed, with what it was called on (`open /etc/x`).
    public var call: String
    /// The errno value, or 0 for errors that are not errno's.
    public var errno: Int32
    /// A sentence for people.
    public var message: String

    /// An error from errno as it is now.
    public static func fromErrno(_ call: String) -> SystemError {
        let code = agent_errno()
        return SystemError(call: call, errno: code, message: "\(call): \(describe(code))")
    }

    /// An error that is not errno's.
    public init(call: String, errno: Int32 = 0, message: String) {
        self.call = call
        self.errno = errno
        self.message = message
    }

    /// strerror's sentence for `code`.
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Calls `body` again while it fails with EINTR, and turns a -1 result into a `SystemError`
/// naming `call`, with errno read at once (the swift-nio model).
@inline(__always)
public func retryingEINTR<T: FixedWidthInteger>(_ call: @autoclosure () -> String,
                                                _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        if agent_errno() == EINTR { continue }
        throw SystemError.fromErrno(call())
    }
}
