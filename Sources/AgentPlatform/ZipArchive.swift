import AgentCore
import CLibc

/// A ZIP archive open on a descriptor (not owned): its central directory, read and checked
/// when it is opened (`ZipLayout`), and where an entry's data starts. Opening reads at most
/// the last 64 KiB and the central directory (1 MiB at most) with two `pread` calls.
/// Failures are `CommandFailure`s: 422 for a damaged archive, 400 for one the agent does not
/// read, 500 for a read error; their messages do not name the file.
public struct ZipArchive {
    /// Where the central directory is.
    public let directory: ZipLayout.Directory
    /// The entries, in the central directory's order.
    public let entries: [ZipEntry]
    private let descriptor: Int32
    private let name: String

    /// Reads the central directory of the regular file open on `descriptor`; `name` names it
    /// in read errors.
    public init(descriptor: Int32, name: String) throws(CommandFailure) {
        self.descriptor = descriptor
        self.name = name
        var status = stat()
        if fstat(descriptor, &status) != 0 { throw Self.readFailure(SystemError.fromErrno("fstat " + name)) }
        let size = Int64(status.st_size)
        let tailLength = ZipLayout.tailLength(fileSize: size)
        directory = try ZipLayout.directory(tail: try Self.read(descriptor, at: size - tailLength, count: tailLength, name),
                                            fileSize: size)
        entries = try ZipLayout.entries(try Self.read(descriptor, at: directory.offset, count: directory.size, name),
                                        count: directory.entryCount)
    }

    /// Checks that `entry` can be read and returns where its data starts.
    public func dataOffset(of entry: ZipEntry) throws(CommandFailure) -> Int64 {
        try ZipLayout.checkReadable(entry, before: directory.offset)
        let header = try Self.read(descriptor, at: entry.localHeaderOffset,
                                   count: Int64(ZipLayout.localHeaderLength + entry.name.utf8.count), name)
        return try ZipLayout.dataOffset(localHeader: header, of: entry, before: directory.offset)
    }

    private static func read(_ descriptor: Int32, at offset: Int64, count: Int64,
                             _ name: String) throws(CommandFailure) -> [UInt8] {
        do {
            return try FileBytes.read(descriptor, at: offset, count: count, name: name)
        } catch {
            throw readFailure(error)
        }
    }

    /// The failure of a read of the archive.
    static func readFailure(_ error: SystemError) -> CommandFailure {
        CommandFailure(StorageError.ioErrorCode, "cannot read it: " + error.message)
    }
}
