import AgentCore
import CLibc

/// Downloads into a storage root: a hidden temporary file in the root itself (listings leave
/// hidden names out, so a partial file is never listed), renamed into its directory only
/// once it is complete, verified and on disk. The root is one filesystem (`StorageRoot`
/// never crosses mounts), so the rename is atomic: a file is either whole or absent.
/// The G-code taken out of a `.gcode.3mf` is a hidden temporary file of the root too, which
/// lives as long as its print.
extension StorageRoot {
    /// What a temporary file holds, which its name tells.
    public enum TemporaryKind: CaseIterable {
        /// A download under way (`.agent-download-<id>.part`).
        case download
        /// A plate's G-code taken out of an archive, for the print (`.agent-extract-<id>.gcode`:
        /// Klipper prints only names that end in a G-code extension).
        case extraction

        /// How the file's name starts.
        public var prefix: String { self == .download ? ".agent-download-" : ".agent-extract-" }
        /// How the file's name ends.
        public var suffix: String { self == .download ? ".part" : ".gcode" }
    }

    /// Creates the temporary file `id` (letters, digits, `-`) of `kind` in the root,
    /// read-write and new (`O_EXCL`), and returns its name and descriptor (the caller closes it).
    public func createTemporary(id: String, kind: TemporaryKind = .download) throws(StorageError) -> (name: String, descriptor: Int32) {
        let name = kind.prefix + id + kind.suffix
        let root = try openRoot()
        defer { close(root.fd) }
        let fd = Self.interruptible {
            name.withCString { agent_openat_mode(root.fd, $0, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        }
        if fd < 0 { throw temporaryFailure(agent_errno(), "create", kind) }
        return (name, fd)
    }

    /// The bytes an unprivileged writer can still store in the root.
    public func availableBytes() throws(StorageError) -> Int64 {
        let root = try openRoot()
        defer { close(root.fd) }
        var info = statvfs()
        if fstatvfs(root.fd, &info) != 0 { throw temporaryFailure(agent_errno(), "measure") }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Moves the temporary `name` to `target` in `directory` (replacing a file of that name)
    /// and makes the move durable: the directories are synced after the rename. The file's
    /// own data must have been synced by the caller before.
    public func install(temporary name: String, as target: String, in directory: StoragePath) throws(StorageError) {
        let checkedTarget: String
        do {
            checkedTarget = try StoragePath.validatedName(target)
        } catch {
            throw StorageError(error)
        }
        let root = try openRoot()
        defer { close(root.fd) }
        let destination = try openDirectory(directory)
        defer { close(destination.fd) }
        let renamed = Self.interruptible {
            name.withCString { from in checkedTarget.withCString { to in renameat(root.fd, from, destination.fd, to) } }
        }
        let shown = directory.isRoot ? "/" + checkedTarget : directory.displayText + "/" + checkedTarget
        if renamed != 0 {
            let code = agent_errno()
            if code == EISDIR || code == ENOTEMPTY || code == EEXIST {
                throw StorageError(StorageError.conflictCode, StoragePath.quoted(shown) + " is a directory: the download was not put in its place", errno: code)
            }
            throw failure(code, "write", shown)
        }
        if fsync(destination.fd) != 0 || fsync(root.fd) != 0 { throw failure(agent_errno(), "write", shown) }
    }

    /// Removes the temporary `name` from the root; one that is already gone is fine.
    public func removeTemporary(_ name: String) {
        guard let root = try? openRoot() else { return }
        _ = name.withCString { unlinkat(root.fd, $0, 0) }
        close(root.fd)
    }

    /// Removes every temporary file left in the root, by an agent that was killed during a
    /// download or a print from an archive; returns their names.
    public func removeStaleTemporaries() -> [String] {
        guard let root = try? openRoot() else { return [] }
        guard let directory = fdopendir(root.fd) else {
            close(root.fd)
            return []
        }
        defer { closedir(directory) }
        var stale: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if TemporaryKind.allCases.contains(where: { name.utf8.starts(with: $0.prefix.utf8) && name.utf8.reversed().starts(with: $0.suffix.utf8.reversed()) }) {
                stale.append(name)
            }
        }
        for name in stale { _ = name.withCString { unlinkat(dirfd(directory), $0, 0) } }
        return stale
    }

    private func temporaryFailure(_ code: Int32, _ action: String, _ kind: TemporaryKind = .download) -> StorageError {
        if code == ENOSPC || code == EDQUOT {
            return StorageError(ReplyCode.insufficientStorage, label + " is full", errno: code)
        }
        return failure(code, action, "/" + kind.prefix + "…")
    }
}
