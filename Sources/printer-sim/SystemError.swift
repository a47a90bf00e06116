import Glibc

/// A failed system call, described with errno's text: "bind /tmp/x.sock: Address in use".
struct SystemError: Error, CustomStringConvertible {
    let description: String

    /// Describes the call `what` with the current errno.
    init(_ what: String) {
        description = "\(what): \(String(cString: strerror(errno)))"
    }

    /// A failure with a sentence of its own (no errno).
    init(message: String) {
        description = message
    }
}
