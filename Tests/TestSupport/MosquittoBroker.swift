import Foundation

/// A real mosquitto broker on 127.0.0.1, started by a test on a free port with the given
/// extra configuration lines, and stopped when the test drops it.
public final class MosquittoBroker {
    /// The port it listens on (kept across restarts).
    public let port: Int
    private let directory: TemporaryDirectory
    private let configPath: String
    private var process: ChildProcess?

    /// Writes a configuration (`listener <port> 127.0.0.1`, `allow_anonymous true` unless
    /// `listener` lines replace them, then `extra`) and starts the broker. A `persistent`
    /// broker saves its sessions to disk at every change, so that a client's persistent
    /// session (its subscriptions and the messages queued for it) outlives a SIGKILL.
    public init(listenerOptions: [String] = [], extra: [String] = [], persistent: Bool = false,
                start: Bool = true) throws {
        directory = try TemporaryDirectory()
        port = try FreePort.find()
        var lines = ["listener \(port) 127.0.0.1"] + listenerOptions
        if !extra.contains(where: { $0.hasPrefix("allow_anonymous") }) { lines.append("allow_anonymous true") }
        // Started as root, mosquitto would become user "mosquitto" and lose access to the
        // test's private files (certificates, password file).
        if getuid() == 0 { lines.append("user root") }
        if persistent {
            lines += ["persistence true", "persistence_location \(directory.path)/",
                      "autosave_on_changes true", "autosave_interval 1"]
        }
        lines += extra
        configPath = try directory.write("mosquitto.conf", lines.joined(separator: "\n") + "\n")
        if start { try self.start() }
    }

    /// Starts a broker from a configuration file made elsewhere (the LAN broker profile),
    /// whose plain loopback listener is `port`.
    public init(configFile: String, port: Int) throws {
        directory = try TemporaryDirectory()
        self.port = port
        configPath = configFile
        try start()
    }

    deinit { stop() }

    /// The `mqtt://` URL of the broker.
    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Starts the broker and waits until it has opened every listener ("mosquitto version …
    /// running" in its log) and accepts connections. A listener port that another test took
    /// between finding it free and the broker binding it makes the broker exit: an error.
    public func start() throws {
        let logPath = directory.path + "/mosquitto.log"
        let broker = try ChildProcess(try Executables.find("mosquitto"), ["-c", configPath], stderr: logPath)
        process = broker
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if !broker.isRunning { throw TestFailure("mosquitto exited at start; config \(configPath): \(log)") }
            if log.contains(" running"), FreePort.accepts(port) { return }
            usleep(20_000)
        }
        throw TestFailure("mosquitto did not listen on \(port) within 10 s")
    }

    /// Stops the broker (SIGTERM, SIGKILL after 10 s) and waits for it to exit.
    public func stop() {
        guard let broker = process else { return }
        process = nil
        broker.send(SIGTERM)
        if (try? broker.waitForExit(timeout: 10)) == nil {
            broker.send(SIGKILL)
            _ = try? broker.waitForExit(timeout: 10)
        }
    }

    /// Kills the broker with SIGKILL, as a crash or a power cut would (no clean close of the
    /// clients' connections, no will published, nothing saved), and waits for it to be gone.
    public func kill() {
        guard let broker = process else { return }
        process = nil
        broker.send(SIGKILL)
        _ = try? broker.waitForExit(timeout: 10)
    }

    /// Reloads the configuration and password file (SIGHUP).
    public func reload() { process?.send(SIGHUP) }

    /// The directory holding the broker's files, for tests that add a password file or certificates.
    public var folder: TemporaryDirectory { directory }
}

/// Loopback TCP ports for test servers.
public enum FreePort {
    /// The ports handed out so far in this process, never handed out again.
    private static let given = GivenPorts()

    /// A port nothing listens on now (bound with port 0, then released), and one not handed
    /// out before in this process: the kernel may pick the same free port for two binds in a
    /// row, and a test that asks for two ports must get two.
    public static func find() throws -> Int {
        while true {
            let port = try kernelChoice()
            if given.claim(port) { return port }
        }
    }

    /// The port the kernel picks for a socket bound to port 0 on 127.0.0.1.
    private static func kernelChoice() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// The set of ports handed out, shared by the tests that run in parallel.
    private final class GivenPorts: @unchecked Sendable {
        private let lock = NSLock()
        private var ports: Set<Int> = []

        /// Records `port`; false when it was handed out before.
        func claim(_ port: Int) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return ports.insert(port).inserted
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// Programs the tests run.
public enum Executables {
    /// The absolute path of `name` on PATH (or /usr/sbin, where Debian puts mosquitto).
    public static func find(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/sbin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestFailure("\(name) is not installed (the README's test command installs it)")
    }

    /// The host build of the agent, next to the test bundle in the build folder.
    public static func agent() throws -> String { try built("printer-agent") }

    /// The host build of the product `name`, next to the test bundle in the build folder.
    public static func built(_ name: String) throws -> String {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        throw TestFailure("\(name) is not built next to \(bundle.path)")
    }
}
