import AgentCore
import CLibc

/// Why a storage operation failed. It carries the report's code and sentence as a
/// `CommandFailure` (a handler answers with it as it is), and the errno behind it (0 when
/// the refusal is the agent's own). The codes:
/// - 400 (`.badRequest`): an invalid name, a symbolic link or a mount on the way, a
///   directory expected but a file found, something that is not a file or directory;
/// - 404 (`notFoundCode`): it does not exist;
/// - 409 (`conflictCode`): a directory that is not empty, a file being printed, busy;
/// - 500 (`ioErrorCode`): an I/O error (a stick pulled out), permission, read-only storage;
/// - 503 (`unavailableCode`): the storage root itself is not there.
/// Messages name paths as clients do (`"/models/a.gcode"`), never where the root is on the
/// device's filesystem. They are concatenated with `+`, not interpolated: in the Embedded
/// build interpolation makes several times more code.
public struct StorageError: Error, Equatable {
    /// The code and message of the report.
    public var failure: CommandFailure
    /// The errno that caused it, or 0.
    public var errno: Int32

    /// "It does not exist."
    public static let notFoundCode = ReplyCode(404)
    /// "Not now": a directory that is not empty, a file being printed.
    public static let conflictCode = ReplyCode(409)
    /// An I/O or permission error of the storage.
    public static let ioErrorCode = ReplyCode(500)
    /// The storage itself is not there (no stick, root missing).
    public static let unavailableCode = ReplyCode(503)

    /// An error with a code, a message and the errno behind it.
    public init(_ code: ReplyCode, _ message: String, errno: Int32 = 0) {
        failure = CommandFailure(code, message)
        self.errno = errno
    }

    /// An invalid path or name from a command (a `StoragePath` failure).
    public init(_ failure: CommandFailure) {
        self.failure = failure
        errno = 0
    }

    /// The report's code.
    public var code: ReplyCode { failure.code }
    /// The report's message.
    public var message: String { failure.message }
}

/// A directory tree the agent serves files from (internal storage, or a USB stick's mount
/// point), with operations that never touch anything outside it.
///
/// Every operation opens the root afresh (a stick may be replaced between commands) and
/// walks down a validated `StoragePath` one component at a time with
/// `openat(dir, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)` from the descriptor of
/// the directory above, so that:
/// - a symbolic link anywhere on the way is refused, never followed (wherever it points:
///   "/", "..", a sibling directory, itself);
/// - a directory on another mount than the root is refused: another device (`st_dev`,
///   e.g. a tmpfs or a second stick mounted inside) or, where the kernel reports mount ids
///   (Linux 5.8+), another mount of the same device (a bind mount, which can expose any
///   directory of the same filesystem). On older kernels a bind mount of the same filesystem
///   is not detected: it has the same `st_dev`.
/// The last component is then handled with the `*at` calls on the directory's descriptor,
/// without following links: a link is deleted itself, never its target, and never opened.
/// Hard links cannot be told from ordinary files: deleting one removes only that name.
/// The root path itself comes from the configuration and is trusted (it may be a link).
///
/// Everything blocks the calling thread for the time of the system calls: a listing makes
/// one statx per entry, about 20 ms for 10,000 entries on the development machine's ext4
/// (`ls -la` of the same directory: about 70 ms).
public struct StorageRoot {
    /// The root's absolute path on the device (never put in messages).
    public let path: String
    /// What messages call this storage ("the local storage", "the USB stick").
    public let label: String

    /// The root at `path` (trailing slashes are dropped), called `label` in messages.
    public init(path: String, label: String = "the storage") {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        self.path = String(decoding: bytes, as: UTF8.self)
        self.label = label
    }

    /// The USB stick mounted at `mountPoint`, as every message names it.
    public static func usbStick(_ mountPoint: String) -> StorageRoot {
        StorageRoot(path: mountPoint, label: "the USB stick")
    }

    /// Whether the root exists and is a directory this process can open.
    public var isAvailable: Bool {
        guard let root = try? openRoot() else { return false }
        close(root.fd)
        return true
    }

    /// The regular files and directories in `directory`, unsorted. Hidden names (a leading
    /// ".", which covers "." and "..") are skipped without a `stat`; symbolic links, device
    /// nodes, FIFOs, sockets and other mounts are not listed; an entry that vanishes between
    /// reading its name and its `stat` is skipped. A directory's size is 0. An I/O error while
    /// reading (a stick pulled out: EIO, ENODEV) or the directory being removed meanwhile ends
    /// the listing with an error. Names are read with getdents64(2) (see `agent_getdents64`)
    /// and described with statx(2) or fstatat(2) (`agent_file_info_at`), never following a link.
    public func list(_ directory: StoragePath) throws(StorageError) -> [FileEntry] {
        try list(directory, afterOpening: {}, beforeDescribing: { _ in })
    }

    /// How many bytes of directory records one getdents64 call reads (about 500 names).
    static let directoryBufferBytes = 32 * 1024

    /// `list(_:)`, calling `afterOpening` once the directory is open and before it is read,
    /// and `beforeDescribing` with each name between reading it and its `stat` (tests pull the
    /// storage away or remove entries there).
    func list(_ directory: StoragePath, afterOpening: () -> Void,
              beforeDescribing: (UnsafePointer<CChar>) -> Void) throws(StorageError) -> [FileEntry] {
        let shown = directory.displayText
        let opened = try openDirectory(directory)
        defer { close(opened.fd) }
        let capacity = Self.directoryBufferBytes
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        afterOpening()
        var entries: [FileEntry] = []
        while true {
            let length = agent_getdents64(opened.fd, buffer, UInt(capacity))
            if length < 0 {
                let code = agent_errno()
                if code == EINTR { continue }
                if code == ENOENT { throw Self.removedWhileListed(shown) }
                throw failure(code, "read", shown)
            }
            if length == 0 { break }
            var offset = 0
            while offset < length {
                var next = 0
                guard let name = agent_dirent64_name(buffer, length, offset, &next) else { break }
                offset = next
                if UInt8(truncatingIfNeeded: name.pointee) == UInt8(ascii: ".") { continue }
                beforeDescribing(name)
                var info = agent_file_info()
                if agent_file_info_at(opened.fd, name, 1, &info) != 0 {
                    let code = agent_errno()
                    if code == ENOENT { continue }
                    throw failure(code, "read", shown)
                }
                let type = Self.fileType(info)
                guard type == UInt32(S_IFDIR) || type == UInt32(S_IFREG),
                      MountIdentity(info).isSameMount(as: opened.mount) else { continue }
                let isDirectory = type == UInt32(S_IFDIR)
                entries.append(FileEntry(name: String(cString: name), size: isDirectory ? 0 : Int64(info.size),
                                         modifiedMs: Int64(info.mtime_ms), isDirectory: isDirectory))
            }
        }
        var info = agent_file_info()
        if agent_file_info_at(opened.fd, "", 0, &info) != 0 { throw failure(agent_errno(), "read", shown) }
        if info.nlink == 0 { throw Self.removedWhileListed(shown) }
        return entries
    }

    /// The error of a listing whose directory was removed meanwhile (getdents64 fails with
    /// ENOENT on a removed directory, or it has no links left at the end).
    private static func removedWhileListed(_ shown: String) -> StorageError {
        StorageError(StorageError.notFoundCode, StoragePath.quoted(shown) + " was removed while it was being listed", errno: ENOENT)
    }

    /// Deletes `name` in `directory`: a regular file or a symbolic link (the link itself,
    /// never its target) with `unlinkat(dir, name, 0)`, an empty directory with
    /// `unlinkat(dir, name, AT_REMOVEDIR)`. Refused: a file for which `inUse` is true (it
    /// is given the path below the root, `StoragePath.relativeText` style: "models/a.gcode"),
    /// a directory that is not empty, another mount, anything else (device, FIFO, socket),
    /// and an invalid `name` ("", "/", ".", "..", "a/b", ...).
    public func delete(_ directory: StoragePath, name: String, inUse: (String) -> Bool) throws(StorageError) {
        let entry = try look(up: name, in: directory, toDo: "delete")
        defer { close(entry.opened.fd) }
        let (opened, info, target, shown) = (entry.opened, entry.info, entry.target, entry.target.displayText)
        let type = Self.fileType(info)
        var flags: Int32 = 0
        if type == UInt32(S_IFDIR) {
            if !MountIdentity(info).isSameMount(as: opened.mount) {
                throw StorageError(.badRequest, StoragePath.quoted(shown) + " is another filesystem mounted inside " + label + ": it is not deleted")
            }
            flags = AT_REMOVEDIR
        } else if type == UInt32(S_IFREG) || type == UInt32(S_IFLNK) {
            if inUse(target.relativeText) {
                throw StorageError(StorageError.conflictCode, StoragePath.quoted(shown) + " is being printed: stop the print before deleting it")
            }
            if type == UInt32(S_IFREG), !MountIdentity(info).isSameMount(as: opened.mount) {
                throw StorageError(.badRequest, StoragePath.quoted(shown) + " is a file mounted over another: it is not deleted")
            }
        } else {
            throw StorageError(.badRequest, StoragePath.quoted(shown) + " is not a regular file or a directory: it is not deleted")
        }
        while name.withCString({ unlinkat(opened.fd, $0, flags) }) != 0 {
            let code = agent_errno()
            if code == EINTR { continue }
            if code == ENOTEMPTY || code == EEXIST {
                throw StorageError(StorageError.conflictCode, "directory " + StoragePath.quoted(shown) + " is not empty: delete what it holds first", errno: code)
            }
            throw failure(code, "delete", shown)
        }
    }

    /// Opens the regular file `name` in `directory` read-only (`O_NOFOLLOW`, close-on-exec,
    /// non-blocking, which regular files ignore) and returns its descriptor, which the
    /// caller closes. A link, a directory, a device, a FIFO or a file on another mount is
    /// refused without being opened.
    public func openFile(_ directory: StoragePath, name: String) throws(StorageError) -> Int32 {
        let entry = try look(up: name, in: directory, toDo: "open")
        defer { close(entry.opened.fd) }
        let (opened, shown) = (entry.opened, entry.target.displayText)
        var info = entry.info
        try requireRegularFile(info, on: opened.mount, shown)
        let fd = Self.interruptible {
            name.withCString { agent_openat(opened.fd, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        }
        if fd < 0 { throw failure(agent_errno(), "open", shown) }
        // The name may have been replaced between the check and the open: check what was opened.
        if agent_file_info_at(fd, "", 0, &info) != 0 {
            let code = agent_errno()
            close(fd)
            throw failure(code, "open", shown)
        }
        do {
            try requireRegularFile(info, on: opened.mount, shown)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    // MARK: - Walking down from the root

    /// A directory opened inside the root, and the mount the walk must stay on.
    /// A name looked up in its opened directory, without following a link.
    private struct Entry {
        var opened: OpenedDirectory
        var info: agent_file_info
        var target: StoragePath
    }

    /// Opens `directory` and looks up `name` in it (the caller closes `opened.fd`); `action`
    /// names what was to be done, for the error.
    private func look(up name: String, in directory: StoragePath, toDo action: String) throws(StorageError) -> Entry {
        let target: StoragePath
        do {
            target = try directory.appending(name)
        } catch {
            throw StorageError(error)
        }
        let opened = try openDirectory(directory)
        var info = agent_file_info()
        if name.withCString({ agent_file_info_at(opened.fd, $0, 1, &info) }) != 0 {
            let code = agent_errno()
            close(opened.fd)
            throw failure(code, action, target.displayText)
        }
        return Entry(opened: opened, info: info, target: target)
    }

    struct OpenedDirectory {
        var fd: Int32
        var mount: MountIdentity
    }

    /// Opens the root (following a link in its configured path, which is trusted).
    func openRoot() throws(StorageError) -> OpenedDirectory {
        let fd = Self.interruptible { agent_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 {
            let code = agent_errno()
            throw StorageError(StorageError.unavailableCode, label + " is not available (" + SystemError.describe(code) + ")", errno: code)
        }
        var info = agent_file_info()
        if agent_file_info_at(fd, "", 0, &info) != 0 {
            let code = agent_errno()
            close(fd)
            throw StorageError(StorageError.unavailableCode, label + " is not available (" + SystemError.describe(code) + ")", errno: code)
        }
        return OpenedDirectory(fd: fd, mount: MountIdentity(info))
    }

    /// Makes `directory` and each missing directory above it (an upload into a new folder),
    /// by the same walk as `openDirectory`: links and other mounts are refused.
    public func makeDirectories(_ directory: StoragePath) throws(StorageError) {
        close(try openDirectory(directory, creating: true).fd)
    }

    /// Opens `directory` by walking down from the root one component at a time, refusing
    /// links and other mounts; `creating` makes each component that is missing. The caller
    /// closes the descriptor.
    func openDirectory(_ directory: StoragePath, creating: Bool = false) throws(StorageError) -> OpenedDirectory {
        var current = try openRoot()
        var reached = StoragePath.root
        for component in directory.components {
            do {
                reached = try reached.appending(component)
            } catch {
                close(current.fd)
                throw StorageError(error)
            }
            let shown = reached.displayText
            if creating, component.withCString({ mkdirat(current.fd, $0, 0o755) }) != 0, agent_errno() != EEXIST {
                let code = agent_errno()
                close(current.fd)
                throw failure(code, "make", shown)
            }
            let next = Self.interruptible {
                component.withCString { agent_openat(current.fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if next < 0 {
                let error = componentFailure(agent_errno(), component, in: current.fd, shown)
                close(current.fd)
                throw error
            }
            close(current.fd)
            current.fd = next
            var info = agent_file_info()
            if agent_file_info_at(next, "", 0, &info) != 0 {
                let code = agent_errno()
                close(next)
                throw failure(code, "open", shown)
            }
            if !MountIdentity(info).isSameMount(as: current.mount) {
                close(next)
                throw StorageError(.badRequest, StoragePath.quoted(shown) + " is another filesystem mounted inside " + label + ": the agent does not cross mounts")
            }
        }
        return current
    }

    /// Why `component` of `parent` could not be opened as a directory: O_NOFOLLOW and
    /// O_DIRECTORY fail on a link with ELOOP or ENOTDIR, so look at what is there.
    private func componentFailure(_ code: Int32, _ component: String, in parent: Int32, _ shown: String) -> StorageError {
        guard code == ELOOP || code == ENOTDIR else { return failure(code, "open", shown) }
        var info = agent_file_info()
        if component.withCString({ agent_file_info_at(parent, $0, 1, &info) }) != 0 {
            return failure(agent_errno(), "open", shown)
        }
        if Self.fileType(info) == UInt32(S_IFLNK) {
            return StorageError(.badRequest, StoragePath.quoted(shown) + " is a symbolic link: links are not followed", errno: code)
        }
        return StorageError(.badRequest, StoragePath.quoted(shown) + " is not a directory", errno: code)
    }

    /// Throws unless `info` is a regular file on `mount`.
    private func requireRegularFile(_ info: agent_file_info, on mount: MountIdentity, _ shown: String) throws(StorageError) {
        let type = Self.fileType(info)
        if type == UInt32(S_IFLNK) {
            throw StorageError(.badRequest, StoragePath.quoted(shown) + " is a symbolic link: links are not followed")
        }
        if type != UInt32(S_IFREG) {
            throw StorageError(.badRequest, StoragePath.quoted(shown) + " is not a regular file")
        }
        if !MountIdentity(info).isSameMount(as: mount) {
            throw StorageError(.badRequest, StoragePath.quoted(shown) + " is mounted from another filesystem: it is not opened")
        }
    }

    /// The error for errno `code` while trying to `action` ("read", "open", "delete") the
    /// path shown as `shown`.
    func failure(_ code: Int32, _ action: String, _ shown: String) -> StorageError {
        let quoted = StoragePath.quoted(shown)
        switch code {
        case ENOENT:
            return StorageError(StorageError.notFoundCode, quoted + " does not exist", errno: code)
        case ENOTDIR:
            return StorageError(.badRequest, quoted + " is not a directory", errno: code)
        case ELOOP:
            return StorageError(.badRequest, quoted + " is a symbolic link: links are not followed", errno: code)
        case ENAMETOOLONG:
            return StorageError(.badRequest, quoted + " is too long for " + label, errno: code)
        case EACCES, EPERM:
            return StorageError(StorageError.ioErrorCode, "cannot " + action + " " + quoted + ": permission denied", errno: code)
        case EROFS:
            return StorageError(StorageError.ioErrorCode, "cannot " + action + " " + quoted + ": " + label + " is read-only", errno: code)
        case EBUSY:
            return StorageError(StorageError.conflictCode, "cannot " + action + " " + quoted + ": it is in use by the system", errno: code)
        case EIO, ENODEV, ENXIO:
            return StorageError(StorageError.ioErrorCode, "cannot " + action + " " + quoted + ": input/output error (was " + label + " removed?)", errno: code)
        default:
            return StorageError(StorageError.ioErrorCode, "cannot " + action + " " + quoted + ": " + SystemError.describe(code), errno: code)
        }
    }

    /// The file type bits (S_IFMT) of `info`.
    private static func fileType(_ info: agent_file_info) -> UInt32 {
        UInt32(info.mode) & UInt32(S_IFMT)
    }

    /// Calls `body` again while it returns -1 with errno EINTR.
    static func interruptible(_ body: () -> Int32) -> Int32 {
        while true {
            let result = body()
            if result != -1 || agent_errno() != EINTR { return result }
        }
    }
}

/// Which mount a file is on: its filesystem's device number and, where the kernel reports
/// it (Linux 5.8+), the mount's id, which also tells a bind mount from its source.
struct MountIdentity: Equatable {
    /// The device number of the filesystem.
    var device: UInt64
    /// The mount id, or nil when the kernel did not report one.
    var mountID: UInt64?

    /// The identity in a file description.
    init(_ info: agent_file_info) {
        device = UInt64(info.device)
        mountID = info.has_mount_id != 0 ? UInt64(info.mount_id) : nil
    }

    /// Whether both are on the same mount (the same device, and the same mount id when both
    /// have one).
    func isSameMount(as other: MountIdentity) -> Bool {
        guard device == other.device else { return false }
        guard let mine = mountID, let theirs = other.mountID else { return true }
        return mine == theirs
    }
}
