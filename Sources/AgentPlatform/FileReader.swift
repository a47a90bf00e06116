import CLibc

/// Reads small files whole (configuration, identity, version files), with a size limit
/// so that a wrong path to a huge file cannot exhaust memory.
public enum FileReader {
    /// The bytes of the file at `path`, at most `limit` bytes (a larger file is an error).
    public static func read(_ path: String, limit: Int = 1 << 20) throws(SystemError) -> [UInt8] {
        let fd = try retryingEINTR("open \(path)") { agent_open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try retryingEINTR("read \(path)") {
                chunk.withUnsafeMutableBytes { CLibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                throw SystemError(call: "read \(path)", message: "\(path): file is larger than \(limit) bytes")
            }
        }
    }

    /// The first line of the file at `path` (a password file), without its line end.
    public static func firstLine(_ path: String) throws(SystemError) -> String {
        let bytes = try read(path, limit: 4096)
        let line = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first.map { Array($0) } ?? []
        return String(decoding: line, as: UTF8.self)
    }

    /// Whether `path` names an existing regular file (or a link to one) that this process may read.
    public static func isReadable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else { return false }
        return access(path, R_OK) == 0
    }

    /// The size in bytes of the regular file at `path`, or nil when there is none.
    public static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else { return nil }
        return Int64(info.st_size)
    }
}

/// Writes small existing files whole (a Linux LED's `brightness`).
public enum FileWriter {
    /// Replaces the contents of the existing file at `path` with `bytes` (it is not created).
    public static func overwrite(_ path: String, _ bytes: [UInt8]) throws(SystemError) {
        let fd = try retryingEINTR("open \(path)") { agent_open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = try retryingEINTR("write \(path)") {
                bytes[written...].withUnsafeBytes { CLibc.write(fd, $0.baseAddress, $0.count) }
            }
            written += count
        }
    }
}
