import AgentCore
import CLibc

/// A USB block device the agent tracks (a whole disk or a partition).
public struct UsbDevice: Equatable {
    /// Its `major:minor`.
    public var device: DeviceNumber
    /// Its device node (`/dev/sda1`), when udev names one.
    public var devnode: String?
    /// Its udev properties (`ID_BUS`, `ID_FS_TYPE`, `DEVTYPE`, ...).
    public var properties: [String: String]

    /// Creates a device from its values.
    public init(device: DeviceNumber, devnode: String?, properties: [String: String]) {
        self.device = device
        self.devnode = devnode
        self.properties = properties
    }

    /// The filesystem blkid found on it (`ID_FS_TYPE`), or nil (a disk holding a partition
    /// table has none).
    public var fsType: String? {
        guard let value = properties["ID_FS_TYPE"], !value.isEmpty else { return nil }
        return value
    }

    /// The device node, or `major:minor` when it has none, for log lines.
    public var name: String { devnode ?? device.text }
}

/// What clients are told about USB sticks: whether one is plugged in, and where its files are.
public struct UsbState: Equatable {
    /// Whether a USB block device is present.
    public var present: Bool
    /// Where the stick's filesystem is mounted, or nil (none present, not mounted yet, or
    /// its mount gone).
    public var mountPoint: String?
    /// The device node of the mounted device, else of the first present one, else nil.
    public var devnode: String?

    /// Creates a state from its values.
    public init(present: Bool, mountPoint: String?, devnode: String?) {
        self.present = present
        self.mountPoint = mountPoint
        self.devnode = devnode
    }

    /// No stick.
    public static let absent = UsbState(present: false, mountPoint: nil, devnode: nil)
}

/// USB sticks through libudev: at `start()` the USB block devices present are enumerated,
/// then the udev monitor socket (this object is its `PollSource`) reports insertions and
/// removals. Both feed one code path, `handle(_:)`, which takes plain values. The stick's
/// mount point comes from `/proc/self/mountinfo` by `major:minor`, re-read on each USB event
/// and on `refresh()` (the system's automounter mounts after udev's add event); `onChange`
/// is called only when presence or the mount point actually changes.
///
/// With `Options.automount` the agent mounts a stick itself on `Options.mountDirectory`
/// (`UsbMount`) and detaches it when the stick is removed. A failed mount is logged with its
/// reason, never fatal. Nothing here blocks: the monitor socket is non-blocking and
/// mountinfo is a small in-memory file.
public final class UsbStorage: PollSource {
    /// How sticks are mounted.
    public struct Options {
        /// Whether the agent mounts sticks itself (`usb_automount`).
        public var automount: Bool
        /// Where it mounts them (`storage_usb`).
        public var mountDirectory: String

        /// Creates options; the defaults are those of the configuration.
        public init(automount: Bool = false, mountDirectory: String = "/mnt/udisk") {
            self.automount = automount
            self.mountDirectory = mountDirectory
        }

        /// The options a configuration sets.
        public init(config: AgentConfig) {
            self.init(automount: config.usbAutomount, mountDirectory: config.storageUSB)
        }
    }

    /// Called with the new state when presence or the mount point changes (not during `start()`,
    /// whose result is the initial state).
    public var onChange: (UsbState) -> Void = { _ in }
    /// Where log lines go.
    public var log: (LogLevel, String) -> Void = { _, _ in }

    /// The current state.
    public private(set) var state = UsbState.absent
    /// The USB block devices present, in the order they appeared.
    public private(set) var devices: [UsbDevice] = []
    /// The monitor socket, once `start()` opened it.
    public private(set) var monitor: UdevMonitor?

    private let options: Options
    private let readMountInfo: () throws(SystemError) -> String
    private let mountStick: (MountRequest) -> String?
    private let unmountStick: (String) -> String?
    /// The device the agent mounted on `options.mountDirectory`, if any.
    private var ownMount: DeviceNumber?
    /// Devices a mount was tried for (each is tried once per insertion; a handful at most).
    private var attempted: [DeviceNumber] = []
    private var starting = false
    private var mountInfoFailing = false
    private var warnedDirectoryBusy = false

    /// Creates the tracker. `mountInfo` returns the text of `/proc/self/mountinfo`; `mount`
    /// and `unmount` return nil or the reason they failed. Tests replace all three.
    public init(options: Options = Options(),
                mountInfo: @escaping () throws(SystemError) -> String = UsbStorage.readProcMountInfo,
                mount: @escaping (MountRequest) -> String? = UsbMount.mount,
                unmount: @escaping (String) -> String? = UsbMount.detach) {
        self.options = options
        self.readMountInfo = mountInfo
        self.mountStick = mount
        self.unmountStick = unmount
    }

    /// The mount point of the stick, for the file commands; nil when there is none.
    public var currentMountPoint: String? { state.mountPoint }

    /// The text of `/proc/self/mountinfo`.
    public static func readProcMountInfo() throws(SystemError) -> String {
        String(decoding: try FileReader.read(MountInfo.path, limit: 4 << 20), as: UTF8.self)
    }

    /// Opens the monitor socket, then enumerates the USB block devices present (in that
    /// order, so that a stick inserted in between is not missed) and sets the initial state
    /// without calling `onChange`. Failures are logged, not thrown: without udev the agent
    /// runs on, without USB. Returns whether both steps worked. Call it once.
    @discardableResult
    public func start() -> Bool {
        var ok = true
        if monitor != nil { return true }
        do {
            let monitor = try UdevMonitor()
            monitor.onEvent = { [unowned(unsafe) self] event in self.handle(event) }
            monitor.onError = { [unowned(unsafe) self] code in self.receiveFailed(code) }
            self.monitor = monitor
        } catch {
            log(.error, "USB sticks plugged in later will not be noticed: \(error.message)")
            ok = false
        }
        starting = true
        defer { starting = false }
        do {
            for event in try UdevMonitor.blockDevices(usbOnly: true) { handle(event) }
        } catch {
            log(.error, "cannot enumerate USB block devices: \(error.message)")
            ok = false
        }
        if devices.isEmpty {
            log(.info, "no USB stick")
        } else if let mountPoint = state.mountPoint {
            log(.info, "USB stick \(state.devnode ?? "without device node") mounted on \(mountPoint)")
        } else {
            log(.info, "USB stick \(state.devnode ?? "without device node") present, not mounted")
        }
        return ok
    }

    /// Takes one device event, from the monitor, the start-up enumeration or a test: `add` and
    /// `change` of a device with `ID_BUS=usb` track it; `remove` forgets a tracked device
    /// (whatever its properties say) and detaches the agent's own mount of it. Other devices
    /// and actions are ignored. Then the mount point is looked up again.
    public func handle(_ event: BlockDeviceEvent) {
        switch event.action {
        case "add", "change":
            guard event.isUSB else {
                log(.debug, "udev \(event.action) \(event.devnode ?? event.device.text): not a USB device")
                return
            }
            let device = UsbDevice(device: event.device, devnode: event.devnode, properties: event.properties)
            if let index = devices.firstIndex(where: { $0.device == event.device }) {
                devices[index] = device
            } else {
                devices.append(device)
                log(.info, "USB device \(device.name) (\(describe(device)))")
            }
        case "remove":
            guard let index = devices.firstIndex(where: { $0.device == event.device }) else { return }
            let device = devices.remove(at: index)
            attempted.removeAll { $0 == device.device }
            log(.info, "USB device \(device.name) removed")
            if ownMount == device.device { detachOwnMount() }
        default:
            log(.debug, "udev \(event.action) \(event.devnode ?? event.device.text): ignored")
            return
        }
        update()
    }

    /// Looks the mount point up again: call every 2 s (an automounter mounts after udev's add
    /// event, and unmounts when a stick is pulled out). Reads nothing while no stick is present.
    public func refresh() {
        update()
    }

    /// Re-enumerates the USB block devices and reconciles them with those tracked (after the
    /// monitor socket overflowed and events were lost).
    public func resynchronize() {
        let present: [BlockDeviceEvent]
        do {
            present = try UdevMonitor.blockDevices(usbOnly: true)
        } catch {
            log(.error, "cannot enumerate USB block devices: \(error.message)")
            return
        }
        for device in devices where !present.contains(where: { $0.device == device.device }) {
            handle(BlockDeviceEvent(action: "remove", devnode: device.devnode, major: device.device.major,
                                    minor: device.device.minor, properties: device.properties))
        }
        for event in present { handle(event) }
    }

    /// The monitor socket, or -1 (not polled) before `start()` or when it could not be opened.
    public var pollDescriptor: Int32 { monitor?.pollDescriptor ?? -1 }

    /// Readability of the monitor socket.
    public var pollEvents: Int16 { Int16(POLLIN) }

    /// Receives the waiting udev events; each goes through `handle(_:)`.
    public func handle(events: Int16) { monitor?.handle(events: events) }

    // MARK: - State

    private func update() {
        guard !devices.isEmpty || ownMount != nil else {
            publish(UsbState.absent)
            return
        }
        guard var entries = mounts() else {
            publish(UsbState(present: !devices.isEmpty, mountPoint: nil, devnode: devices.first?.devnode))
            return
        }
        if let own = ownMount, !entries.contains(where: { $0.device == own && $0.mountPoint == options.mountDirectory }) {
            log(.info, "\(options.mountDirectory) was unmounted by someone else")
            ownMount = nil
        }
        if options.automount, automount(entries) { entries = mounts() ?? [] }
        let mount = MountInfo.firstMount(of: devices.map { $0.device }, in: entries)
        let mounted = mount.flatMap { entry in devices.first { $0.device == entry.device } }
        publish(UsbState(present: !devices.isEmpty, mountPoint: mount?.mountPoint,
                         devnode: (mounted ?? devices.first)?.devnode))
    }

    private func publish(_ next: UsbState) {
        let changed = next.present != state.present || next.mountPoint != state.mountPoint
        state = next
        guard changed, !starting else { return }
        if let mountPoint = next.mountPoint {
            log(.info, "USB stick \(next.devnode ?? "") available at \(mountPoint)")
        } else {
            log(.info, next.present ? "USB stick present, not mounted" : "no USB stick")
        }
        onChange(next)
    }

    /// The mounts now, or nil (logged once until it works again) when mountinfo cannot be read.
    private func mounts() -> [MountEntry]? {
        do {
            let entries = MountInfo.parse(try readMountInfo())
            mountInfoFailing = false
            return entries
        } catch {
            if !mountInfoFailing { log(.error, "USB stick mount points unknown: \(error.message)") }
            mountInfoFailing = true
            return nil
        }
    }

    // MARK: - Mounting (usb_automount)

    /// Mounts the first present device with a filesystem that is not mounted anywhere and
    /// was not tried yet, when nothing is mounted on the directory. Returns whether it mounted.
    private func automount(_ entries: [MountEntry]) -> Bool {
        guard ownMount == nil else { return false }
        let directory = options.mountDirectory
        // The last mount on the directory is the one seen there.
        if let existing = entries.last(where: { $0.mountPoint == directory }) {
            if devices.contains(where: { $0.device == existing.device }) {
                ownMount = existing.device
                log(.info, "taking over the mount of \(existing.source) on \(directory)")
            } else if !warnedDirectoryBusy {
                log(.warning, "\(directory) is already a mount point (of \(existing.source)): USB sticks are not mounted there")
                warnedDirectoryBusy = true
            }
            return false
        }
        warnedDirectoryBusy = false
        guard let candidate = devices.first(where: { device in
            device.fsType != nil && device.devnode != nil && !attempted.contains(device.device)
                && !entries.contains { $0.device == device.device }
        }), let devnode = candidate.devnode, let fsType = candidate.fsType else { return false }
        attempted.append(candidate.device)
        guard let request = UsbMount.request(devnode: devnode, idFsType: fsType, directory: directory,
                                             uid: getuid(), gid: getgid()) else {
            log(.warning, "not mounting \(devnode): its filesystem \(fsType) is not one of \(UsbMount.supportedNames)")
            return false
        }
        if let reason = mountStick(request) {
            log(.warning, "cannot mount USB stick \(devnode) (\(fsType)): \(reason)")
            return false
        }
        ownMount = candidate.device
        log(.info, "mounted USB stick \(devnode) (\(request.fsType)) on \(directory)")
        return true
    }

    private func detachOwnMount() {
        ownMount = nil
        if let reason = unmountStick(options.mountDirectory) {
            log(.warning, "cannot unmount the removed USB stick: \(reason)")
        } else {
            log(.info, "unmounted \(options.mountDirectory)")
        }
    }

    private func receiveFailed(_ code: Int32) {
        if code == ENOBUFS {
            log(.warning, "udev events were lost (socket overflow): enumerating USB devices again")
            resynchronize()
        } else {
            log(.warning, "udev monitor: \(SystemError.describe(code))")
        }
    }

    /// `partition, vfat`, for log lines.
    private func describe(_ device: UsbDevice) -> String {
        (device.properties["DEVTYPE"] ?? "block device") + ", " + (device.fsType ?? "no filesystem")
    }
}
