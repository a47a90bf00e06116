import AgentCore
import CLibc
import CUdev

/// A block device as udev describes it, in an event of the monitor or in an enumeration,
/// reduced to plain values. `UsbStorage.handle(_:)` takes these whatever their origin, so
/// tests feed the same code path the netlink socket does.
public struct BlockDeviceEvent: Equatable {
    /// `add`, `remove` or `change` (an enumerated device is an `add`); udev's other actions
    /// (`bind`, `move`, ...) are passed on and ignored by the storage code.
    public var action: String
    /// The device node (`/dev/sda1`), when udev names one.
    public var devnode: String?
    /// The device's `major:minor`.
    public var device: DeviceNumber
    /// The udev properties kept (`UdevMonitor.keptProperties`), such as `ID_BUS`,
    /// `ID_FS_TYPE` and `DEVTYPE`.
    public var properties: [String: String]

    /// Creates an event from its values.
    public init(action: String, devnode: String?, major: Int, minor: Int, properties: [String: String]) {
        self.action = action
        self.devnode = devnode
        self.device = DeviceNumber(major: major, minor: minor)
        self.properties = properties
    }

    /// Whether udev says the device is on the USB bus (`ID_BUS=usb`).
    public var isUSB: Bool { properties["ID_BUS"] == "usb" }
}

/// libudev's monitor socket for block devices (`udev_monitor_new_from_netlink(udev, "udev")`,
/// filtered to subsystem `block`), polled by the reactor like any other descriptor. It
/// receives the events udevd sends after its rules ran, so they carry `ID_BUS` and
/// `ID_FS_TYPE`. Each event is handed to `onEvent` as a `BlockDeviceEvent`.
///
/// Also enumerates the block devices present (`blockDevices(usbOnly:)`).
public final class UdevMonitor: PollSource {
    /// The udev properties copied into events: what the storage code and its log lines use.
    public static let keptProperties = [
        "ID_BUS", "ID_FS_TYPE", "DEVTYPE", "ID_FS_LABEL", "ID_FS_UUID", "ID_VENDOR", "ID_MODEL", "ID_SERIAL",
    ]
    /// The most events handled per wakeup, so that a burst cannot starve the other descriptors
    /// (the rest wait in the socket, and poll reports it readable again).
    static let eventsPerWakeup = 64

    /// A device event arrived.
    public var onEvent: (BlockDeviceEvent) -> Void = { _ in }
    /// Receiving failed with this errno; ENOBUFS means the socket overflowed and events were lost.
    public var onError: (Int32) -> Void = { _ in }

    private let udev: OpaquePointer
    private let monitor: OpaquePointer

    /// Opens the monitor socket (non-blocking) and starts receiving block device events.
    public init() throws(SystemError) {
        guard let udev = udev_new() else { throw SystemError.fromErrno("udev_new") }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            let error = SystemError.fromErrno("udev_monitor_new_from_netlink")
            udev_unref(udev)
            throw error
        }
        do throws(SystemError) {
            try Self.check(udev_monitor_filter_add_match_subsystem_devtype(monitor, "block", nil), "udev monitor filter")
            try Self.check(udev_monitor_enable_receiving(monitor), "udev monitor receive")
            // libudev makes the socket non-blocking already; a blocking read would stall the reactor.
            if agent_set_nonblocking(udev_monitor_get_fd(monitor)) != 0 {
                throw SystemError.fromErrno("fcntl udev monitor")
            }
        } catch {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw error
        }
        self.udev = udev
        self.monitor = monitor
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// The netlink socket.
    public var pollDescriptor: Int32 { udev_monitor_get_fd(monitor) }

    /// Readability of the socket.
    public var pollEvents: Int16 { Int16(POLLIN) }

    /// Receives the waiting events (`udev_monitor_receive_device` until it has none).
    public func handle(events: Int16) {
        for _ in 0..<Self.eventsPerWakeup {
            agent_set_errno(0)
            guard let device = udev_monitor_receive_device(monitor) else {
                let code = agent_errno()
                if code != 0, code != EAGAIN, code != EWOULDBLOCK, code != EINTR { onError(code) }
                return
            }
            let event = Self.event(from: device, defaultAction: "change")
            udev_device_unref(device)
            if let event { onEvent(event) }
        }
    }

    /// The block devices present now, each as an `add` event: all of them, or only those
    /// udev puts on the USB bus (`ID_BUS=usb`, partitions and whole disks).
    public static func blockDevices(usbOnly: Bool) throws(SystemError) -> [BlockDeviceEvent] {
        guard let udev = udev_new() else { throw SystemError.fromErrno("udev_new") }
        defer { udev_unref(udev) }
        guard let enumeration = udev_enumerate_new(udev) else { throw SystemError.fromErrno("udev_enumerate_new") }
        defer { udev_enumerate_unref(enumeration) }
        try check(udev_enumerate_add_match_subsystem(enumeration, "block"), "udev enumerate block")
        if usbOnly {
            try check(udev_enumerate_add_match_property(enumeration, "ID_BUS", "usb"), "udev enumerate ID_BUS")
        }
        try check(udev_enumerate_scan_devices(enumeration), "udev enumerate scan")
        var found: [BlockDeviceEvent] = []
        var entry = udev_enumerate_get_list_entry(enumeration)
        while let current = entry {
            entry = udev_list_entry_get_next(current)
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            let event = Self.event(from: device, defaultAction: "add")
            udev_device_unref(device)
            // The property match above is udev's; check it again rather than trust it.
            if let event, !usbOnly || event.isUSB { found.append(event) }
        }
        return found
    }

    /// The event for `device`, or nil when udev gives it no `MAJOR`/`MINOR` (not a device node).
    static func event(from device: OpaquePointer, defaultAction: String) -> BlockDeviceEvent? {
        guard let major = property(device, "MAJOR"), let minor = property(device, "MINOR"),
              let number = DeviceNumber(major: major, minor: minor) else { return nil }
        var properties: [String: String] = [:]
        for key in keptProperties {
            if let value = property(device, key) { properties[key] = value }
        }
        let action = udev_device_get_action(device).map { String(cString: $0) } ?? defaultAction
        let devnode = udev_device_get_devnode(device).map { String(cString: $0) }
        return BlockDeviceEvent(action: action, devnode: devnode, major: number.major, minor: number.minor,
                                properties: properties)
    }

    private static func property(_ device: OpaquePointer, _ key: String) -> String? {
        udev_device_get_property_value(device, key).map { String(cString: $0) }
    }

    /// libudev returns a negative errno on failure.
    private static func check(_ rc: Int32, _ call: String) throws(SystemError) {
        if rc < 0 { throw SystemError(call: call, errno: -rc, message: "\(call): \(SystemError.describe(-rc))") }
    }
}
