/// The agent's side of a Marlin board on a serial port, as a pure state machine (design
/// decision 3): the handshake (`M110`, `M115` and its capabilities), the agent's own commands
/// (temperature polls, `print/update`, the pause, resume and cancel G-code) slipped in between
/// the lines of the file being printed, the streaming of that file through `MarlinSender`'s
/// window, and what the board says back (temperatures, host actions, a restart). Time comes
/// in as `now` (monotonic milliseconds), received lines as bytes, the file through
/// `PrintFileLines`; what to write, tell and log goes out as `MarlinAction`s.
///
/// It carries out a pause, a resume or a stop; whether one is allowed is the supervisor's
/// decision (`PrintSupervisor.transition`). It only keeps the sequencing a board needs: the
/// pause G-code is sent once, `paused` is told once everything before it is acknowledged.
public struct MarlinSession<File: PrintFileLines> {
    /// A run of the agent's own G-code whose outcome is awaited (a move, a console command):
    /// its lines go one at a time, each alone in flight, so that the next `ok` is its own and
    /// what the board says meanwhile is its reply.
    private struct Exchange {
        /// The caller's number for it, told back with its outcome.
        let id: Int
        /// The lines not acknowledged yet, the one in flight first.
        var lines: [[UInt8]]
        /// What the board said while the lines ran.
        var replies: [String] = []
        /// Whether the first line is written and awaits its ok.
        var lineInFlight = false
        /// Whether its first line was written: nothing else goes until its last is acknowledged.
        var started = false
        /// When it fails as unanswered.
        let deadline: Int64
    }

    /// Where the connection to the board is.
    private enum Handshake: Equatable {
        /// The port is closed.
        case closed
        /// The board restarted; it is left to settle until then before it is identified.
        case settling(until: Int64)
        /// `M110` and `M115` are out; the board's capabilities are being learnt.
        case identifying
        /// The board answers and can print.
        case ready
    }

    private let setup: MarlinSetup
    private var sender: MarlinSender
    private var handshake = Handshake.closed
    /// Whether the board auto-reports temperatures (`Cap:AUTOREPORT_TEMP:1`).
    private var autoReport = false
    /// When temperatures were last asked for.
    private var polledAt: Int64 = 0
    /// The agent's own commands waiting to be sent, before any file line.
    private var queue: [[UInt8]] = []
    /// The board's heaters and fan as last told.
    private var readings = ControllerReadings()
    private var job: MarlinJob<File>?
    /// Runs of G-code someone waits for the outcome of (`run`), oldest first.
    private var exchanges: [Exchange] = []
    /// What the call under way has to do.
    private var actions: [MarlinAction] = []

    /// A session for a port that is not open yet.
    public init(setup: MarlinSetup) {
        self.setup = setup
        sender = MarlinSender(limits: setup.senderLimits)
    }

    /// Why the board cannot take a print now (`linkProblem` says why the port is closed),
    /// or nil when it can.
    public func unavailableReason(linkProblem: String) -> String? {
        switch handshake {
        case .ready: return nil
        case .identifying, .settling: return "the motion controller does not answer yet"
        case .closed: return "the motion controller is not connected (" + linkProblem + ")"
        }
    }

    /// The progress of the job being streamed, when there is one.
    public var progress: PrintProgress? { job?.progress }

    // MARK: Inputs

    /// The port opened: restart the line numbers and ask the board what it can do.
    public mutating func opened(now: Int64) -> [MarlinAction] {
        run { $0.identify(now: now) }
    }

    /// The port closed: the job, if any, fails.
    public mutating func closed(_ reason: String) -> [MarlinAction] {
        run { session in
            session.handshake = .closed
            session.queue.removeAll()
            if session.job != nil { session.fail("the serial connection closed: " + reason) }
            session.failExchanges("the serial connection closed: " + reason)
        }
    }

    /// One line the board sent (without its newline).
    public mutating func received(_ line: [UInt8], now: Int64) -> [MarlinAction] {
        run { session in
            let collecting = session.exchanges.first?.lineInFlight == true
            if collecting { session.collect(line) }
            session.perform(session.sender.received(line, now: now), now: now)
            if collecting { session.advanceExchange() }
            session.pump(now: now)
        }
    }

    /// Called about every 250 ms: the sender's silence check, the identification of a
    /// restarted board once it settled, and the temperature poll when the board does not
    /// auto-report.
    public mutating func tick(now: Int64) -> [MarlinAction] {
        run { session in
            session.perform(session.sender.tick(now: now), now: now)
            if let first = session.exchanges.first, now >= first.deadline {
                session.exchanges.removeFirst()
                session.tell(first.id, .failure(CommandFailure(.controllerFailed,
                    "the printer did not finish the command within \(MarlinSetup.runTimeoutMs / 1000) s")))
            }
            if case .settling(let until) = session.handshake, now >= until {
                session.identify(now: now)
            } else if session.handshake == .ready, !session.autoReport,
                      now - session.polledAt >= MarlinSetup.temperatureIntervalMs {
                session.polledAt = now
                if !session.queue.contains(Self.m105) { session.queue.append(Self.m105) }
            }
            session.pump(now: now)
        }
    }

    /// Starts streaming `file` (the caller checked `unavailableReason`).
    public mutating func start(_ file: File, now: Int64) -> [MarlinAction] {
        run { session in
            session.job = MarlinJob(file: file)
            session.pump(now: now)
        }
    }

    /// Pauses the streaming job: the pause G-code goes out and `paused` is told once the
    /// board acknowledged it. Nothing when the job is not streaming (already pausing, say).
    public mutating func pause(now: Int64) -> [MarlinAction] {
        run { $0.pauseJob(now: now) }
    }

    /// Resumes the paused job: the resume G-code goes out, then the file again. During a
    /// pause it goes out after the pause G-code, and `paused` is never told.
    public mutating func resume(now: Int64) -> [MarlinAction] {
        run { $0.resumeJob(now: now) }
    }

    /// Stops the job: nothing more of the file, the cancel G-code, and `stopped` once the
    /// board acknowledged everything.
    public mutating func stop(now: Int64) -> [MarlinAction] {
        run { $0.stopJob(now: now) }
    }

    /// Applies a `print/update`: temperatures, fan, speed and a babystep of the Z offset's change.
    public mutating func apply(_ settings: PrintSettings, now: Int64) -> [MarlinAction] {
        run { session in
            var zOffsetChange: Double?
            if let offset = settings.zOffset, let applied = session.job?.zOffset {
                zOffsetChange = offset - applied
                session.job?.zOffset = offset
            }
            session.queue += MarlinGcode.settings(settings, zOffsetChange: zOffsetChange,
                                                  auxFanIndex: session.setup.auxFanIndex)
            var merged = session.readings
            if let fan = settings.fanPercent { merged.fanSpeedPercent = fan }
            if session.setup.auxFanIndex != nil, let aux = settings.auxFanPercent { merged.auxFanSpeedPercent = aux }
            session.note(merged)
            session.pump(now: now)
        }
    }

    /// Sends `lines` ahead of the file's next lines without waiting for their outcome.
    public mutating func send(_ lines: [String], now: Int64) -> [MarlinAction] {
        run { session in
            session.queue += lines.map { Array($0.utf8) }
            session.pump(now: now)
        }
    }

    /// Runs `lines` (whether or not a job streams: they go between its lines) and tells
    /// `.ran(id:)` once the board acknowledged the last one, with what it said meanwhile; or
    /// the failure, when the connection fails, the board restarts or `MarlinSetup.runTimeoutMs`
    /// pass. The caller checked `unavailableReason`.
    public mutating func run(_ lines: [String], id: Int, now: Int64) -> [MarlinAction] {
        run { session in
            session.exchanges.append(Exchange(id: id, lines: lines.map { Array($0.utf8) },
                                              deadline: now + MarlinSetup.runTimeoutMs))
            session.pump(now: now)
        }
    }

    // MARK: Flow

    private static var m105: [UInt8] { Array("M105".utf8) }

    /// Runs `body` and hands out the actions it collected.
    private mutating func run(_ body: (inout MarlinSession) -> Void) -> [MarlinAction] {
        body(&self)
        defer { actions.removeAll() }
        return actions
    }

    /// Restarts numbering on a fresh sender and asks for the board's capabilities.
    private mutating func identify(now: Int64) {
        sender = MarlinSender(limits: setup.senderLimits)
        queue.removeAll()
        autoReport = false
        handshake = .identifying
        perform(sender.restartNumbering(now: now), now: now)
        queue.append(Array("M115".utf8))
        pump(now: now)
    }

    /// Sends the pause G-code of a streaming job.
    private mutating func pauseJob(now: Int64) {
        change(from: [.streaming], to: .pausing, sending: setup.pauseGcode, now: now)
    }

    /// Sends the resume G-code of a paused (or pausing) job.
    private mutating func resumeJob(now: Int64) {
        change(from: [.paused, .pausing], to: .resuming, sending: setup.resumeGcode, now: now)
    }

    /// Stops reading the file of a job not already stopping and sends the cancel G-code.
    private mutating func stopJob(now: Int64) {
        change(from: [.streaming, .pausing, .paused, .resuming], to: .stopping, sending: setup.cancelGcode, now: now)
    }

    /// Moves the job from one of `modes` to `mode`, queueing `commands`.
    private mutating func change(from modes: [MarlinJob<File>.Mode], to mode: MarlinJob<File>.Mode,
                                 sending commands: [[UInt8]], now: Int64) {
        guard var current = job, modes.contains(current.mode) else { return }
        current.mode = mode
        if mode == .stopping { current.dropFile() }
        job = current
        queue += commands
        pump(now: now)
    }

    /// Sends what the board has room for: the agent's own commands first, then the file;
    /// then finishes what waited for everything to be acknowledged.
    private mutating func pump(now: Int64) {
        while sender.canSend, exchanges.first?.lineInFlight != true {
            if exchanges.first?.started != true, !queue.isEmpty {
                perform(sender.send(queue.removeFirst(), now: now), now: now)
            } else if handshake == .ready, let line = exchanges.first?.lines.first {
                // Alone in flight, so that the next ok is this line's; the exchange's lines
                // go together (a relative move is not split by other commands).
                guard sender.isIdle else { break }
                exchanges[0].lineInFlight = true
                exchanges[0].started = true
                perform(sender.send(line, now: now), now: now)
            } else if handshake == .ready, job?.mode == .streaming, let line = nextFileCommand() {
                perform(sender.send(line, now: now), now: now)
            } else {
                break
            }
        }
        if sender.isIdle, queue.isEmpty { settle(now: now) }
    }

    /// Everything sent has been acknowledged: the board is identified, or the job is
    /// paused, resumed, stopped or finished.
    private mutating func settle(now: Int64) {
        if case .identifying = handshake {
            handshake = .ready
            log(.info, "the board answers" + (autoReport ? "; temperatures auto-reported" : "; polling temperatures"))
            if autoReport {
                queue.append(Array("M155 S\(MarlinSetup.temperatureIntervalMs / 1000)".utf8))
                pump(now: now)
            }
            return
        }
        guard let current = job else { return }
        switch current.mode {
        case .pausing:
            job?.mode = .paused
            tell(.paused)
        case .resuming:
            job?.mode = .streaming
            tell(.resumed)
            pump(now: now)
        case .stopping:
            job = nil
            tell(.stopped)
        case .streaming where current.file == nil:
            job = nil
            tell(.finished)
        default:
            break
        }
    }

    /// The next command of the file, telling what was learnt on the way; nil at the end of
    /// the file or after a read error (the job then fails).
    private mutating func nextFileCommand() -> [UInt8]? {
        guard var current = job else { return nil }
        var events: [ControllerEvent] = []
        let next = current.next(events: &events)
        job = current
        for event in events { tell(event) }
        switch next {
        case .command(let command, let fanPercent):
            if let fanPercent { note(fanPercent: fanPercent) }
            return command
        case .end:
            return nil
        case .failed(let reason):
            fail(reason)
            return nil
        }
    }

    /// Carries out what the sender asked for.
    private mutating func perform(_ senderActions: [MarlinSender.Action], now: Int64) {
        for action in senderActions {
            switch action {
            case .write(let bytes):
                actions.append(.write(bytes))
            case .readings(let latest):
                note(readings.merging(temperatures: latest))
            case .capability(let name, let enabled):
                if name == "AUTOREPORT_TEMP" { autoReport = enabled }
                // How often the board's keepalive comes: how soon silence means a lost ok.
                if name == "HOST_KEEPALIVE", enabled, handshake == .identifying { queue.append(Array("M113".utf8)) }
            case .hostAction(let text):
                hostAction(text, now: now)
            case .controllerReset:
                log(.warning, "the board restarted")
                if job != nil { fail("the board restarted (a reset or a power loss) during the print; the print cannot continue") }
                failExchanges("the board restarted (a reset or a power loss) before the command was done")
                handshake = .settling(until: now + MarlinSetup.rebootQuietMs)
            case .failed(let reason):
                if job != nil { fail(reason) }
                failExchanges(reason)
                actions.append(.close(reason))
            case .log(let level, let message):
                log(level, message)
            }
        }
    }

    /// `//action:` messages: the board (or its display) asks the host to pause, resume or
    /// cancel (told on, for the supervisor to decide like the same command), or says it
    /// paused or resumed on its own (a runout, `M600`).
    private mutating func hostAction(_ text: String, now: Int64) {
        log(.info, "the board says //action:" + text)
        guard let mode = job?.mode else { return }
        switch text {
        case "pause", "resume", "cancel":
            tell(.asks(text))
        case "paused" where mode == .streaming || mode == .pausing:
            job?.mode = .paused
            tell(.paused)
        case "resumed" where mode == .paused:
            job?.mode = .streaming
            tell(.resumed)
        default:
            break
        }
    }

    /// Keeps what the board said while an exchange's line is in flight: everything but `ok`s
    /// without temperatures (`ok`, ADVANCED_OK's `ok N12 P15 B3`), keepalives and temperature
    /// auto-reports (an `M105`'s `ok T:...` is kept).
    private mutating func collect(_ line: [UInt8]) {
        switch MarlinReply.parse(line) {
        case .busy, .temperatures, .ok(nil): return
        default: exchanges[0].replies.append(GcodeText.reportString(GcodeText.trimmed(line[...]), limit: MarlinReply.maxTextLength))
        }
    }

    /// After a line from the board: when the exchange's line in flight was acknowledged (the
    /// sender is idle again), the next line may go, or the exchange is over.
    private mutating func advanceExchange() {
        guard exchanges.first?.lineInFlight == true, sender.isIdle else { return }
        exchanges[0].lineInFlight = false
        exchanges[0].lines.removeFirst()
        guard exchanges[0].lines.isEmpty else { return }
        let done = exchanges.removeFirst()
        tell(done.id, .success(done.replies))
    }

    /// Fails every exchange with `reason`.
    private mutating func failExchanges(_ reason: String) {
        let failed = exchanges
        exchanges.removeAll()
        for exchange in failed { tell(exchange.id, .failure(CommandFailure(.controllerFailed, reason))) }
    }

    /// Tells the outcome of exchange `id`.
    private mutating func tell(_ id: Int, _ outcome: Result<[String], CommandFailure>) {
        actions.append(.ran(id: id, outcome))
    }

    /// The fan at `percent`, as the file or a `print/update` set it.
    private mutating func note(fanPercent: Int) {
        var merged = readings
        merged.fanSpeedPercent = fanPercent
        note(merged)
    }

    /// Tells `merged` when it differs from the readings last told.
    private mutating func note(_ merged: ControllerReadings) {
        guard merged != readings else { return }
        readings = merged
        tell(.readings(merged))
    }

    /// Ends the job as failed, forgetting the commands that were for it.
    private mutating func fail(_ reason: String) {
        job = nil
        queue.removeAll()
        tell(.failed(reason))
    }

    private mutating func tell(_ event: ControllerEvent) { actions.append(.event(event)) }

    private mutating func log(_ level: LogLevel, _ message: String) { actions.append(.log(level, message)) }
}
