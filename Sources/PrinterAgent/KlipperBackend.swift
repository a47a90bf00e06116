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

    /// A backend for the API socket at `socketPath`, on `reactor`.
    convenience init(socketPath: String, reactor: Reactor, logger: Logger) {
        let link = ControllerLink("the Klipper API at " + socketPath, delimiter: 0x03, maxFrame: 1 << 20, logger: logger) {
            () throws(SystemError) -> Int32 in try UnixSocket.connect(socketPath)
        }
        self.init(link: link, reactor: reactor, logger: logger)
    }

    /// A backend for the API at the other end of `link` (frames ended by 0x03).
    init(link: any ByteLink, reactor: Reactor, logger: Logger) {
        self.link = link
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
        }
        link.onFrame = { [unowned(unsafe) self] frame in received(frame) }
        link.onClosed = { [unowned(unsafe) self] _ in
            subscribed = false
            for event in client.connectionLost() { handle(event) }
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
        let lines = KlipperGcode.settings(nozzleTarget: settings.nozzleTarget, bedTarget: settings.bedTarget,
                                          fanPercent: settings.fanPercent, speedPercent: settings.speedPercent,
                                          zOffset: settings.zOffset)
        var script = ""
        for line in lines { script += (script.isEmpty ? "" : "\n") + line }
        return request(.script(script))
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

    /// Hands `events` to the print service, in order.
    private func tell(_ events: [ControllerEvent]) {
        for event in events { onEvent(event) }
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
    }
}
