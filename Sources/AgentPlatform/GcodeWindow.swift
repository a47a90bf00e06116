import AgentCore
import CLibc

/// The two stretches of a G-code file that slicers write their metadata in: the head (the
/// first `GcodeMetadata.headLength` bytes, 512 KiB) and the tail (the last
/// `GcodeMetadata.tailLength` bytes, 64 KiB, never overlapping the head). Reading them costs
/// the same for a 2 GB file as for a 600 KB one: at most two `pread` calls of those sizes
/// (one for a file that fits the head), plus a retry after a short read or EINTR.
public struct GcodeWindow: Equatable {
    /// The file's first bytes (the whole file when it fits).
    public var head: [UInt8]
    /// The file's last bytes after the head; empty when the head holds the whole file.
    public var tail: [UInt8]
    /// The file's size when it was read, in bytes.
    public var fileSize: Int64

    /// A window from its parts.
    public init(head: [UInt8], tail: [UInt8], fileSize: Int64) {
        self.head = head
        self.tail = tail
        self.fileSize = fileSize
    }

    /// Whether the tail starts right where the head ends (the file is at most
    /// head + tail long), so that a line or a thumbnail may run from one into the other.
    public var tailFollowsHead: Bool {
        !tail.isEmpty && Int64(head.count) + Int64(tail.count) == fileSize
    }

    /// The slicer's metadata in this window.
    public var metadata: GcodeMetadata {
        GcodeMetadata.parse(head: head, tail: tail, tailFollowsHead: tailFollowsHead)
    }

    /// Reads the head and the tail of the regular file open on `descriptor` (the caller keeps
    /// and closes it; its file offset is not used). `name` names the file in errors. A file
    /// that is not regular, or a failed fstat or pread, is a `SystemError`. Where `off_t` is
    /// 32 bits (the armv7 build has no `-D_FILE_OFFSET_BITS=64`), fstat fails with EOVERFLOW
    /// on a file of 2 GiB or more.
    public static func read(descriptor: Int32, name: String) throws(SystemError) -> GcodeWindow {
        var status = stat()
        _ = try retryingEINTR("fstat \(name)") { fstat(descriptor, &status) }
        guard UInt32(truncatingIfNeeded: status.st_mode) & UInt32(S_IFMT) == UInt32(S_IFREG) else {
            throw SystemError(call: "read \(name)", errno: EINVAL, message: "\(name): not a regular file")
        }
        let size = Int64(status.st_size)
        let headCount = min(size, GcodeMetadata.headLength)
        let tailStart = max(headCount, size - GcodeMetadata.tailLength)
        let head = try FileBytes.read(descriptor, at: 0, count: headCount, name: name)
        let tail = try FileBytes.read(descriptor, at: tailStart, count: size - tailStart, name: name)
        return GcodeWindow(head: head, tail: tail, fileSize: size)
    }
}
