import CLibc

/// Writes text to standard output or standard error whole (retrying short writes and EINTR).
public enum StandardStreams {
    /// Writes `text` to standard output.
    public static func out(_ text: String) { write(text, to: 1) }

    /// Writes `text` to standard error.
    public static func err(_ text: String) { write(text, to: 2) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = CLibc.write(fd, base + offset, buffer.count - offset)
                if written < 0, agent_errno() == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
