import AgentCore
import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

// MARK: - Helpers

/// A `/proc/self/mountinfo` the test edits, counting reads; it can be made unreadable.
private final class FakeMountInfo {
    private(set) var lines = ["1 0 254:0 / / rw,relatime - ext4 /dev/vda rw"]
    private(set) var reads = 0
    var readable = true
    private var nextId = 100

    func text() throws(SystemError) -> String {
        reads += 1
        guard readable else {
            throw SystemError(call: "open /proc/self/mountinfo", errno: EACCES,
                              message: "open /proc/self/mountinfo: Permission denied")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Adds a mount of `device` (`major:minor`) on `point`, escaped the kernel's way.
    func mount(_ source: String, _ device: String, on point: String, fsType: String = "vfat", root: String = "/") {
        nextId += 1
        let escaped = point.replacingOccurrences(of: "\\", with: #"\134"#).replacingOccurrences(of: " ", with: #"\040"#)
        lines.append("\(nextId) 1 \(device) \(root) \(escaped) rw,nosuid,nodev,noexec,relatime shared:9 - \(fsType) \(source) rw,utf8")
    }

    /// Removes every mount on `point`.
    func unmount(_ point: String) {
        let escaped = point.replacingOccurrences(of: " ", with: #"\040"#)
        lines.removeAll { $0.split(separator: " ")[4] == escaped }
    }
}

/// What a `UsbStorage` reported.
private final class Recorder {
    var changes: [UsbState] = []
    var logs: [(level: LogLevel, message: String)] = []

    func logged(_ text: String, at level: LogLevel? = nil) -> Bool {
        logs.contains { $0.message.contains(text) && (level == nil || $0.level == level) }
    }
}

/// A storage reading `mounts`, with its callbacks recorded (not started: no real udev devices).
private func storage(_ mounts: FakeMountInfo, options: UsbStorage.Options = UsbStorage.Options(),
                     mount: @escaping (MountRequest) -> String? = { _ in "mount is not expected in this test" },
                     unmount: @escaping (String) -> String? = { _ in "umount is not expected in this test" })
    -> (UsbStorage, Recorder) {
    let recorder = Recorder()
    let storage = UsbStorage(options: options, mountInfo: { () throws(SystemError) -> String in try mounts.text() },
                             mount: mount, unmount: unmount)
    storage.onChange = { recorder.changes.append($0) }
    storage.log = { recorder.logs.append(($0, $1)) }
    return (storage, recorder)
}

/// A udev event for `/dev/<name>` as udevd sends it after its rules ran.
private func event(_ action: String, _ name: String, _ major: Int, _ minor: Int, devtype: String = "partition",
                   fsType: String? = "vfat", bus: String? = "usb") -> BlockDeviceEvent {
    var properties = ["DEVTYPE": devtype]
    if let bus { properties["ID_BUS"] = bus }
    if let fsType { properties["ID_FS_TYPE"] = fsType }
    return BlockDeviceEvent(action: action, devnode: "/dev/\(name)", major: major, minor: minor, properties: properties)
}

/// The `major:minor` of every block device in sysfs (what udev enumerates).
private func sysfsBlockDevices() throws -> Set<DeviceNumber> {
    var numbers = Set<DeviceNumber>()
    for name in try FileManager.default.contentsOfDirectory(atPath: "/sys/class/block") {
        let text = try String(contentsOfFile: "/sys/class/block/\(name)/dev", encoding: .utf8)
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else {
            throw TestFailure("/sys/class/block/\(name)/dev: \(text)")
        }
        numbers.insert(DeviceNumber(major: major, minor: minor))
    }
    return numbers
}

/// The USB stick tracker; its suites are nested so that `--filter UsbStorageTests` runs them all.
@Suite struct UsbStorageTests {}

// MARK: - Real libudev

/// The real libudev on this machine. It may have no USB disk (this project's machine has
/// none): then the enumeration is checked against sysfs and finds nothing on the USB bus.
extension UsbStorageTests {
    @Suite struct Udev {
        @Test func enumerationMatchesSysfsAndFindsOnlyUSBDevices() throws {
            let all = try UdevMonitor.blockDevices(usbOnly: false)
            #expect(!all.isEmpty, "no block device at all: the enumeration did not run")
            #expect(Set(all.map(\.device)) == (try sysfsBlockDevices()))
            for device in all {
                #expect(device.action == "add")
                #expect(device.devnode?.hasPrefix("/dev/") == true, "\(device)")
            }
            let usb = try UdevMonitor.blockDevices(usbOnly: true)
            for device in usb {
                #expect(device.properties["ID_BUS"] == "usb", "\(device)")
                #expect(all.contains { $0.device == device.device })
            }
            // Whatever udev's database says, the USB subset is exactly the devices with ID_BUS=usb.
            #expect(Set(usb.map(\.device)) == Set(all.filter(\.isUSB).map(\.device)))
        }

        @Test func startEnumeratesAndOpensTheMonitorSocket() throws {
            let recorder = Recorder()
            let storage = UsbStorage()
            storage.onChange = { recorder.changes.append($0) }
            storage.log = { recorder.logs.append(($0, $1)) }
            #expect(storage.pollDescriptor == -1, "no socket before start")
            #expect(storage.start(), "\(recorder.logs.map(\.message))")
            let usb = try UdevMonitor.blockDevices(usbOnly: true)
            #expect(storage.devices.map(\.device) == usb.map(\.device))
            for device in storage.devices {
                #expect(device.properties["ID_BUS"] == "usb")
            }
            #expect(storage.state.present == !usb.isEmpty)
            #expect(recorder.changes.isEmpty, "start sets the initial state without onChange")
            #expect(recorder.logged("USB stick", at: .info) || recorder.logged("no USB stick", at: .info))

            // The socket is a PollSource the reactor polls. Real kernel events need a USB stick
            // plugged into this machine (and udevd running); a poll without one waits and
            // reports nothing. `UsbStorageTests.Netlink` sends udevd-format messages instead.
            #expect(storage.pollDescriptor >= 0)
            #expect(storage.pollDescriptor == storage.monitor?.pollDescriptor)
            #expect(fcntl(storage.pollDescriptor, F_GETFL) & O_NONBLOCK != 0)
            let reactor = Reactor()
            reactor.add(storage)
            reactor.stop(after: 50)
            try reactor.runWithSafetyStop(limitMs: 5_000)
            storage.handle(events: Int16(POLLIN))  // nothing waiting: returns at once
            #expect(recorder.changes.isEmpty)
            reactor.remove(storage)
        }

        /// After lost events (ENOBUFS) the real enumeration is the truth: a tracked device it
        /// does not list is removed through the same path as a remove event.
        @Test func resynchronizeDropsDevicesTheEnumerationNoLongerLists() throws {
            let present = try UdevMonitor.blockDevices(usbOnly: true)
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts)
            let vanished = event("add", "sdzz1", 65, 4093)
            try #require(!present.contains { $0.device == vanished.device })
            usb.handle(vanished)
            #expect(usb.devices.count == 1)
            usb.resynchronize()
            #expect(usb.devices.map(\.device) == present.map(\.device))
            #expect(recorder.logged("/dev/sdzz1 removed", at: .info))
            #expect(usb.state.present == !present.isEmpty)
        }

        /// udev's own view of a device is what the events carry.
        @Test func monitorKeepsTheDocumentedProperties() {
            #expect(UdevMonitor.keptProperties.contains("ID_BUS"))
            #expect(UdevMonitor.keptProperties.contains("ID_FS_TYPE"))
            #expect(UdevMonitor.keptProperties.contains("DEVTYPE"))
        }
    }
}

// MARK: - Events through the one code path

/// Events fed to `handle(_:)`, the function the monitor socket and the enumeration call.
extension UsbStorageTests {
    @Suite struct Events {
        @Test func addOfAMountedUSBPartitionGivesItsMountPoint() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/pi/My Stick")
            let (usb, recorder) = storage(mounts)
            #expect(usb.currentMountPoint == nil)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == "/media/pi/My Stick")
            #expect(usb.state == UsbState(present: true, mountPoint: "/media/pi/My Stick", devnode: "/dev/sdb1"))
            #expect(recorder.changes == [usb.state])
            #expect(usb.devices.map(\.devnode) == ["/dev/sdb1"])
            #expect(recorder.logged("/dev/sdb1", at: .info))
        }

        @Test func removeForgetsTheStick() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/mnt/udisk")
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", "sdb1", 8, 17))
            // udev's remove events carry the properties too, but they are not needed.
            usb.handle(BlockDeviceEvent(action: "remove", devnode: "/dev/sdb1", major: 8, minor: 17, properties: [:]))
            #expect(usb.currentMountPoint == nil)
            #expect(usb.state == .absent)
            #expect(usb.devices.isEmpty)
            #expect(recorder.changes.map(\.present) == [true, false])
            #expect(recorder.changes.last?.mountPoint == nil)
        }

        @Test(arguments: [("ata", "sda"), ("nvme", "nvme0n1p1"), (nil, "loop0")] as [(String?, String)])
        func nonUSBDisksAreIgnored(bus: String?, name: String) {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/\(name)", "8:0", on: "/data")
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", name, 8, 0, devtype: "disk", fsType: "ext4", bus: bus))
            usb.handle(event("change", name, 8, 0, devtype: "disk", fsType: "ext4", bus: bus))
            #expect(usb.devices.isEmpty)
            #expect(usb.state == .absent)
            #expect(recorder.changes.isEmpty)
            #expect(mounts.reads == 0, "no USB device: mountinfo is not read")
            usb.handle(event("remove", name, 8, 0, devtype: "disk", fsType: "ext4", bus: bus))
            #expect(recorder.changes.isEmpty)
        }

        @Test func aMountThatAppearsOnALaterRefreshFiresOnce() {
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == nil)
            #expect(recorder.changes == [UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb1")])
            usb.refresh()
            usb.refresh()
            #expect(recorder.changes.count == 1, "nothing changed")
            mounts.mount("/dev/sdb1", "8:17", on: "/media/usb0")  // the automounter, after udev's add
            usb.refresh()
            #expect(usb.currentMountPoint == "/media/usb0")
            usb.refresh()
            usb.refresh()
            #expect(recorder.changes == [UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb1"),
                                         UsbState(present: true, mountPoint: "/media/usb0", devnode: "/dev/sdb1")])
        }

        /// The stick is pulled out: the automounter unmounts it before (or without) udev's remove.
        @Test func theMountDisappearingMidWayClearsTheMountPoint() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/usb0")
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == "/media/usb0")
            mounts.unmount("/media/usb0")
            usb.refresh()
            #expect(usb.currentMountPoint == nil)
            #expect(usb.state.present)
            #expect(recorder.changes.count == 2)
            #expect(recorder.changes.last == UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb1"))
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(recorder.changes.last == .absent)
            #expect(recorder.changes.count == 3)
        }

        @Test func aWholeDiskAndItsPartitionAreOneStick() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/usb0")
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", "sdb", 8, 16, devtype: "disk", fsType: nil))
            #expect(recorder.changes == [UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb")])
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.state == UsbState(present: true, mountPoint: "/media/usb0", devnode: "/dev/sdb1"))
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(usb.state == UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb"))
            usb.handle(event("remove", "sdb", 8, 16, devtype: "disk", fsType: nil))
            #expect(usb.state == .absent)
            #expect(recorder.changes.count == 4)
        }

        /// A card reader: the disk is there from the start, the medium arrives as a change.
        @Test func aChangeEventUpdatesOrAddsTheDevice() {
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts)
            usb.handle(event("change", "sdc", 8, 32, devtype: "disk", fsType: nil))
            #expect(usb.devices.count == 1)
            usb.handle(event("change", "sdc", 8, 32, devtype: "disk", fsType: "exfat"))
            #expect(usb.devices.count == 1)
            #expect(usb.devices.first?.fsType == "exfat")
            mounts.mount("/dev/sdc", "8:32", on: "/media/card", fsType: "exfat")
            usb.handle(event("change", "sdc", 8, 32, devtype: "disk", fsType: "exfat"))
            #expect(usb.currentMountPoint == "/media/card")
            #expect(recorder.changes.count == 2)
        }

        @Test(arguments: ["bind", "unbind", "move", "online", "offline", ""])
        func otherActionsAreIgnored(action: String) {
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts)
            usb.handle(event(action, "sdb1", 8, 17))
            #expect(usb.devices.isEmpty)
            #expect(recorder.changes.isEmpty)
            #expect(mounts.reads == 0)
        }

        @Test func eventsReReadMountInfoAndRefreshReadsNothingWithoutAStick() {
            let mounts = FakeMountInfo()
            let (usb, _) = storage(mounts)
            usb.refresh()
            #expect(mounts.reads == 0)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(mounts.reads == 1)
            usb.refresh()
            #expect(mounts.reads == 2)
            usb.handle(event("remove", "sdb1", 8, 17))
            usb.refresh()
            #expect(mounts.reads == 2)
        }

        @Test func aDeviceMountedTwiceIsReportedAtItsFirstMount() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/first")
            mounts.mount("/dev/sdb1", "8:17", on: "/media/second")
            let (usb, _) = storage(mounts)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == "/media/first")
        }

        @Test func anUnreadableMountInfoIsLoggedOnceAndLeavesNoMountPoint() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/usb0")
            mounts.readable = false
            let (usb, recorder) = storage(mounts)
            usb.handle(event("add", "sdb1", 8, 17))
            usb.refresh()
            usb.refresh()
            #expect(usb.state == UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb1"))
            #expect(recorder.logs.filter { $0.message.contains("Permission denied") }.count == 1)
            #expect(recorder.logs.first { $0.message.contains("Permission denied") }?.level == .error)
            mounts.readable = true
            usb.refresh()
            #expect(usb.currentMountPoint == "/media/usb0")
        }
    }
}

// MARK: - usb_automount

/// The agent mounting sticks itself, with mount(2) replaced by the test.
extension UsbStorageTests {
    @Suite struct Automount {
        static let options = UsbStorage.Options(automount: true, mountDirectory: "/mnt/udisk")

        @Test func mountsAnInsertedStickAndDetachesItOnRemoval() throws {
            let mounts = FakeMountInfo()
            var requests: [MountRequest] = []
            var unmounted: [String] = []
            let (usb, recorder) = storage(mounts, options: Self.options, mount: { request in
                requests.append(request)
                mounts.mount(request.source, "8:17", on: request.target, fsType: request.fsType)
                return nil
            }, unmount: { directory in
                unmounted.append(directory)
                mounts.unmount(directory)
                return nil
            })
            usb.handle(event("add", "sdb", 8, 16, devtype: "disk", fsType: nil))
            #expect(requests.isEmpty, "a disk with a partition table has no filesystem to mount")
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(requests == [MountRequest(source: "/dev/sdb1", target: "/mnt/udisk", fsType: "vfat",
                                              data: "uid=\(getuid()),gid=\(getgid()),utf8")])
            #expect(usb.currentMountPoint == "/mnt/udisk")
            #expect(recorder.changes.last == UsbState(present: true, mountPoint: "/mnt/udisk", devnode: "/dev/sdb1"))
            usb.refresh()
            #expect(requests.count == 1)
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(unmounted == ["/mnt/udisk"])
            #expect(usb.currentMountPoint == nil)
            usb.handle(event("remove", "sdb", 8, 16, devtype: "disk", fsType: nil))
            #expect(usb.state == .absent)
            #expect(unmounted.count == 1)
        }

        @Test func aFailedMountIsLoggedWithItsReasonAndNotRetried() {
            let mounts = FakeMountInfo()
            var attempts = 0
            let (usb, recorder) = storage(mounts, options: Self.options, mount: { request in
                attempts += 1
                return "mount \(request.source) on \(request.target): Permission denied"
            })
            usb.handle(event("add", "sdb1", 8, 17))
            usb.refresh()
            usb.refresh()
            #expect(attempts == 1)
            #expect(recorder.logged("cannot mount USB stick /dev/sdb1 (vfat): mount /dev/sdb1 on /mnt/udisk: Permission denied", at: .warning))
            #expect(usb.state == UsbState(present: true, mountPoint: nil, devnode: "/dev/sdb1"))
            // Pulled out and put back: tried again.
            usb.handle(event("remove", "sdb1", 8, 17))
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(attempts == 2)
        }

        @Test func anUnsupportedFilesystemIsNotMounted() {
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts, options: Self.options)
            usb.handle(event("add", "sr0", 11, 0, devtype: "disk", fsType: "iso9660"))
            usb.refresh()
            #expect(recorder.logs.filter { $0.message.contains("iso9660") && $0.level == .warning }.count == 1)
            #expect(!recorder.logged("mount is not expected"))
            #expect(usb.currentMountPoint == nil)
        }

        @Test func aStickTheSystemMountedIsLeftWhereItIs() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/media/auto")
            let (usb, recorder) = storage(mounts, options: Self.options)
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == "/media/auto")
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(!recorder.logged("not expected"), "neither mount nor umount was called")
        }

        @Test func aDirectoryInUseIsNotMountedOver() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/mmcblk0p7", "179:7", on: "/mnt/udisk", fsType: "ext4")
            let (usb, recorder) = storage(mounts, options: Self.options)
            usb.handle(event("add", "sdb1", 8, 17))
            usb.refresh()
            #expect(recorder.logs.filter { $0.message.contains("already a mount point") }.count == 1)
            #expect(!recorder.logged("not expected"))
            #expect(usb.currentMountPoint == nil)
        }

        /// After a restart of the agent its earlier mount of the same stick is taken over.
        @Test func itsOwnEarlierMountIsTakenOver() {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdb1", "8:17", on: "/mnt/udisk")
            var unmounted: [String] = []
            let (usb, _) = storage(mounts, options: Self.options, unmount: { unmounted.append($0); return nil })
            usb.handle(event("add", "sdb1", 8, 17))
            #expect(usb.currentMountPoint == "/mnt/udisk")
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(unmounted == ["/mnt/udisk"])
        }

        @Test func aFailedUnmountIsLogged() {
            let mounts = FakeMountInfo()
            let (usb, recorder) = storage(mounts, options: Self.options, mount: { request in
                mounts.mount(request.source, "8:17", on: request.target)
                return nil
            }, unmount: { "umount \($0): Device or resource busy" })
            usb.handle(event("add", "sdb1", 8, 17))
            usb.handle(event("remove", "sdb1", 8, 17))
            #expect(recorder.logged("cannot unmount the removed USB stick: umount /mnt/udisk: Device or resource busy", at: .warning))
            #expect(usb.state == .absent)
        }

        @Test(arguments: [
            ("vfat", "vfat", "uid=1000,gid=100,utf8"),
            ("exfat", "exfat", "uid=1000,gid=100,iocharset=utf8"),
            ("ntfs", "ntfs3", "uid=1000,gid=100"),
            ("ext2", "ext4", ""),
            ("ext3", "ext4", ""),
            ("ext4", "ext4", ""),
        ])
        func mountRequests(idFsType: String, kernel: String, data: String) {
            let request = UsbMount.request(devnode: "/dev/sda1", idFsType: idFsType, directory: "/mnt/udisk", uid: 1000, gid: 100)
            #expect(request == MountRequest(source: "/dev/sda1", target: "/mnt/udisk", fsType: kernel, data: data))
        }

        @Test(arguments: ["iso9660", "swap", "crypto_LUKS", "btrfs", "", "VFAT"])
        func otherFilesystemsAreNotMounted(idFsType: String) {
            #expect(UsbMount.request(devnode: "/dev/sda1", idFsType: idFsType, directory: "/mnt/udisk", uid: 0, gid: 0) == nil)
        }

        @Test func optionsFollowTheConfiguration() {
            var config = AgentConfig()
            #expect(UsbStorage.Options(config: config).automount == false)
            #expect(UsbStorage.Options(config: config).mountDirectory == "/mnt/exUDISK")
            config.usbAutomount = true
            config.storageUSB = "/media/stick"
            let options = UsbStorage.Options(config: config)
            #expect(options.automount)
            #expect(options.mountDirectory == "/media/stick")
        }
    }
}

// MARK: - Real mount(2) on a loop device

/// Runs `arguments` and returns its standard output; a non-zero exit throws.
@discardableResult
private func run(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Foundation.Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The default mount(2)/umount2(2) path, on an ext4 image behind a loop device presented as a
/// USB partition (the only thing faked is udev's ID_BUS), against the real mountinfo.
extension UsbStorageTests {
    /// As root it runs and needs /dev/loop-control, mkfs.ext4 and losetup: without them it fails.
    @Suite(Root.required(reason: "mounts an ext4 image on a loop device"))
    struct RealMount {
        @Test func mountsWithNosuidNodevNoexecAndDetaches() throws {
            let directory = try TemporaryDirectory()
            try mountAndDetach(in: directory)
            // The directory goes only after the loop device and the mount are gone.
            withExtendedLifetime(directory) {}
        }

        private func mountAndDetach(in directory: TemporaryDirectory) throws {
            let image = directory.path + "/stick.img"
            try run(["truncate", "-s", "8M", image])
            try run(["mkfs.ext4", "-q", "-F", image])
            let loop = try run(["losetup", "--find", "--show", image])
            defer { _ = try? run(["losetup", "-d", loop]) }
            let name = (loop as NSString).lastPathComponent
            let numbers = try String(contentsOfFile: "/sys/class/block/\(name)/dev", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").compactMap { Int($0) }
            try #require(numbers.count == 2)
            let target = directory.path + "/mnt/stick"  // created by the mount path (mkdir -p)
            defer { _ = umount2(target, Int32(MNT_DETACH)) }

            let recorder = Recorder()
            let usb = UsbStorage(options: UsbStorage.Options(automount: true, mountDirectory: target))
            usb.onChange = { recorder.changes.append($0) }
            usb.log = { recorder.logs.append(($0, $1)) }
            usb.handle(BlockDeviceEvent(action: "add", devnode: loop, major: numbers[0], minor: numbers[1],
                                        properties: ["ID_BUS": "usb", "ID_FS_TYPE": "ext4", "DEVTYPE": "disk"]))
            #expect(usb.currentMountPoint == target, "\(recorder.logs.map(\.message))")
            let entry = try #require(MountInfo.parse(try UsbStorage.readProcMountInfo()).last { $0.mountPoint == target })
            #expect(entry.fsType == "ext4")
            #expect(entry.source == loop)
            for option in ["rw", "nosuid", "nodev", "noexec"] {
                #expect(entry.options.split(separator: ",").contains(Substring(option)), "\(entry.options)")
            }
            #expect(FileManager.default.createFile(atPath: target + "/written.gcode", contents: Data("G28\n".utf8)))

            usb.handle(BlockDeviceEvent(action: "remove", devnode: loop, major: numbers[0], minor: numbers[1], properties: [:]))
            #expect(usb.currentMountPoint == nil)
            #expect(!MountInfo.parse(try UsbStorage.readProcMountInfo()).contains { $0.mountPoint == target })
            #expect(recorder.changes.map(\.mountPoint) == [target, nil])
        }

        @Test func aMountThatFailsIsLoggedWithTheKernelsReason() throws {
            let directory = try TemporaryDirectory()
            let usb = UsbStorage(options: UsbStorage.Options(automount: true, mountDirectory: directory.path + "/mnt"))
            var logs: [String] = []
            usb.log = { _, message in logs.append(message) }
            usb.handle(BlockDeviceEvent(action: "add", devnode: "/dev/printer-agent-no-such-device", major: 259, minor: 999_999,
                                        properties: ["ID_BUS": "usb", "ID_FS_TYPE": "ext4"]))
            #expect(usb.currentMountPoint == nil)
            #expect(logs.contains { $0.contains("cannot mount USB stick /dev/printer-agent-no-such-device (ext4): mount /dev/printer-agent-no-such-device on \(directory.path)/mnt: No such file or directory") },
                    "\(logs)")
        }
    }
}

// MARK: - The monitor socket, fed by an imitation of udevd

/// A thread's result; a semaphore orders the thread's write before the reader's read.
private final class ThreadOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error> = .failure(TestFailure("the thread did not run"))
}

/// Runs `body` on a thread of its own in a new network namespace and returns its result. A
/// netlink socket belongs to the namespace it was created in, so sockets `body` opens stay
/// there (usable from any thread) and messages on them reach no other process. The thread
/// ends with `body`, so no other code ever runs in that namespace.
private func inPrivateNetworkNamespace<T>(_ body: @escaping () throws -> T) throws -> T {
    typealias Unshare = @convention(c) (Int32) -> Int32
    let outcome = ThreadOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        defer { done.signal() }
        guard let symbol = dlsym(nil, "unshare") else {
            outcome.result = .failure(TestFailure("no unshare in libc"))
            return
        }
        let cloneNewNet: Int32 = 0x4000_0000
        guard unsafeBitCast(symbol, to: Unshare.self)(cloneNewNet) == 0 else {
            outcome.result = .failure(TestFailure("unshare(CLONE_NEWNET): \(SystemError.describe(errno))"))
            return
        }
        outcome.result = Result { try body() }
    }
    thread.start()
    done.wait()
    return try outcome.result.get()
}

/// Whether udevd-format messages can be sent to a monitor here: a private network namespace
/// can be made (root, checked first by `Root.required`), and libudev listens on udev's group
/// at all (it does when udevd runs or /dev is a devtmpfs; in other containers it silently
/// disables the monitor).
private let canImitateUdevd: Bool = {
    guard Root.isRoot, (try? inPrivateNetworkNamespace { true }) == true else { return false }
    if FileManager.default.fileExists(atPath: "/run/udev/control") { return true }
    let mounts = (try? UsbStorage.readProcMountInfo()).map { MountInfo.parse($0) } ?? []
    return mounts.contains { $0.mountPoint == "/dev" && $0.fsType == "devtmpfs" }
}()

/// MurmurHash2 with seed 0, which udevd puts in its messages for libudev's socket filter.
private func murmurHash2(_ text: String) -> UInt32 {
    let data = Array(text.utf8)
    let m: UInt32 = 0x5bd1_e995
    var hash = UInt32(truncatingIfNeeded: data.count)
    var index = 0
    while data.count - index >= 4 {
        var k = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index, as: UInt32.self) }
        k &*= m
        k ^= k >> 24
        k &*= m
        hash &*= m
        hash ^= k
        index += 4
    }
    let rest = data.count - index
    if rest >= 3 { hash ^= UInt32(data[index + 2]) << 16 }
    if rest >= 2 { hash ^= UInt32(data[index + 1]) << 8 }
    if rest >= 1 {
        hash ^= UInt32(data[index])
        hash &*= m
    }
    hash ^= hash >> 13
    hash &*= m
    hash ^= hash >> 15
    return hash
}

/// Sends what udevd broadcasts after its rules ran: the "libudev" header (magic 0xfeedcafe,
/// subsystem and devtype hashes for the socket filter) and the device's properties, to the
/// netlink group of udev's events (2).
private final class FakeUdevd {
    let socketDescriptor: Int32
    private var sequence = 1000

    init() throws {
        let afNetlink: Int32 = 16, netlinkKobjectUevent: Int32 = 15
        socketDescriptor = socket(afNetlink, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkKobjectUevent)
        guard socketDescriptor >= 0 else { throw TestFailure("socket(AF_NETLINK): \(SystemError.describe(errno))") }
    }

    deinit { close(socketDescriptor) }

    /// Broadcasts an event of `subsystem` with `properties` (ACTION, DEVPATH, SEQNUM are added).
    func send(action: String, subsystem: String = "block", devpath: String, _ properties: [(String, String)]) throws {
        sequence += 1
        let all = [("ACTION", action), ("DEVPATH", devpath), ("SUBSYSTEM", subsystem), ("SEQNUM", "\(sequence)")] + properties
        var body: [UInt8] = []
        for (key, value) in all { body += Array("\(key)=\(value)".utf8) + [0] }
        var message = Array("libudev".utf8) + [0]
        func append(_ value: UInt32) { withUnsafeBytes(of: value) { message += $0 } }
        append(UInt32(0xfeed_cafe).bigEndian)  // magic, network order
        append(40)  // header size
        append(40)  // properties offset
        append(UInt32(body.count))
        append(murmurHash2(subsystem).bigEndian)
        append(properties.first { $0.0 == "DEVTYPE" }.map { murmurHash2($0.1).bigEndian } ?? 0)
        append(0)  // tag bloom filter, high and low
        append(0)
        message += body
        var address = sockaddr_storage()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: UInt16(16), toByteOffset: 0, as: UInt16.self)  // nl_family = AF_NETLINK
            raw.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)  // nl_pid = the kernel
            raw.storeBytes(of: UInt32(2), toByteOffset: 8, as: UInt32.self)  // nl_groups = udev's
        }
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(socketDescriptor, message, message.count, 0, $0, 12)
            }
        }
        // ECONNREFUSED only says that no one listened; the test then fails on what arrived.
        guard sent == message.count || errno == ECONNREFUSED else {
            throw TestFailure("sendto(netlink): \(SystemError.describe(errno))")
        }
    }
}

extension UsbStorageTests {
    /// The monitor socket end to end: messages in udevd's format go through the socket,
    /// libudev's filter and parser, `UdevMonitor` and the reactor into `handle(_:)`. (A real
    /// stick would need hardware and udevd; this imitates udevd in a private network
    /// namespace, so nothing else on the machine sees these messages.)
    @Suite(Root.required(reason: "imitates udevd in a private network namespace"),
           .enabled(if: canImitateUdevd, "needs a udev-capable /dev (udevd running, or a devtmpfs)"))
    struct Netlink {
        @Test func udevdMessagesReachTheStorageThroughTheSocket() throws {
            let mounts = FakeMountInfo()
            mounts.mount("/dev/sdaf1", "65:241", on: "/media/FAKE STICK")
            let (usb, recorder) = storage(mounts)
            let udevd: FakeUdevd = try inPrivateNetworkNamespace {
                usb.start()
                return try FakeUdevd()
            }
            #expect(usb.pollDescriptor >= 0)
            let fake = DeviceNumber(major: 65, minor: 241)
            let devpath = "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host9/target9:0:0/9:0:0:0/block/sdaf/sdaf1"
            let reactor = Reactor()
            reactor.add(usb)

            // Not block: dropped by the socket filter. Block but not USB: ignored. Then the stick.
            try udevd.send(action: "add", subsystem: "net", devpath: "/devices/virtual/net/dummy9", [("INTERFACE", "dummy9")])
            try udevd.send(action: "add", devpath: "/devices/virtual/block/loop9",
                           [("DEVNAME", "/dev/loop9"), ("DEVTYPE", "disk"), ("MAJOR", "7"), ("MINOR", "9")])
            try udevd.send(action: "add", devpath: devpath, [
                ("DEVNAME", "/dev/sdaf1"), ("DEVTYPE", "partition"), ("MAJOR", "65"), ("MINOR", "241"),
                ("ID_BUS", "usb"), ("ID_FS_TYPE", "vfat"), ("ID_FS_LABEL", "FAKE STICK"), ("ID_VENDOR", "Fake"),
                ("ID_MODEL", "Stick"), ("USEC_INITIALIZED", "123456"), ("UNKEPT_PROPERTY", "x"),
            ])
            try reactor.run(until: "the stick's add event", limitMs: 5_000) { usb.devices.contains { $0.device == fake } }
            let device = try #require(usb.devices.first { $0.device == fake })
            #expect(device.devnode == "/dev/sdaf1")
            #expect(device.properties == ["ID_BUS": "usb", "ID_FS_TYPE": "vfat", "DEVTYPE": "partition",
                                          "ID_FS_LABEL": "FAKE STICK", "ID_VENDOR": "Fake", "ID_MODEL": "Stick"])
            #expect(!usb.devices.contains { $0.device == DeviceNumber(major: 7, minor: 9) })
            #expect(recorder.logged("/dev/loop9: not a USB device", at: .debug))
            #expect(usb.currentMountPoint == "/media/FAKE STICK")
            #expect(recorder.changes.last?.mountPoint == "/media/FAKE STICK")

            try udevd.send(action: "remove", devpath: devpath, [
                ("DEVNAME", "/dev/sdaf1"), ("DEVTYPE", "partition"), ("MAJOR", "65"), ("MINOR", "241"), ("ID_BUS", "usb"),
            ])
            try reactor.run(until: "the stick's remove event", limitMs: 5_000) { !usb.devices.contains { $0.device == fake } }
            #expect(usb.currentMountPoint == nil)
            #expect(recorder.changes.last?.mountPoint == nil)
            reactor.remove(usb)
        }
    }
}
