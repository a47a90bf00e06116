import AgentCore
import AgentJSON
import AgentPlatform
@testable import PrinterAgent
import TestSupport

/// The log lines a test's services wrote, kept in memory to wait on and assert.
final class LogLines {
    private(set) var lines: [String] = []

    /// A logger at debug level writing here.
    lazy var logger = Logger(level: .debug) { [unowned self] line in lines.append(line) }

    /// Whether a line contains `text`.
    func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

/// A configuration from `key = value` lines, as the agent reads its file (a refused line
/// fails the test).
func makeConfig(_ lines: [String]) throws -> AgentConfig {
    var config = AgentConfig()
    do {
        try ConfigFile.apply(lines.joined(separator: "\n") + "\n", path: "test.conf", to: &config)
    } catch {
        throw TestFailure("configuration refused: \(error.message)")
    }
    return config
}

/// A report as a client reads it: the topic's type and the payload's fields.
struct SeenReport {
    let topic: String
    let fields: JSONValue

    /// The payload's `state`, `code` and `msgid`.
    var state: String? { fields["state"]?.stringValue }
    var code: Int64? { fields["code"]?.int64Value }
    var msgid: String? { fields["msgid"]?.stringValue }
}

/// The command path of one service on virtual time: a router, an outbox and the reactor,
/// with `send` doing what `CommandService.receive` does for an accepted command.
final class ServiceRig {
    static let topics = DeviceTopics(modelId: "20024", deviceId: "wiringtests")

    let time = ManualReactor()
    let log = LogLines()
    let router = CommandRouter()
    let outbox = Outbox(encoder: ReportEncoder(topics: ServiceRig.topics, wallClockMs: { 1_700_000_000_000 },
                                              newMessageID: { "pushed" }))
    private var sent = 0

    /// Answers `type`/`action` with `data` (JSON text) through the router, into the outbox.
    func send(_ type: String, _ action: String, data: String = "{}") throws {
        sent += 1
        let command = Command(type: type, action: action, msgid: "m\(sent)", data: try JSONCodec.parse(data))
        outbox.answer(msgid: command.msgid) { router.route(command) }
    }

    /// Takes what the outbox holds, read as a client reads it (acknowledgements included,
    /// with an empty state).
    func published() throws -> [SeenReport] {
        try outbox.take().map { SeenReport(topic: $0.topic, fields: try JSONCodec.parse($0.payload)) }
    }
}

/// A printing backend that takes every request and says nothing on its own: what the
/// service does around the backend, without a controller.
final class AcceptingBackend: PrinterBackend {
    var onEvent: (ControllerEvent) -> Void = { _ in }
    var unavailableReason: String? { nil }
    /// The files given to print, by absolute path.
    private(set) var started: [String] = []

    func start() {}
    func startPrint(_ file: PrintFile) -> CommandFailure? {
        started.append(file.absolutePath)
        return nil
    }
    func pause() -> CommandFailure? { nil }
    func resume() -> CommandFailure? { nil }
    func stop() -> CommandFailure? { nil }
    func apply(_ settings: PrintSettings) -> CommandFailure? { nil }
    func send(_ lines: [String]) -> CommandFailure? { nil }
    func run(_ lines: [String], done: @escaping (Result<[String], CommandFailure>) -> Void) -> CommandFailure? {
        done(.success([]))
        return nil
    }
    func position(_ done: @escaping (Result<AxisPosition, CommandFailure>) -> Void) -> CommandFailure? {
        done(.success(AxisPosition(x: 0, y: 0, z: 0)))
        return nil
    }
}
