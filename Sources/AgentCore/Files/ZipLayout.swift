/// One file in a ZIP archive, as the archive's central directory describes it.
public struct ZipEntry: Equatable {
    /// The stored compression method.
    public static let stored: UInt16 = 0
    /// The deflate compression method.
    public static let deflated: UInt16 = 8

    /// The entry's path inside the archive ("Metadata/plate_1.gcode").
    public var name: String
    /// How the data is compressed (`stored`, `deflated`, or a method the agent does not read).
    public var method: UInt16
    /// The general-purpose flags (bit 0: encrypted).
    public var flags: UInt16
    /// The CRC-32 of the uncompressed data.
    public var crc: UInt32
    /// The size of the data in the archive, in bytes.
    public var compressedSize: Int64
    /// The size of the data once uncompressed, in bytes.
    public var uncompressedSize: Int64
    /// Where the entry's local header starts in the archive.
    public var localHeaderOffset: Int64

    /// An entry from its parts.
    public init(name: String, method: UInt16, flags: UInt16 = 0, crc: UInt32, compressedSize: Int64,
                uncompressedSize: Int64, localHeaderOffset: Int64) {
        self.name = name
        self.method = method
        self.flags = flags
        self.crc = crc
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.localHeaderOffset = localHeaderOffset
    }

    /// Whether the entry is encrypted.
    public var isEncrypted: Bool { flags & 1 != 0 }
}

/// The records of a ZIP archive (PKWARE's APPNOTE) that reading one entry needs, parsed from
/// bytes the caller read from the file: the end-of-central-directory record, the central
/// directory, and an entry's local header. Every size and offset is checked against the
/// others and against the file's size, so an archive that is truncated or whose sizes lie is
/// refused before anything is extracted. ZIP64 archives (over 4 GiB or 65,535 entries) and
/// archives split over several disks are refused. The failures are 422 for a damaged archive
/// and 400 for one the agent does not read; their messages do not name the file (the caller
/// does).
public enum ZipLayout {
    /// The fixed part of the end-of-central-directory record.
    public static let endRecordLength = 22
    /// The fixed part of a central directory entry.
    static let directoryEntryLength = 46
    /// The fixed part of a local header.
    public static let localHeaderLength = 30
    /// The largest central directory read: about 10,000 entries (a sliced 3MF has a few dozen).
    public static let maxDirectoryBytes: Int64 = 1 << 20
    /// Deflate cannot expand data more than about 1032 times: an entry that claims more lies.
    static let maxDeflateRatio: Int64 = 1032

    /// Where the central directory is, from the end-of-central-directory record.
    public struct Directory: Equatable {
        /// Its offset in the file.
        public var offset: Int64
        /// Its size in bytes.
        public var size: Int64
        /// How many entries it holds.
        public var entryCount: Int
    }

    /// How many bytes at the end of a file of `fileSize` bytes to read for `directory(tail:fileSize:)`:
    /// the record, the longest comment, and the ZIP64 locator that may precede the record.
    public static func tailLength(fileSize: Int64) -> Int64 {
        min(fileSize, Int64(endRecordLength + 65_535 + 20))
    }

    /// The central directory named by the end record in `tail`, the last bytes of a file of
    /// `fileSize` bytes.
    public static func directory(tail: [UInt8], fileSize: Int64) throws(CommandFailure) -> Directory {
        guard tail.count >= endRecordLength else {
            throw damaged("it is too short to be a ZIP archive (" + String(fileSize) + " bytes)")
        }
        var found: Int?
        var position = tail.count - endRecordLength
        while position >= 0 {
            if u32(tail, position) == 0x0605_4b50, position + endRecordLength + Int(u16(tail, position + 20)) == tail.count {
                found = position
                break
            }
            position -= 1
        }
        guard let end = found else {
            throw damaged("it is not a ZIP archive, or it is truncated (no end-of-central-directory record)")
        }
        if end >= 20, u32(tail, end - 20) == 0x0706_4b50 { throw zip64 }
        if u16(tail, end + 4) != 0 || u16(tail, end + 6) != 0 || u16(tail, end + 8) != u16(tail, end + 10) {
            throw CommandFailure(.badRequest, "the archive is split over several disks, which the agent does not read")
        }
        let count = u16(tail, end + 10)
        let size = u32(tail, end + 12)
        let offset = u32(tail, end + 16)
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF { throw zip64 }
        let endOffset = fileSize - Int64(tail.count - end)
        guard Int64(offset) + Int64(size) <= endOffset else {
            throw damaged("its central directory lies outside the file (truncated, or its sizes are wrong)")
        }
        guard Int64(size) <= maxDirectoryBytes else {
            throw CommandFailure(.badRequest, "its central directory is over 1 MiB (" + String(count)
                                 + " entries): not a sliced 3MF")
        }
        return Directory(offset: Int64(offset), size: Int64(size), entryCount: Int(count))
    }

    /// The `count` entries of the central directory `bytes`. An entry whose name could point
    /// outside the archive (absolute, `..`, a backslash) or holds a control character makes
    /// the archive refused.
    public static func entries(_ bytes: [UInt8], count: Int) throws(CommandFailure) -> [ZipEntry] {
        var entries: [ZipEntry] = []
        var position = 0
        for index in 0..<count {
            guard position + directoryEntryLength <= bytes.count, u32(bytes, position) == 0x0201_4b50 else {
                throw damaged("its central directory is damaged at entry " + String(index + 1))
            }
            let nameLength = Int(u16(bytes, position + 28))
            let next = position + directoryEntryLength + nameLength + Int(u16(bytes, position + 30)) + Int(u16(bytes, position + 32))
            guard next <= bytes.count else {
                throw damaged("its central directory is damaged at entry " + String(index + 1))
            }
            let nameStart = position + directoryEntryLength
            let nameBytes = bytes[nameStart..<nameStart + nameLength]
            let name = String(decoding: nameBytes, as: UTF8.self)
            if let reason = unsafeNameReason(nameBytes) {
                // Shown with its control characters as "?", so that the name cannot forge a line.
                let shown = String(decoding: nameBytes.map { $0 < 0x20 || $0 == 0x7f ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
                throw CommandFailure(.badRequest, "it holds an entry named \"" + shown + "\", " + reason + ": refused")
            }
            let compressed = u32(bytes, position + 20)
            let uncompressed = u32(bytes, position + 24)
            let offset = u32(bytes, position + 42)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF { throw zip64 }
            entries.append(ZipEntry(name: name, method: u16(bytes, position + 10), flags: u16(bytes, position + 8),
                                    crc: u32(bytes, position + 16), compressedSize: Int64(compressed),
                                    uncompressedSize: Int64(uncompressed), localHeaderOffset: Int64(offset)))
            position = next
        }
        return entries
    }

    /// Checks that `entry` can be read (not encrypted, stored or deflated, sizes that can be
    /// true) and that its data lies before the central directory at `directoryOffset`.
    public static func checkReadable(_ entry: ZipEntry, before directoryOffset: Int64) throws(CommandFailure) {
        let quoted = "\"" + entry.name + "\""
        if entry.isEncrypted { throw CommandFailure(.badRequest, quoted + " is encrypted") }
        switch entry.method {
        case ZipEntry.stored:
            if entry.compressedSize != entry.uncompressedSize {
                throw damaged(quoted + " is stored, but its sizes differ (" + String(entry.compressedSize) + " and "
                              + String(entry.uncompressedSize) + " bytes)")
            }
        case ZipEntry.deflated:
            if entry.uncompressedSize > entry.compressedSize * maxDeflateRatio + 1024 {
                throw damaged(quoted + " claims " + String(entry.uncompressedSize) + " bytes from "
                              + String(entry.compressedSize) + " compressed, more than deflate can give")
            }
        default:
            throw CommandFailure(.badRequest, quoted + " is compressed with method " + String(entry.method)
                                 + "; only stored and deflated entries are read")
        }
        if entry.localHeaderOffset + Int64(localHeaderLength) + entry.compressedSize > directoryOffset {
            throw damaged(quoted + " runs past the central directory (truncated, or its sizes are wrong)")
        }
    }

    /// Where `entry`'s data starts, from its local header `header` (the fixed part and the
    /// name: `localHeaderLength` + the name's length bytes at `entry.localHeaderOffset`).
    public static func dataOffset(localHeader header: [UInt8], of entry: ZipEntry,
                                  before directoryOffset: Int64) throws(CommandFailure) -> Int64 {
        let quoted = "\"" + entry.name + "\""
        let name = Array(entry.name.utf8)
        guard header.count >= localHeaderLength + name.count, u32(header, 0) == 0x0403_4b50,
              Int(u16(header, 26)) == name.count,
              header[localHeaderLength..<localHeaderLength + name.count].elementsEqual(name),
              u16(header, 8) == entry.method else {
            throw damaged("the local header of " + quoted + " does not match the central directory")
        }
        let start = entry.localHeaderOffset + Int64(localHeaderLength + name.count) + Int64(u16(header, 28))
        if start + entry.compressedSize > directoryOffset {
            throw damaged(quoted + " runs past the central directory (truncated, or its sizes are wrong)")
        }
        return start
    }

    /// Why a name could reach outside the archive's tree if it were extracted, or nil.
    static func unsafeNameReason(_ name: ArraySlice<UInt8>) -> String? {
        if name.isEmpty { return "which is empty" }
        if name.first == UInt8(ascii: "/") { return "an absolute path" }
        if name.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\\") }) {
            return "with a control character or a backslash"
        }
        if name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .contains(where: { $0.elementsEqual("..".utf8) }) {
            return "which climbs out of the archive with \"..\""
        }
        return nil
    }

    private static var zip64: CommandFailure {
        CommandFailure(.badRequest, "it is a ZIP64 archive (over 4 GiB or 65,535 entries), which the agent does not read")
    }

    private static func damaged(_ reason: String) -> CommandFailure { CommandFailure(.verificationFailed, reason) }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16
    }
}
