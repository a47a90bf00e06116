import CLibc

/// What mounting a stick takes: mount(2)'s arguments except the flags, which are always
/// `MS_NOSUID | MS_NODEV | MS_NOEXEC` (a stick is data, never programs or device nodes).
public struct MountRequest: Equatable {
    /// The device node (`/dev/sda1`).
    public var source: String
    /// The directory to mount on.
    public var target: String
    /// The kernel's filesystem type (`vfat`, `exfat`, `ntfs3`, `ext4`).
    public var fsType: String
    /// The filesystem's own options (`uid=0,gid=0,utf8`), possibly empty.
    public var data: String

    /// Creates a request from its parts.
    public init(source: String, target: String, fsType: String, data: String) {
        self.source = source
        self.target = target
        self.fsType = fsType
        self.data = data
    }
}

/// The agent's own mounting of USB sticks (`usb_automount = yes`): which filesystems, with
/// which options, and the mount(2) and umount2(2) calls.
public enum UsbMount {
    /// The filesystems mounted, by udev's `ID_FS_TYPE` (blkid's name), and the kernel driver
    /// that mounts each read-write. ext2 and ext3 are mounted by the ext4 driver, NTFS by ntfs3.
    public static let fileSystems: [(idFsType: String, kernel: String)] = [
        ("vfat", "vfat"), ("exfat", "exfat"), ("ntfs", "ntfs3"), ("ntfs3", "ntfs3"),
        ("ext2", "ext4"), ("ext3", "ext4"), ("ext4", "ext4"),
    ]

    /// The names of `fileSystems`, for log lines.
    public static let supportedNames = "vfat, exfat, ntfs, ext2, ext3, ext4"

    /// The request mounting `devnode` (whose `ID_FS_TYPE` is `idFsType`) on `directory`, or nil
    /// for a filesystem that is not mounted. vfat and exfat have no owners of their own: their
    /// files belong to `uid`/`gid` (the agent) and names are UTF-8; ntfs3 gets the owner too.
    public static func request(devnode: String, idFsType: String, directory: String,
                               uid: UInt32, gid: UInt32) -> MountRequest? {
        guard let kernel = fileSystems.first(where: { $0.idFsType == idFsType })?.kernel else { return nil }
        let owner = "uid=\(uid),gid=\(gid)"
        let data: String
        switch kernel {
        case "vfat": data = owner + ",utf8"
        case "exfat": data = owner + ",iocharset=utf8"
        case "ntfs3": data = owner
        default: data = ""
        }
        return MountRequest(source: devnode, target: directory, fsType: kernel, data: data)
    }

    /// Mounts as `request` says with nosuid, nodev and noexec, creating the directory (and its
    /// parents) when missing. Returns nil, or the reason it failed (`mount /dev/sda1 on
    /// /mnt/udisk: Permission denied`).
    public static func mount(_ request: MountRequest) -> String? {
        if let reason = makeDirectories(request.target) { return reason }
        let flags = UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC)
        let result = request.data.withCString { data in
            CLibc.mount(request.source, request.target, request.fsType, flags,
                        request.data.isEmpty ? nil : UnsafeRawPointer(data))
        }
        if result != 0 {
            return "mount \(request.source) on \(request.target): \(SystemError.describe(agent_errno()))"
        }
        return nil
    }

    /// Detaches the mount on `directory` at once (`umount2(MNT_DETACH)`): the stick is gone,
    /// so nothing can be flushed, and open files must not keep the mount point busy. Returns
    /// nil, or the reason it failed.
    public static func detach(_ directory: String) -> String? {
        if umount2(directory, Int32(MNT_DETACH)) != 0 {
            return "umount \(directory): \(SystemError.describe(agent_errno()))"
        }
        return nil
    }

    /// `mkdir -p`: creates `path` and its missing parents (mode 0755).
    static func makeDirectories(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        let slash = UInt8(ascii: "/")
        var end = 0
        // Each prefix that ends a component: "/mnt", then "/mnt/udisk".
        while end < bytes.count {
            while end < bytes.count, bytes[end] == slash { end += 1 }
            if end == bytes.count { break }
            while end < bytes.count, bytes[end] != slash { end += 1 }
            let prefix = String(decoding: bytes[0..<end], as: UTF8.self)
            if mkdir(prefix, 0o755) != 0, agent_errno() != EEXIST {
                return "mkdir \(prefix): \(SystemError.describe(agent_errno()))"
            }
        }
        return nil
    }
}
