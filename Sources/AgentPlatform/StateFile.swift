import AgentCore
import CLibc

/// A small file the agent keeps in its state directory (the record of a firmware update
/// across its reboot, the last task number): read whole, and written through a synced
/// temporary file renamed into place, so that a power cut leaves the old contents or the
/// new, never a mix.
public struct StateFile {
    /// The directory the file is in (made, 0700, on the first write).
    public let directory: String
    /// The file's name.
    public let name: String

    /// The file `name` in `directory`.
    public init(directory: String, name: String) {
        self.directory = directory
        self.name = name
    }

    /// The file's path.
    public var path: String { directory + "/" + name }

    /// The file's bytes (at most `limit`), or nil when it is missing or unreadable.
    public func read(limit: Int = 4096) -> [UInt8]? {
        try? FileReader.read(path, limit: limit)
    }

    /// Replaces the file's contents with `text`, making the directory first when needed; the
    /// file gets `mode` (0600: only the agent's user reads it), and `owner` when given.
    public func write(_ text: String, mode: UInt32 = 0o600, owner: (uid: UInt32, gid: UInt32)? = nil) throws(SystemError) {
        if mkdir(directory, 0o700) != 0, agent_errno() != EEXIST { throw SystemError.fromErrno("mkdir " + directory) }
        let temporary = directory + "/." + name + ".tmp"
        let fd = try retryingEINTR("open " + temporary) { agent_openat_mode(AT_FDCWD, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 || fchmod(fd, mode) != 0 {
            let failure = SystemError.fromErrno("chown " + temporary)
            _ = close(fd)
            _ = temporary.withCString { unlink($0) }
            throw failure
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { CLibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        _ = close(fd)
        if written != bytes.count || synced != 0 { throw SystemError.fromErrno("write " + temporary) }
        _ = try retryingEINTR("rename " + temporary) { rename(temporary, path) }
        let dir = agent_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            _ = close(dir)
        }
    }

    /// Replaces the file's contents with `text` as `write` does, keeping its owner and
    /// permissions (a file rewritten by root stays the agent's user's). Fails, changing
    /// nothing, when the file is missing.
    public func rewrite(_ text: String) throws(SystemError) {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var mode: UInt32 = 0
        guard agent_owner_and_mode(path, &uid, &gid, &mode) == 0 else { throw SystemError.fromErrno("stat " + path) }
        try write(text, mode: mode, owner: (uid, gid))
    }

    /// The secret word of `length` letters and digits kept in the file (a token, a key):
    /// made at random and kept when the file is missing or does not hold such a word.
    public func keptWord(length: Int) throws(SystemError) -> String {
        if let text = word(length: length) { return text }
        let made = LanCrypto.randomWord(length)
        try write(made + "\n")
        return made
    }

    /// The word of `length` letters and digits on the file's first line, or nil when the
    /// file is missing, cannot be read or holds no such word.
    public func word(length: Int) -> String? {
        guard let bytes = read(limit: length + 32) else { return nil }
        let text = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return text.utf8.count == length && AsciiText.isWord(text, maxBytes: length) ? text : nil
    }

    /// Removes the file (nothing when it is missing).
    public func remove() {
        _ = path.withCString { unlink($0) }
    }
}
