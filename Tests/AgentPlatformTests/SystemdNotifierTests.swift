import AgentPlatform
import CLibc
import Testing
import TestSupport

/// sd_notify's protocol over NOTIFY_SOCKET. The tests change the process environment, so
/// they run one at a time and restore it.
@Suite(.serialized) struct SystemdNotifierTests {
    @Test func readyReachesTheSocketNamedByNotifySocket() throws {
        let directory = try TemporaryDirectory()
        let socket = try DatagramSocket(directory.path + "/notify")
        let notifier = withEnvironment(["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": nil]) { SystemdNotifier() }
        #expect(notifier.socketPath == socket.name)
        #expect(notifier.notify("READY=1") == nil)
        #expect(socket.receive() == "READY=1")
        #expect(socket.receive() == nil, "more than one datagram")
    }

    @Test func anAbstractSocketNameStartingWithAtWorks() throws {
        let socket = try DatagramSocket("@" + uniqueName("printer-agent-notify"))
        let notifier = withEnvironment(["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": nil]) { SystemdNotifier() }
        #expect(notifier.notify("WATCHDOG=1") == nil)
        #expect(socket.receive() == "WATCHDOG=1")
    }

    /// Without WATCHDOG_PID, or with it naming this process.
    @Test(arguments: [false, true])
    func watchdogUsecGivesPingsAtHalfTheInterval(watchdogPidNamesThisProcess: Bool) {
        let pid = watchdogPidNamesThisProcess ? String(getpid()) : nil
        let notifier = withEnvironment(["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "2000000",
                                        "WATCHDOG_PID": pid]) { SystemdNotifier() }
        #expect(notifier.watchdogIntervalMs == 1000)
    }

    @Test func watchdogPidNamingAnotherProcessDisablesTheWatchdog() {
        let notifier = withEnvironment(["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "2000000",
                                        "WATCHDOG_PID": String(getppid())]) { SystemdNotifier() }
        #expect(notifier.watchdogIntervalMs == nil)
    }

    @Test(arguments: [nil, ""])
    func withoutNotifySocketNothingIsSent(notifySocket: String?) {
        let notifier = withEnvironment(["NOTIFY_SOCKET": notifySocket, "WATCHDOG_USEC": "2000000"]) { SystemdNotifier() }
        #expect(notifier.socketPath == nil)
        #expect(notifier.watchdogIntervalMs == nil)
        #expect(notifier.notify("READY=1") == nil)
    }

    /// A path with no socket (ENOENT) and a socket whose owner closed it (ECONNREFUSED).
    @Test(arguments: [false, true])
    func aSocketNobodyListensOnGivesAnErrorWithAMessage(leftBehindBySomeoneGone: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/notify"
        if leftBehindBySomeoneGone { _ = try DatagramSocket(path) }
        let notifier = withEnvironment(["NOTIFY_SOCKET": path]) { SystemdNotifier() }
        let error = try #require(notifier.notify("READY=1"))
        let expected = leftBehindBySomeoneGone ? ECONNREFUSED : ENOENT
        #expect(error.errno == expected)
        #expect(error.message == "sd_notify \(path): \(SystemError.describe(expected))")
    }

    /// Runs `body` with the variables set (nil: unset), then puts back what was there.
    private func withEnvironment<T>(_ variables: [String: String?], _ body: () -> T) -> T {
        let saved = variables.keys.map { ($0, Environment.value($0)) }
        defer {
            for (name, value) in saved { set(name, value) }
        }
        for (name, value) in variables { set(name, value) }
        return body()
    }

    private func set(_ name: String, _ value: String?) {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
}

/// A bound AF_UNIX datagram socket (a leading '@' names an abstract one), as systemd's.
private final class DatagramSocket {
    let name: String
    private let descriptor: Int32

    init(_ name: String) throws {
        self.name = name
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(SystemError.describe(agent_errno()))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("name too long: \(name)") }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: bytes)
            if name.hasPrefix("@") { path[0] = 0 }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw TestFailure("bind \(name): \(SystemError.describe(agent_errno()))")
        }
    }

    deinit { close(descriptor) }

    /// The datagram waiting, or nil when there is none (notify sends before it returns).
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
