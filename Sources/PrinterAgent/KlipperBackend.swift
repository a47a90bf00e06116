import AgentCore
import AgentPlatform

/// Prints through a Klipper-style API on a Unix socket (Gen B's gklib): the controller
/// reads the file itself; the agent starts it with `SDCARD_PRINT_FILE`, drives
/// `pause_resume/*`, and follows `print_stats`, `virtual_sdcard`, the heaters and the fan
/// through a subscription (what the status means for the print is `KlipperPrintFollower`'s,
/// in AgentCore). The connection is retried while the socket is missing and after it closes;
/// a print in progress keeps its state and is followed again after reconnecting.
final class KlipperBackend: PrinterBackend {
    /// Quiet time after which the controller is asked for `info`, to see that it lives.
    static let probeAfterMs: Int64 = 2_000
    /// Quiet time after which the connection is closed as dead and opened again.
    static let deadAfterMs: Int64 = 10_000

    var onEvent: (ControllerEvent) -> Void = { _ in }

    private let link: any ByteLink
    private let reactor: Reactor
    private let logger: Logger
    private var client = KlipperClient()
    private var subscribed = false
    private var lastHeardMs: Int64 = 0
    private var openedMs: Int64 = 0
    private var lastProbeMs: Int64 = 0
    private var follower = KlipperPrintFollower()
    /// The `[fan_generic]` name of the auxiliary fan, or nil when there is none.
    private let auxFan: String?
    /// The auxiliary fan's speed as last set (Klipper's status is not subscribed for it).
    private var auxFanPercent: Int?
    /// Runs of G-code awaiting their outcome (`run`), oldest first; only the first is sent,
    /// so that the G-code output that comes before its reply is its own.
    private var runs: [Run] = []

    /// A script whose outcome someone waits for.
    private struct Run {
        /// The lines, joined by `\n`.
        let script: String
        /// Called once with the output lines or the failure.
        let done: (Result<[String], CommandFailure>) -> Void
        /// When it fails as unanswered (from when it was sent).
        var deadline: Int64 = 0
        /// Whether it was sent.
        var sent = false
        /// The G-code output since it was sent.
        var output: [String] = []
    }

    /// A backend for the API socket at `socketPath`, on `reactor`; `auxFan` names the
    /// auxiliary fan's `[fan_generic]`, if any.
    convenience init(socketPath: String, auxFan: String? = nil, reactor: Reactor, logger: Logger) {
        let link = ControllerLink("the Klipper API at " + socketPath, delimiter: 0x03, maxFrame: 1 << 20, logger: logger) {
            () throws(SystemError) -> Int32 in try UnixSocket.connect(socketPath)
        }
        self.init(link: link, auxFan: auxFan, reactor: reactor, logger: logger)
    }

    /// A backend for the API at the other end of `link` (frames ended by 0x03).
    init(link: any ByteLink, auxFan: String? = nil, reactor: Reactor, logger: Logger) {
        self.link = link
        self.auxFan = auxFan
        self.reactor = reactor
        self.logger = logger
    }

    /// Not connected, or Klipper not ready: shut down or in error (its message says what
    /// clears it, `FIRMWARE_RESTART` or `RESTART`), or still starting.
    var unavailableReason: String? {
        subscribed ? client.status.notReadyReason : "the motion controller is not connected (" + link.problem + ")"
    }

    func start() {
        link.onOpen = { [unowned(unsafe) self] in
            openedMs = reactor.now
            send(.identify)
            send(.subscribe)
            send(.subscribeOutput)
        }
        link.onFrame = { [unowned(unsafe) self] frame in received(frame) }
        link.onClosed = { [unowned(unsafe) self] _ in
            subscribed = false
            let waiting = runs
            runs.removeAll()
            for event in client.connectionLost() { handle(event) }
            for run in waiting { run.done(.failure(CommandFailure(.controllerFailed, KlipperClient.connectionClosedMessage))) }
        }
        link.start(on: reactor)
        reactor.every(500) { [self] in watch(now: reactor.now) }
    }

    func startPrint(_ file: PrintFile) -> CommandFailure? {
        do {
            send(.script(try KlipperGcode.printFile(file.controllerPath)))
        } catch {
            return error
        }
        follower.started()
        return nil
    }

    func pause() -> CommandFailure? { request(.pause) }

    func resume() -> CommandFailure? { request(.resume) }

    func stop() -> CommandFailure? { request(.cancel) }

    func apply(_ settings: PrintSettings) -> CommandFailure? {
        let aux = auxFan.flatMap { name in settings.auxFanPercent.map { (name: name, percent: $0) } }
        let lines = KlipperGcode.settings(nozzleTarget: settings.nozzleTarget, bedTarget: settings.bedTarget,
                                          fanPercent: settings.fanPercent, speedPercent: settings.speedPercent,
                                          zOffset: settings.zOffset, auxFan: aux)
        if let failure = send(lines) { return failure }
        if let aux {
            auxFanPercent = aux.percent
            tell([.readings(client.status.readings)])
        }
        return nil
    }

    func send(_ lines: [String]) -> CommandFailure? {
        guard !lines.isEmpty else { return nil }
        return request(.script(lines.joined(separator: "\n")))
    }

    func run(_ lines: [String], done: @escaping (Result<[String], CommandFailure>) -> Void) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        runs.append(Run(script: lines.joined(separator: "\n"), done: done))
        sendNextRun()
        return nil
    }

    func position(_ done: @escaping (Result<AxisPosition, CommandFailure>) -> Void) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        guard let position = client.status.position else {
            return CommandFailure(.unavailable, "Klipper has not said where the toolhead is (toolhead.position)")
        }
        done(.success(position))
        return nil
    }

    /// Sends the oldest run when none is under way.
    private func sendNextRun() {
        guard let first = runs.first, !first.sent else { return }
        runs[0].sent = true
        runs[0].deadline = reactor.now + MarlinSetup.runTimeoutMs
        send(.run(first.script))
    }

    /// Ends the run under way with `outcome` and sends the next.
    private func endRun(_ outcome: (inout Run) -> Result<[String], CommandFailure>) {
        var run = runs.removeFirst()
        run.done(outcome(&run))
        sendNextRun()
    }

    /// Whether `request` is the script of the run under way (only one is sent at a time).
    private func isRunUnderWay(_ request: KlipperRequest) -> Bool {
        guard let first = runs.first, first.sent, case .run(let script) = request else { return false }
        return script == first.script
    }

    // MARK: Protocol

    private func request(_ request: KlipperRequest) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        send(request)
        return nil
    }

    private func send(_ request: KlipperRequest) {
        link.write(client.request(request))
    }

    private func received(_ frame: ByteFrameSplitter.Frame) {
        lastHeardMs = reactor.now
        if frame.truncated {
            logger.log(.warning, "Klipper sent a message over 1 MiB; ignored")
            return
        }
        for event in client.handle(frame: frame.bytes) { handle(event) }
    }

    private func handle(_ event: KlipperEvent) {
        switch event {
        case .statusChanged:
            tell(follower.follow(client.status))
        case .succeeded(.subscribe):
            subscribed = true
            tell(follower.follow(client.status))
        case .output(let line):
            if runs.first?.sent == true { runs[0].output.append(line) }
        case .succeeded(let request) where isRunUnderWay(request):
            endRun { .success($0.output) }
        case .failed(let request, let message) where isRunUnderWay(request):
            endRun { _ in .failure(CommandFailure(.controllerFailed, "Klipper: " + message)) }
        case .succeeded(.resume):
            tell(follower.resumeTaken())
        case .succeeded:
            break
        case .failed(.script(let script), let message) where follower.isFollowing && script.hasPrefix("SDCARD_PRINT_FILE"):
            tell(follower.refused(message))
        case .failed(let request, let message):
            logger.log(.warning, "Klipper " + request.method + " failed: " + message)
        case .protocolError(let message):
            logger.log(.warning, "Klipper: " + message)
        }
    }

    /// Hands `events` to the print service, in order, readings with the auxiliary fan as last set.
    private func tell(_ events: [ControllerEvent]) {
        for event in events {
            guard case .readings(var readings) = event else {
                onEvent(event)
                continue
            }
            readings.auxFanSpeedPercent = auxFanPercent
            onEvent(.readings(readings))
        }
    }

    /// Probes a quiet controller, drops a dead connection, and fails a print whose
    /// controller has not been heard from for too long.
    /// The connection's quiet time counts from the later of the last frame and the (re)open;
    /// the print's from the last frame only, so that reconnecting to a silent controller
    /// does not keep a print alive.
    private func watch(now: Int64) {
        let connectionQuiet = now - max(lastHeardMs, openedMs)
        if link.isOpen {
            if connectionQuiet >= Self.deadAfterMs {
                link.close(KlipperPrintFollower.silenceMessage(connectionQuiet))
            } else if connectionQuiet >= Self.probeAfterMs, now - lastProbeMs >= Self.probeAfterMs {
                lastProbeMs = now
                send(.identify)
            }
        }
        tell(follower.silence(now - lastHeardMs))
        if let first = runs.first, first.sent, now >= first.deadline {
            endRun { _ in .failure(CommandFailure(.controllerFailed,
                                                  "Klipper did not finish the command within " + String(MarlinSetup.runTimeoutMs / 1000) + " s")) }
        }
    }
}
