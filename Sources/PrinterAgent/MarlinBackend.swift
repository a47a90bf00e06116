import AgentCore
import AgentPlatform

/// Prints through a Marlin-style board on a serial port: the agent streams the G-code
/// itself, numbered and checksummed lines, sent ahead into the board's receive buffer as
/// `ok`s come back. What to send and when is `MarlinSession`'s (in AgentCore); this adapter
/// owns the port, the file reader and the timer, feeds the session what happens and carries
/// out what it asks for.
final class MarlinBackend: PrinterBackend {
    var onEvent: (ControllerEvent) -> Void = { _ in }

    private let link: any ByteLink
    private let reactor: Reactor
    private let logger: Logger
    private var session: MarlinSession<PrintFileReader>
    /// What waits for the end of each run of G-code (`run`), by its id.
    private var runs: [(id: Int, done: (Result<[String], CommandFailure>) -> Void)] = []
    private var lastRunId = 0

    /// A backend for the board on `port` at `baud`, with the configured pause, resume
    /// and cancel G-code, on `reactor`.
    convenience init(port: String, baud: Int, config: AgentConfig, reactor: Reactor, logger: Logger) {
        let link = ControllerLink("the Marlin board on " + port, delimiter: UInt8(ascii: "\n"), maxFrame: Self.maxLine,
                                  logger: logger) { () throws(SystemError) -> Int32 in try SerialPort.open(port, baud: baud) }
        self.init(link: link, config: config, reactor: reactor, logger: logger)
    }

    /// A backend for the board at the other end of `link` (lines of at most `maxLine` bytes).
    init(link: any ByteLink, config: AgentConfig, reactor: Reactor, logger: Logger) {
        self.link = link
        self.reactor = reactor
        self.logger = logger
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = config.serialReceiveBuffer
        session = MarlinSession(setup: MarlinSetup(pauseGcode: config.pauseGcode, resumeGcode: config.resumeGcode,
                                                   cancelGcode: config.cancelGcode, senderLimits: limits,
                                                   auxFanIndex: config.controls.auxFanIndex))
    }

    /// The longest line taken from the board; a longer one is cut.
    static let maxLine = 4096

    var unavailableReason: String? { session.unavailableReason(linkProblem: link.problem) }

    func start() {
        link.onOpen = { [unowned(unsafe) self] in perform(session.opened(now: reactor.now)) }
        link.onFrame = { [unowned(unsafe) self] frame in
            if frame.truncated { logger.log(.warning, "the board sent a line over " + String(Self.maxLine) + " bytes; cut") }
            perform(session.received(frame.bytes, now: reactor.now))
        }
        link.onClosed = { [unowned(unsafe) self] reason in perform(session.closed(reason)) }
        link.start(on: reactor)
        reactor.every(250) { [self] in perform(session.tick(now: reactor.now)) }
    }

    func startPrint(_ file: PrintFile) -> CommandFailure? {
        whenReady { $0.start(file.reader, now: $1) }
    }

    func pause() -> CommandFailure? { whenReady { $0.pause(now: $1) } }

    func resume() -> CommandFailure? { whenReady { $0.resume(now: $1) } }

    func stop() -> CommandFailure? { whenReady { $0.stop(now: $1) } }

    func apply(_ settings: PrintSettings) -> CommandFailure? { whenReady { $0.apply(settings, now: $1) } }

    func send(_ lines: [String]) -> CommandFailure? { whenReady { $0.send(lines, now: $1) } }

    func run(_ lines: [String], done: @escaping (Result<[String], CommandFailure>) -> Void) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        lastRunId += 1
        let id = lastRunId
        runs.append((id, done))
        perform(session.run(lines, id: id, now: reactor.now))
        return nil
    }

    func position(_ done: @escaping (Result<AxisPosition, CommandFailure>) -> Void) -> CommandFailure? {
        run(["M114"]) { outcome in
            done(outcome.flatMap { lines in
                for line in lines {
                    if case .position(let position) = MarlinReply.parse(Array(line.utf8)) { return .success(position) }
                }
                return .failure(CommandFailure(.controllerFailed, "the printer did not say where the toolhead is (M114)"))
            })
        }
    }

    /// Hands a request to the session when the board can take it, else says why not.
    private func whenReady(_ request: (inout MarlinSession<PrintFileReader>, Int64) -> [MarlinAction]) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        perform(request(&session, reactor.now))
        return nil
    }

    /// Carries out what the session asked for, in order.
    private func perform(_ actions: [MarlinAction]) {
        for action in actions {
            switch action {
            case .write(let bytes): link.write(bytes)
            case .event(let event): onEvent(event)
            case .close(let reason): link.close(reason)
            case .log(let level, let message): logger.log(level, message)
            case .ran(let id, let outcome):
                guard let index = runs.firstIndex(where: { $0.id == id }) else { continue }
                runs.remove(at: index).done(outcome)
            }
        }
    }
}
