import AgentCore
import AgentJSON
import AgentPlatform
import Glibc
import PrinterAgent

/// The fuzz target over the agent's whole command path (`CommandService`, as the agent
/// runs it, with `controller = none`): topic and payload in, publications out, the file
/// commands working on a `StorageTree`.
///
/// Input: one or more messages separated by `%%` lines; each is its topic on the first line
/// and its payload after it. The printer is model 20024, device `fuzzdevice`, so a command
/// topic is `anycubic/anycubicCloud/v1/<sender>/printer/20024/fuzzdevice/<tail>`.
///
/// Oracle: the publications pass `PublicationCheck`; a command on this printer's topics is
/// answered (unless its msgid repeats one of the same input); nothing outside the roots is
/// touched; no file descriptor is left open, or closed twice (checked under libFuzzer only). Each input meets a fresh service (as after
/// the agent starts), so it runs the same whatever ran before, and whatever it allocates
/// is freed at its end unless it leaks (which the leak sanitizer reports).
public final class CommandsFuzzTarget {
    /// The printer the messages are addressed to.
    static let topics = DeviceTopics(modelId: "20024", deviceId: "fuzzdevice")
    /// The one harness of the process (one tree).
    public static let shared = CommandsFuzzTarget()

    private let tree = StorageTree()
    private let config: AgentConfig
    private let identity: Identity

    private init() {
        let tree = self.tree
        var config = AgentConfig()
        do throws(ConfigError) {
            try ConfigFile.apply("""
                device_id = \(Self.topics.deviceId)
                model_id = \(Self.topics.modelId)
                storage_local = \(tree.local)
                state_dir = \(tree.state)
                version_file = \(tree.path)/version
                controller = none
                log_level = error
                """, path: "fuzz", to: &config)
            identity = try Identity.resolve(config, read: { path throws(ConfigError) in throw ConfigError(path, "not read") })
        } catch {
            fatalError("the fuzz configuration is refused: \(error.message)")
        }
        self.config = config
    }

    /// Whether the firmware answers the command `data` with silence: a query about hardware
    /// the printer lacks, or `print/query` (silent while no job is active).
    private static func isSilent(_ data: JSONValue?) -> Bool {
        guard let type = data?["type"]?.stringValue, let action = data?["action"]?.stringValue else { return false }
        return (type == "print" && action == "query")
            || PeripheralReports.absentHardware.contains { $0.type == type && $0.action == action }
    }

    /// Runs one input.
    public func run(_ bytes: [UInt8]) {
        tree.restore()
        let freeDescriptor = Self.lowestFreeDescriptor()
        let tree = self.tree
        let reactor = Reactor()
        defer { reactor.close() }
        let service = CommandService(config: config, identity: identity, usbRoot: { tree.usb }, reactor: reactor,
                                     logger: Logger(level: config.logLevel))
        var now: Int64 = 0
        var msgids: Set<String> = []
        for part in FuzzInput.parts(bytes) {
            let (topic, payload) = FuzzInput.firstLine(part)
            let message = InboundMessage(topic: FuzzInput.text(topic), payload: payload, retained: false)
            now += 1_000
            service.receive(message, now: now)
            let answer = service.outbox.take()
            PublicationCheck.check(answer, topics: Self.topics)
            let data = try? JSONCodec.parse(payload)
            let repeated = data?["msgid"]?.stringValue.map { !msgids.insert($0).inserted } ?? false
            FuzzCheck.require(!answer.isEmpty || repeated || !Self.topics.isCommand(message.topic) || Self.isSilent(data),
                              "a command on \(message.topic) got no answer")
            if let data { Self.parseRequests(data["data"] ?? .null) }
        }
        tree.checkIntact()
        #if FUZZING  // only a process doing nothing else meanwhile, as libFuzzer's, can tell
        let lowestFree = Self.lowestFreeDescriptor()
        FuzzCheck.require(lowestFree == freeDescriptor, lowestFree > freeDescriptor
                            ? "a command left file descriptor \(freeDescriptor) open"
                            : "a command closed file descriptor \(lowestFree), which it did not open")
        #endif
    }

    /// Parses `data` as the requests the agent cannot reach without a controller, lights or
    /// a console (a print start and update, a light, a console command: refused before
    /// parsing when there is none).
    private static func parseRequests(_ data: JSONValue) {
        _ = try? PrintStartRequest.parse(data)
        _ = try? PrintSettings.parse(data, hasAuxFan: true)
        _ = try? LightControl.parse(data, config: Self.everyLight) { _ in nil }
        _ = try? ConsoleRequest.parse(data, allowed: ["G28", "M114", "M503", "SET_PIN"])
    }

    /// Controls with every light configured.
    private static let everyLight: ControlConfig = {
        var controls = ControlConfig()
        controls.headLight = .marlinCaseLight
        controls.chamberLight = .klipperPin("caselight")
        controls.cameraLight = .linuxLed("camera")
        return controls
    }()

    /// The descriptor `open` gives now: it grows when one is leaked, drops when one is
    /// closed twice.
    private static func lowestFreeDescriptor() -> Int32 {
        let descriptor = open("/dev/null", O_RDONLY)
        close(descriptor)
        return descriptor
    }
}
