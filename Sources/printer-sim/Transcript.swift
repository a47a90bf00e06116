import Glibc

/// The `--transcript` file: every line a simulator receives (`> line`) and sends
/// (`< line`), each appended with one write(2) so that a test can read it while the
/// simulator runs. Without a path nothing is written.
final class Transcript {
    private let fd: Int32

    /// Opens `path` for appending (created when missing), or writes nothing when nil.
    init(path: String?) throws {
        guard let path else {
            fd = -1
            return
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("--transcript \(path)") }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Records a line received from the host.
    func received(_ line: String) { append("> " + line) }

    /// Records a line sent to the host.
    func sent(_ line: String) { append("< " + line) }

    /// Records something the simulated hardware did (`# note`), such as an overflow.
    func note(_ text: String) { append("# " + text) }

    /// Appends `line` and a newline in one write.
    private func append(_ line: String) {
        guard fd >= 0 else { return }
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
