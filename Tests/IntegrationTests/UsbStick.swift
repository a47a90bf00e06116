import Foundation
import TestSupport

/// A USB stick made of real parts for an agent to find, read and lose: an ext2 filesystem on
/// a loop device. The agent runs in a mount namespace of its own (`launcher`), where the
/// stick is mounted and where udev's database (a tmpfs on /run) says that the loop device is
/// a USB disk, as udevd's rules say of a real stick. Nothing outside that namespace sees the
/// stick as USB: other agents on the machine are not disturbed. Needs root (tests using it
/// skip without, `Root.required`); as root it needs losetup, mkfs.ext2, unshare and nsenter,
/// and without them the test fails.
///
/// Pulling the stick out is done as the kernel and an automounter see it: the device is cut
/// (its backing file truncated and its size re-read, so that every uncached read fails with
/// EIO), then the automounter detaches the mount (`umount -l`). udevd's remove event is not
/// imitated: the agent notices the mount gone on its next 2-second refresh, as it does when
/// an automounter acts first.
final class UsbStick {
    /// Where the stick is mounted, inside the agent's namespace.
    let mountPoint: String
    /// The loop device (`/dev/loop3`).
    let device: String
    private let folder: TemporaryDirectory
    private let image: String

    /// Makes a stick of `megabytes` holding `files` (path below the root → bytes). They are
    /// written into the filesystem by mkfs.ext2 (`-d`), never through a mount of the test's:
    /// a child another test spawns meanwhile could inherit a descriptor and pin that mount,
    /// and the agent's mount starts with nothing of the stick in the cache.
    init(megabytes: Int = 16, files: [String: Data]) throws {
        folder = try TemporaryDirectory()
        image = folder.path + "/stick.img"
        mountPoint = folder.path + "/stick"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let content = try TemporaryDirectory()
        for (path, bytes) in files { try content.write(path, bytes) }
        guard FileManager.default.createFile(atPath: image, contents: nil), truncate(image, off_t(megabytes) << 20) == 0 else {
            throw TestFailure("cannot make the stick's image \(image)")
        }
        try Tool.run("mkfs.ext2", ["-q", "-F", "-d", content.path, image])
        device = try Tool.run("losetup", ["-f", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        // Detached now, or (while the agent's namespace still holds its mount) when released.
        _ = try? Tool.run("losetup", ["-d", device])
    }

    /// The command that starts the agent in its own mount namespace, with udev's database
    /// saying this device is on the USB bus and the stick mounted (see `AgentProcess`).
    func launcher() throws -> [String] {
        let name = (device as NSString).lastPathComponent
        let number = try String(contentsOfFile: "/sys/class/block/\(name)/dev", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let script = """
            set -e
            mount -t tmpfs -o size=1m,mode=0755 udev-database /run
            mkdir -p /run/udev/data
            printf 'E:ID_BUS=usb\\nE:ID_FS_TYPE=ext2\\nE:ID_VENDOR=Test\\nE:ID_MODEL=Stick\\n' >/run/udev/data/b\(number)
            mount -o nosuid,nodev,noexec \(device) \(mountPoint)
            exec "$@"
            """
        return [try Executables.find("unshare"), "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh"]
    }

    /// Cuts the device off: every read of it fails with EIO from now on.
    func cut() throws {
        guard truncate(image, 0) == 0 else { throw TestFailure("truncate \(image): errno \(errno)") }
        try Tool.run("losetup", ["-c", device])
        // The page cache is dropped (not the dentries and inodes: a lookup that must read an
        // inode from a dead ext2 fails with ENOMEM, not EIO), so every read of a file's or a
        // folder's contents after the cut goes to the device: a folder listed just before
        // would otherwise be listed again from the cache, or not, by chance.
        try "1\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
    }

    /// The names in the stick's root (hidden ones too, sorted), as the process `pid` sees them
    /// in its namespace.
    func rootNames(inNamespaceOf pid: Int32) throws -> [String] {
        try Tool.run("nsenter", ["-t", "\(pid)", "-m", "ls", "-A", mountPoint]).split(separator: "\n").map(String.init).sorted()
    }

    /// Detaches the stick's mount in the namespace of the process `pid`, as an automounter does.
    func unmount(inNamespaceOf pid: Int32) throws {
        try Tool.run("nsenter", ["-t", "\(pid)", "-m", "umount", "-l", mountPoint])
    }
}
