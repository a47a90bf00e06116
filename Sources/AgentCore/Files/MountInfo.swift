/// A block device's number, `major:minor`, as `/proc/self/mountinfo` and udev's `MAJOR` and
/// `MINOR` properties give it.
public struct DeviceNumber: Hashable {
    /// The driver's number (8 for SCSI/USB disks, 179 for MMC, 7 for loop devices).
    public var major: Int
    /// The device's number within the driver (a disk and its partitions are consecutive).
    public var minor: Int

    /// Creates a device number.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// The number from udev's decimal `MAJOR` and `MINOR` properties, or nil when either is
    /// not a non-negative decimal number.
    public init?(major: String, minor: String) {
        guard let major = MountInfo.decimal(ArraySlice(major.utf8)),
              let minor = MountInfo.decimal(ArraySlice(minor.utf8)) else { return nil }
        self.init(major: major, minor: minor)
    }

    /// `major:minor`, for log lines.
    public var text: String { "\(major):\(minor)" }
}

/// One mount, one line of `/proc/self/mountinfo` (proc(5)):
///
///     36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
///     (1)(2) (3)  (4)   (5)     (6)       (7)   (8) (9)   (10)       (11)
///
/// mount id, parent id, major:minor, root of the mount inside its filesystem, mount point,
/// per-mount options, optional fields ended by a lone `-`, filesystem type, source and
/// per-superblock options. Paths are decoded from the kernel's octal escapes.
public struct MountEntry: Equatable {
    /// The mount's unique id.
    public var mountId: Int
    /// The id of the mount it sits on (itself for the root of the namespace).
    public var parentId: Int
    /// The major number of the mounted device (`st_dev`).
    public var major: Int
    /// The minor number of the mounted device.
    public var minor: Int
    /// The directory of the filesystem shown at the mount point: `/` for a whole filesystem,
    /// a sub-directory for a bind mount of one (or something like `net:[4026531840]` for nsfs).
    public var root: String
    /// Where it is mounted (always absolute).
    public var mountPoint: String
    /// Per-mount options (`rw,nosuid,relatime`).
    public var options: String
    /// The optional fields (`shared:1`, `master:2`, ...), possibly none.
    public var optionalFields: [String]
    /// The filesystem type (`vfat`, `ext4`, `fuse.sshfs`).
    public var fsType: String
    /// The mount source (`/dev/sda1`, `tmpfs`, `none`).
    public var source: String
    /// Per-superblock options.
    public var superOptions: String

    /// Creates an entry from its fields.
    public init(mountId: Int, parentId: Int, major: Int, minor: Int, root: String, mountPoint: String,
                options: String, optionalFields: [String] = [], fsType: String, source: String,
                superOptions: String) {
        self.mountId = mountId
        self.parentId = parentId
        self.major = major
        self.minor = minor
        self.root = root
        self.mountPoint = mountPoint
        self.options = options
        self.optionalFields = optionalFields
        self.fsType = fsType
        self.source = source
        self.superOptions = superOptions
    }

    /// The mounted device's number.
    public var device: DeviceNumber { DeviceNumber(major: major, minor: minor) }

    /// Whether the mount shows the whole filesystem (not a bind mount of a sub-directory).
    public var isWholeFilesystem: Bool { root == "/" }
}

/// Reads `/proc/self/mountinfo` text into `MountEntry` values and answers where a device is
/// mounted. Pure: the caller reads the file. A line that does not have the documented shape
/// is skipped, never a crash; the parser works on UTF-8 bytes.
public enum MountInfo {
    /// Where the kernel publishes the mounts of the calling process's namespace.
    public static let path = "/proc/self/mountinfo"

    private static let space = UInt8(ascii: " ")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let backslash = UInt8(ascii: "\\")
    private static let colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-")

    /// The well-formed entries of `text`, in file order.
    public static func parse(_ text: String) -> [MountEntry] {
        parse(bytes: Array(text.utf8))
    }

    /// The well-formed entries of the file's bytes, in file order.
    public static func parse(bytes: [UInt8]) -> [MountEntry] {
        var entries: [MountEntry] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != newline { end += 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == carriageReturn { lineEnd -= 1 }
            if let entry = parseLine(bytes[start..<lineEnd]) { entries.append(entry) }
            start = end + 1
        }
        return entries
    }

    /// One line, or nil when it does not have the documented shape.
    public static func parseLine(_ line: ArraySlice<UInt8>) -> MountEntry? {
        // Fields are separated by single spaces; the kernel escapes spaces inside them.
        // Empty fields are kept so that an empty source does not shift the others.
        let fields = line.split(separator: space, maxSplits: Int.max, omittingEmptySubsequences: false)
        guard fields.count >= 10,
              let mountId = decimal(fields[0]), let parentId = decimal(fields[1]),
              let colonIndex = fields[2].firstIndex(of: colon),
              let major = decimal(fields[2][fields[2].startIndex..<colonIndex]),
              let minor = decimal(fields[2][(colonIndex + 1)..<fields[2].endIndex])
        else { return nil }
        // The optional fields run from the 7th field to a lone "-"; three fields follow it.
        var separator = 6
        while separator < fields.count, !(fields[separator].count == 1 && fields[separator].first == dash) {
            separator += 1
        }
        guard separator + 4 == fields.count else { return nil }
        guard fields[4].first == UInt8(ascii: "/"), !fields[separator + 1].isEmpty, !fields[3].isEmpty else { return nil }
        let mountPoint = unescape(fields[4])
        let fsType = unescape(fields[separator + 1])
        return MountEntry(
            mountId: mountId, parentId: parentId, major: major, minor: minor,
            root: unescape(fields[3]), mountPoint: mountPoint, options: unescape(fields[5]),
            optionalFields: fields[6..<separator].map { unescape($0) },
            fsType: fsType, source: unescape(fields[separator + 2]), superOptions: unescape(fields[separator + 3]))
    }

    /// Every mount point of `device`, in file order.
    public static func mountPoints(of device: DeviceNumber, in entries: [MountEntry]) -> [String] {
        entries.filter { $0.major == device.major && $0.minor == device.minor }.map { $0.mountPoint }
    }

    /// Where `major:minor` is mounted: the first mount in the file that shows the whole
    /// filesystem, else the first mount of it at all (only bind mounts of sub-directories),
    /// else nil.
    public static func mountPoint(major: Int, minor: Int, in entries: [MountEntry]) -> String? {
        firstMount(of: [DeviceNumber(major: major, minor: minor)], in: entries)?.mountPoint
    }

    /// The first mount in the file of any of `devices` that shows its whole filesystem, else
    /// the first mount of any of them, else nil.
    public static func firstMount(of devices: [DeviceNumber], in entries: [MountEntry]) -> MountEntry? {
        var firstPartial = -1
        for index in entries.indices {
            let entry = entries[index]
            guard devices.contains(where: { $0.major == entry.major && $0.minor == entry.minor }) else { continue }
            if entry.root == "/" { return entry }
            if firstPartial < 0 { firstPartial = index }
        }
        return firstPartial < 0 ? nil : entries[firstPartial]
    }

    /// The field with the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline,
    /// `\134` backslash, any other `\ooo`) decoded. A backslash not followed by three octal
    /// digits stays as it is. Bytes that are not UTF-8 become U+FFFD.
    public static func unescape(_ field: ArraySlice<UInt8>) -> String {
        guard field.contains(backslash) else { return String(decoding: field, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(field.count)
        var index = field.startIndex
        while index < field.endIndex {
            let byte = field[index]
            if byte == backslash, field.endIndex - index >= 4,
               let value = octal(field[(index + 1)...(index + 3)]) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Three octal digits as one byte, or nil.
    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }

    /// A non-negative decimal number, or nil (empty, other characters, or too large).
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            if overflowTimes || overflowSum { return nil }
            value = sum
        }
        return value
    }
}
