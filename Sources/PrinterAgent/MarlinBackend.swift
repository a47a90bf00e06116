import AgentCore
import AgentPlatform

/// Prints through a Marlin-style board on a serial port: the agent streams the G-code
/// itself, numbered and checksummed lines, sent ahead into the board's receive buffer as
/// `ok`s come back (`MarlinSender` keeps the flow and the resends), with commands of its
/// own (temperature polls, `print/update`, the pause, resume and cancel G-code) slipped in
/// between file lines. Temperatures come from `M155`
/// auto-reports when `M115` says the board has them, else from `M105` every 2 s.
final class MarlinBackend: PrinterBackend {
    /// How often temperatures are asked for (`M105`) or auto-reported (`M155 S2`).
    static let temperatureIntervalMs: Int64 = 2_000
    /// The shortest gap between two progress events.
    static let progressIntervalMs: Int64 = 500
    /// How long after a board's restart (`start`) numbering starts again: the board prints
    /// its banner and refuses the lines that were on their way, and flushes its receive
    /// buffer as it does; an `M110` sent into that would be lost with them.
    static let rebootQuietMs: Int64 = 1_000

    var onEvent: (ControllerEvent) -> Void = { _ in }

    private let link: ControllerLink
    private let logger: Logger
    private let pauseGcode: [[UInt8]]
    private let resumeGcode: [[UInt8]]
    private let cancelGcode: [[UInt8]]
    private let senderLimits: MarlinSender.Limits
    private var sender = MarlinSender()
    private var queue: [[UInt8]] = []
    private var handshake = Handshake.closed
    private var autoReport = false
    private var readings = ControllerReadings()
    private var job: Job?
    private var reactor: Reactor?
    /// The identification waiting for a restarted board to settle.
    private var pendingIdentify: Reactor.TimerID?

    /// Where the connection to the board is.
    private enum Handshake {
        /// The port is closed.
        case closed
        /// `M110` and `M115` are out; the board's capabilities are being learnt.
        case identifying
        /// The board answers and can print.
        case ready
    }

    /// What the streaming of one job is doing.
    private enum Mode {
        case streaming, pausing, paused, resuming, stopping
    }

    /// The file being streamed and what has been learnt from it.
    private struct Job {
        var reader: PrintFileReader?
        var mode = Mode.streaming
        var extruded = false
        var currentLayer: Int?
        var totalLayers: Int?
        var remainingMinutes: Int?
        var zOffset = 0.0
        var lastProgressMs: Int64 = 0
    }

    /// A backend for the board on `port` at `baud`, with the configured pause, resume
    /// and cancel G-code.
    init(port: String, baud: Int, config: AgentConfig, logger: Logger) {
        self.logger = logger
        pauseGcode = config.pauseGcode.map { Array($0.utf8) }
        resumeGcode = config.resumeGcode.map { Array($0.utf8) }
        cancelGcode = config.cancelGcode.map { Array($0.utf8) }
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = config.serialReceiveBuffer
        senderLimits = limits
        link = ControllerLink("the Marlin board on " + port, delimiter: UInt8(ascii: "\n"), maxFrame: 4096, logger: logger) {
            () throws(SystemError) -> Int32 in try SerialPort.open(port, baud: baud)
        }
    }

    var unavailableReason: String? {
        switch handshake {
        case .ready: return nil
        case .identifying: return "the motion controller does not answer yet"
        case .closed: return "the motion controller is not connected (" + link.problem + ")"
        }
    }

    func start(on reactor: Reactor) {
        self.reactor = reactor
        link.onOpen = { [unowned(unsafe) self] in identify() }
        link.onFrame = { [unowned(unsafe) self] frame in
            if frame.truncated { logger.log(.warning, "the board sent a line over 4096 bytes; cut") }
            perform(sender.received(frame.bytes, now: Clock.monotonicMs()))
            pump()
        }
        link.onClosed = { [unowned(unsafe) self] reason in
            handshake = .closed
            cancelPendingIdentify()
            queue.removeAll()
            if job != nil { fail("the serial connection closed: " + reason) }
        }
        link.start(on: reactor)
        reactor.every(250) { [unowned(unsafe) self] in
            perform(sender.tick(now: Clock.monotonicMs()))
            pump()
        }
        reactor.every(Self.temperatureIntervalMs) { [unowned(unsafe) self] in
            if handshake == .ready, !autoReport, !queue.contains(Self.m105) { enqueue([Self.m105]) }
        }
    }

    func startPrint(_ file: PrintFile) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        job = Job(reader: file.reader)
        pump()
        return nil
    }

    func pause() -> CommandFailure? {
        change(from: [.streaming], to: .pausing, sending: pauseGcode)
    }

    func resume() -> CommandFailure? {
        change(from: [.paused], to: .resuming, sending: resumeGcode)
    }

    func stop() -> CommandFailure? {
        change(from: [.streaming, .pausing, .paused, .resuming], to: .stopping, sending: cancelGcode)
    }

    func apply(_ settings: PrintSettings) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        var commands: [String] = []
        if let target = settings.nozzleTarget { commands.append("M104 S" + Self.decimal(target)) }
        if let target = settings.bedTarget { commands.append("M140 S" + Self.decimal(target)) }
        if let fan = settings.fanPercent { commands.append("M106 S" + String((fan * 255 + 50) / 100)) }
        if let percent = settings.speedPercent { commands.append("M220 S" + String(percent)) }
        if let offset = settings.zOffset, var current = job {
            // Marlin's babystep (M290) moves by a step: send the difference.
            commands.append("M290 Z" + Self.decimal(offset - current.zOffset))
            current.zOffset = offset
            job = current
        }
        enqueue(commands.map { Array($0.utf8) })
        if let fan = settings.fanPercent { noteReadings(fanPercent: fan) }
        return nil
    }

    // MARK: Flow

    private static let m105 = Array("M105".utf8)

    /// The port opened: restart the line numbers and ask the board what it can do.
    private func identify() {
        cancelPendingIdentify()
        sender = MarlinSender(limits: senderLimits)
        queue.removeAll()
        autoReport = false
        handshake = .identifying
        perform(sender.restartNumbering(now: Clock.monotonicMs()))
        enqueue([Array("M115".utf8)])
    }

    /// Forgets an identification that waited for a restarted board to settle.
    private func cancelPendingIdentify() {
        if let pending = pendingIdentify { reactor?.cancel(pending) }
        pendingIdentify = nil
    }

    /// Moves the job from one of `modes` to `mode`, sending `commands`; the failure when
    /// the board is not there or the job is elsewhere.
    private func change(from modes: [Mode], to mode: Mode, sending commands: [[UInt8]]) -> CommandFailure? {
        if let reason = unavailableReason { return CommandFailure(.unavailable, reason) }
        guard var current = job, modes.contains(current.mode) else {
            return CommandFailure(.conflict, "the print cannot do that now")
        }
        current.mode = mode
        if mode == .stopping { current.reader = nil }
        job = current
        enqueue(commands)
        return nil
    }

    private func enqueue(_ commands: [[UInt8]]) {
        queue += commands
        pump()
    }

    /// Sends the next line when the board is ready for one: the agent's own commands
    /// first, then the file; then checks whether a pause, resume, stop or the print ended.
    private func pump() {
        let now = Clock.monotonicMs()
        while sender.canSend {
            if !queue.isEmpty {
                perform(sender.send(queue.removeFirst(), now: now))
            } else if handshake == .ready, job?.mode == .streaming, let line = nextFileCommand(now: now) {
                perform(sender.send(line, now: now))
            } else {
                break
            }
        }
        if sender.isIdle, queue.isEmpty { settle() }
    }

    /// Everything sent has been acknowledged: finish what was waiting for that.
    private func settle() {
        if handshake == .identifying {
            handshake = .ready
            logger.log(.info, "the board answers" + (autoReport ? "; temperatures auto-reported" : "; polling temperatures"))
            if autoReport { enqueue([Array("M155 S\(Self.temperatureIntervalMs / 1000)".utf8)]) }
            return
        }
        guard var current = job else { return }
        switch current.mode {
        case .pausing:
            current.mode = .paused
            job = current
            onEvent(.paused)
        case .resuming:
            current.mode = .streaming
            job = current
            onEvent(.resumed)
            pump()
        case .stopping:
            job = nil
            onEvent(.stopped)
        case .streaming where current.reader == nil:
            job = nil
            onEvent(.progress(PrintProgress(fraction: 1, currentLayer: current.currentLayer,
                                            totalLayers: current.totalLayers, remainingMinutes: 0)))
            onEvent(.finished)
        default:
            break
        }
    }

    /// The next command of the file (comments and blank lines skipped), learning layers,
    /// the slicer's remaining time, the first extrusion and the fan on the way; nil at
    /// the end of the file (the reader is then dropped) or after a read error.
    private func nextFileCommand(now: Int64) -> [UInt8]? {
        guard var current = job, let reader = current.reader else { return nil }
        defer { if job != nil { job = current } }
        while true {
            let raw: ArraySlice<UInt8>
            do {
                guard let line = try reader.nextLine() else {
                    current.reader = nil
                    return nil
                }
                raw = line
            } catch {
                job = current
                fail("cannot read the file: " + error.message)
                current = Job()
                return nil
            }
            if let mark = GcodeStreamFacts.layerChange(raw) {
                if let total = mark.totalLayers { current.totalLayers = total }
                switch mark.start {
                case .number(let layer)?: current.currentLayer = layer
                case .next?: current.currentLayer = (current.currentLayer ?? 0) + 1
                case nil: break
                }
            }
            guard let command = MarlinLine.clean(raw) else { continue }
            if let hint = GcodeStreamFacts.progressHint(command), let remaining = hint.remainingMinutes {
                current.remainingMinutes = remaining
            }
            if !current.extruded, GcodeStreamFacts.isExtrudingMove(command) {
                current.extruded = true
                onEvent(.extruding)
            }
            if let fan = GcodeStreamFacts.fanPercent(command) { noteReadings(fanPercent: fan) }
            if now - current.lastProgressMs >= Self.progressIntervalMs {
                current.lastProgressMs = now
                let fraction = reader.size > 0 ? Double(reader.position) / Double(reader.size) : 1
                onEvent(.progress(PrintProgress(fraction: fraction, currentLayer: current.currentLayer,
                                                totalLayers: current.totalLayers, remainingMinutes: current.remainingMinutes)))
            }
            return Array(command)
        }
    }

    private func perform(_ actions: [MarlinSender.Action]) {
        for action in actions {
            switch action {
            case .write(let bytes):
                link.write(bytes)
            case .readings(let latest):
                noteReadings(latest)
            case .capability(let name, let enabled):
                if name == "AUTOREPORT_TEMP" { autoReport = enabled }
            case .hostAction(let text):
                hostAction(text)
            case .controllerReset:
                logger.log(.warning, "the board restarted")
                if job != nil { fail("the board restarted (a reset or a power loss) during the print; the print cannot continue") }
                handshake = .identifying
                cancelPendingIdentify()
                pendingIdentify = reactor?.after(Self.rebootQuietMs) { [unowned(unsafe) self] in identify() }
            case .failed(let reason):
                if job != nil { fail(reason) }
                link.close(reason)
            case .log(let level, let message):
                logger.log(level, message)
            }
        }
    }

    /// `//action:` messages: the board (or its display) asks the host to pause, resume or
    /// cancel, or says it paused or resumed on its own.
    private func hostAction(_ text: String) {
        logger.log(.info, "the board says //action:" + text)
        guard var current = job else { return }
        switch text {
        case "pause":
            _ = pause()
        case "paused":
            // The board paused itself (a runout, M600): stop streaming, park nothing.
            if current.mode == .streaming || current.mode == .pausing {
                current.mode = .paused
                job = current
                onEvent(.paused)
            }
        case "resume":
            _ = resume()
        case "resumed":
            if current.mode == .paused {
                current.mode = .streaming
                job = current
                onEvent(.resumed)
            }
        case "cancel":
            _ = stop()
        default:
            break
        }
    }

    private func noteReadings(_ latest: ControllerReadings) {
        var merged = readings
        if let value = latest.nozzleTemperature { merged.nozzleTemperature = value }
        if let value = latest.nozzleTarget { merged.nozzleTarget = value }
        if let value = latest.bedTemperature { merged.bedTemperature = value }
        if let value = latest.bedTarget { merged.bedTarget = value }
        publishReadings(merged)
    }

    private func noteReadings(fanPercent: Int) {
        var merged = readings
        merged.fanSpeedPercent = fanPercent
        publishReadings(merged)
    }

    private func publishReadings(_ merged: ControllerReadings) {
        guard merged != readings else { return }
        readings = merged
        onEvent(.readings(merged))
    }

    private func fail(_ reason: String) {
        job = nil
        queue.removeAll()
        onEvent(.failed(reason))
    }

    /// `value` with at most two decimals, for G-code parameters.
    private static func decimal(_ value: Double) -> String {
        // Int(_:) truncates without libm (the device binary does not link it).
        let hundredths = Int(value * 100 + (value < 0 ? -0.5 : 0.5))
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let fraction = magnitude % 100
        return sign + String(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
