/// Flow control with a Marlin-style controller over a serial line, as a pure state machine
/// (design decision 3): it numbers and checksums each command, keeps lines in flight within
/// the board's receive buffer (every `ok` acknowledges the oldest), answers resend requests
/// from the lines it keeps, watches for silence and reads what the controller reports. Time
/// comes in as `now` (monotonic milliseconds); what to write and report goes out as actions.
///
/// With `receiveBufferBytes` 0 it keeps one line in flight, as OctoPrint and Pronterface do;
/// with the size of the board's serial receive buffer it sends ahead while the bytes of every
/// unacknowledged line fit in it, as Repetier-Host does: a line the board has taken into its
/// command queue has left the receive buffer, so the buffer never overflows, and the serial
/// line is never idle while the board waits for the next line. Marlin checks each line's number
/// and checksum and never runs a line twice or out of order, so the sender may write a line
/// again whenever in doubt (a timeout, a stale request): the numbering keeps it safe.
public struct MarlinSender {
    /// When the sender gives up or speaks up.
    public struct Limits: Equatable {
        /// Silence (no line received) while a line awaits its ok before a timeout.
        public var communicationTimeoutMs: Int64 = 30_000
        /// The same once `busy:` has been seen on this connection (the firmware then sends a
        /// keepalive every 2 s or so during long commands).
        public var busyTimeoutMs: Int64 = 3_000
        /// Timeouts in a row, with no line received at all, after which the sender fails.
        public var maxConsecutiveTimeouts = 5
        /// Resend requests for one line after which the sender fails.
        public var maxResendsPerLine = 10
        /// How many sent lines are kept for resends.
        public var historyLength = 64
        /// Bytes of the board's serial receive buffer that unacknowledged lines may fill
        /// (Marlin's RX_BUFFER_SIZE less one); 0 keeps one line in flight.
        public var receiveBufferBytes = 0

        /// The defaults above.
        public init() {}
    }

    /// What the adapter must do, in order.
    public enum Action: Equatable {
        /// Write these bytes to the port.
        case write([UInt8])
        /// Temperatures parsed from an ok or an auto-report.
        case readings(ControllerReadings)
        /// A capability from M115's `Cap:` lines.
        case capability(String, Bool)
        /// `//action:<text>`: what the firmware asks of the host.
        case hostAction(String)
        /// The controller printed `start`: it rebooted, the line in flight is lost and
        /// numbering must restart (`restartNumbering`) before anything is sent.
        case controllerReset
        /// The connection cannot go on (resend limit, silence, a fatal error); a sentence for users.
        case failed(String)
        /// Write this line to the log.
        case log(LogLevel, String)
    }

    /// Where a resend stands.
    private enum Resend: Equatable {
        /// None under way.
        case none
        /// The controller asked for the lines from this one on; the next ok starts writing them.
        case requested(Int)
        /// Lines before this one are rewritten (the last of them awaits its ok); this one is next.
        case writing(next: Int)
    }

    private let limits: Limits
    /// The number the next new line gets.
    private var nextNumber = 0
    /// The last `historyLength` lines written, each at `number % historyLength`.
    private var history: [[UInt8]]
    /// The number of the line in each history slot (-1 when empty).
    private var historyNumbers: [Int]
    /// The lines written and not acknowledged yet, oldest first.
    private var inFlight: [InFlightLine] = []
    /// A command accepted by `send` that waits for room in the receive buffer.
    private var held: [UInt8]?
    /// Oks still to come that acknowledge no line (the one after a request for a line never sent).
    private var oksToIgnore = 0
    private var resend = Resend.none
    /// Whether numbering was (re)started since the connection opened or the controller rebooted.
    private var numbered = false
    private var failed = false
    /// The line of the latest resend request and how many times it was asked for in a row.
    private var requestedLine = -1
    private var requests = 0
    /// When the current silence began: the last line received or written.
    private var quietSince: Int64 = 0
    /// When the silence that caused the current run of timeouts began.
    private var silentSince: Int64 = 0
    private var timeouts = 0

    /// The bytes of the lines in flight (a handful: they fit in the receive buffer).
    private var inFlightBytes: Int { inFlight.reduce(0) { $0 + $1.bytes } }

    /// A line written and awaiting its ok.
    private struct InFlightLine {
        let number: Int
        let bytes: Int
        /// Whether it waits for a heater (M109, M190): Marlin prints the temperatures while it
        /// waits, and only then do they show that the line is progressing.
        let heaterWait: Bool
    }

    /// Whether `busy:` has been seen on this connection.
    public private(set) var busySeen = false

    /// Creates a sender for a freshly opened connection: nothing is sent until `restartNumbering`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
        let length = max(1, limits.historyLength)
        history = [[UInt8]](repeating: [], count: length)
        historyNumbers = [Int](repeating: -1, count: length)
    }

    /// Whether a new command may be sent now: numbering has started, the receive buffer has
    /// room (with one line in flight: no line awaits its ok), no command is held, no resend is
    /// under way, and the sender has not failed. Nothing is sent ahead of a heater wait: the
    /// print has not started until the heaters are hot, and what is sent is what has started.
    public var canSend: Bool {
        numbered && !failed && held == nil && resend == .none
            && (inFlight.isEmpty || (inFlightBytes < limits.receiveBufferBytes && inFlight.last?.heaterWait != true))
    }

    /// Whether nothing awaits an ok, is held or is to be resent.
    public var isIdle: Bool { inFlight.isEmpty && held == nil && resend == .none }

    /// Whether the connection cannot go on (a `failed` action was returned).
    public var hasFailed: Bool { failed }

    /// Starts numbering again: writes `N0 M110 N0*<checksum>`, which awaits its ok like any
    /// line; the next command is line 1. Forgets what was in flight or to be resent.
    public mutating func restartNumbering(now: Int64) -> [Action] {
        guard !failed else { return [] }
        forgetLines()
        numbered = true
        return [writeNew(Array("M110 N0".utf8), now: now)]
    }

    /// Numbers and writes one cleaned command (no comment, no newline), when `canSend`: at
    /// once when it fits in the receive buffer, else held until enough lines are acknowledged.
    /// Otherwise writes nothing and says why in a log action.
    public mutating func send(_ command: [UInt8], now: Int64) -> [Action] {
        guard canSend else { return [.log(.warning, "not sending a command: \(refusal)")] }
        guard !command.isEmpty, !command.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        else { return [.log(.warning, "not sending a command that is empty or holds a line break")] }
        held = command
        return writeHeld(now: now)
    }

    /// Handles one line from the controller (without its newline).
    /// Any line shows the controller lives, except a temperature auto-report while the line
    /// in flight is not a heater wait: M155 reports keep coming after an ok was lost.
    public mutating func received(_ line: [UInt8], now: Int64) -> [Action] {
        guard !failed else { return [] }
        let reply = MarlinReply.parse(line)
        if case .temperatures = reply, let oldest = inFlight.first, !oldest.heaterWait {
            // Not a sign of progress: the silence goes on.
        } else {
            quietSince = now
            timeouts = 0
        }
        switch reply {
        case .ok(let readings):
            let freed = acknowledge(now: now)
            guard let readings else { return freed }
            return [.readings(readings)] + freed
        case .resend(let number):
            return resendRequested(number)
        case .busy:
            busySeen = true
            return []
        case .start:
            forgetLines()
            numbered = false
            return [.controllerReset]
        case .temperatures(let readings):
            return [.readings(readings)]
        case .capability(let name, let enabled):
            return [.capability(name, enabled)]
        case .firmwareInfo(let text):
            return [.log(.info, "controller firmware: " + text)]
        case .hostAction(let text):
            return [.hostAction(text)]
        case .communicationError(let text):
            return [.log(.debug, "controller: " + text)]
        case .nonFatalError(let text):
            return [.log(.warning, "controller error: " + text)]
        case .fatalError(let text):
            failed = true
            return [.failed(text)]
        case .position:
            return []
        case .echo(let text), .other(let text):
            return text.isEmpty ? [] : [.log(.debug, "controller: " + text)]
        }
    }

    /// Checks for silence (call about every 250 ms). A timeout while a line awaits its ok
    /// writes something that makes the controller answer: the line being resent again, or
    /// else the next numbered `M105`. After `maxConsecutiveTimeouts` in a row the sender fails.
    public mutating func tick(now: Int64) -> [Action] {
        guard !failed, !isIdle else { return [] }
        let timeout = busySeen ? limits.busyTimeoutMs : limits.communicationTimeoutMs
        guard now - quietSince >= timeout else { return [] }
        if timeouts == 0 { silentSince = quietSince }
        timeouts += 1
        let silence = now - silentSince
        if timeouts >= limits.maxConsecutiveTimeouts {
            failed = true
            return [.failed("the printer stopped answering: no reply for \(silence / 1000) s")]
        }
        // After this much silence the board has taken all it will take: an ok was lost.
        inFlight.removeAll()
        oksToIgnore = 0
        let what: String
        let write: Action
        switch resend {
        case .requested(let number):
            what = "writing line \(number) the printer asked for"
            write = writeResent(number, now: now)
        case .writing(let next):
            what = "writing line \(next - 1) again"
            write = rewrite(next - 1, now: now)
        case .none:
            if let command = held {
                held = nil
                what = "writing the next line"
                write = writeNew(command, now: now)
            } else {
                what = "asking for the temperatures"
                write = writeNew(Array("M105".utf8), now: now)
            }
        }
        return [.log(.warning, "no reply from the printer for \(silence / 1000) s; \(what)"), write]
    }

    /// An ok: the oldest line in flight is acknowledged and what now fits is written (the
    /// lines of a resend, or a held command). The ok that follows a resend request starts
    /// the resend and acknowledges nothing. A resend rewrites one line per ok, as with one
    /// line in flight, so a repeat of the request can only concern the line just rewritten:
    /// it rewinds to it again (a copy the board already took is refused by its number, so
    /// nothing runs twice).
    private mutating func acknowledge(now: Int64) -> [Action] {
        if oksToIgnore > 0 {
            oksToIgnore -= 1
            return []
        }
        if case .requested(let number) = resend {
            resend = .writing(next: number)
        } else if !inFlight.isEmpty {
            inFlight.removeFirst()
        }
        var writes: [Action] = []
        while case .writing(let next) = resend {
            guard next < nextNumber else {
                // The resend ends when its last line is acknowledged.
                if inFlight.isEmpty { resend = .none }
                break
            }
            guard inFlight.isEmpty else { return writes }
            writes.append(writeResent(next, now: now))
        }
        return writes + writeHeld(now: now)
    }

    /// A resend request for line `number`. A line that was never sent means the controller
    /// has every line (it saw the last one twice): that frees the slot like an ok.
    private mutating func resendRequested(_ number: Int) -> [Action] {
        if resend == .requested(number) || (resend == .writing(next: number) && number < nextNumber) {
            return [.log(.debug, "the printer asked again for line \(number), which is about to be resent")]
        }
        requests = number == requestedLine ? requests + 1 : 1
        requestedLine = number
        let neverSent = number >= nextNumber
        let kept = !neverSent && storedLine(number) != nil
        if requests > limits.maxResendsPerLine {
            failed = true
            if kept {
                return [.failed("line \(number) was resent \(limits.maxResendsPerLine) times and the printer still did "
                    + "not take it: the serial link is unreliable (check the cable and the baud rate)")]
            }
            return [.failed("the printer keeps asking for line \(number), which "
                + (neverSent ? "was never sent" : "is no longer kept") + ": its line numbering is out of step")]
        }
        if neverSent {
            resend = .none
            if !inFlight.isEmpty { inFlight.removeFirst() }
            oksToIgnore += 1
            return [.log(.warning, "the printer asked for line \(number), which was never sent; taken as an ok")]
        }
        guard kept else {
            return [.log(.warning, "the printer asked for line \(number), which is no longer kept; ignored")]
        }
        // The board dropped the requested line and those behind it; the older ones in flight
        // are in its command queue and will be acknowledged.
        inFlight.removeAll { $0.number >= number }
        resend = .requested(number)
        return [.log(.debug, "the printer asked for the lines from \(number) on again")]
    }

    /// Forgets the lines sent, the one in flight and any resend: numbering starts again at 0.
    private mutating func forgetLines() {
        for slot in historyNumbers.indices { historyNumbers[slot] = -1 }
        nextNumber = 0
        inFlight.removeAll()
        held = nil
        oksToIgnore = 0
        resend = .none
        requestedLine = -1
        requests = 0
    }

    /// Writes `command` as the next numbered line and keeps it for resends.
    private mutating func writeNew(_ command: [UInt8], now: Int64) -> Action {
        writeNumbered(MarlinLine.numbered(nextNumber, command), now: now)
    }

    /// Writes `line`, numbered `nextNumber`, and keeps it for resends.
    private mutating func writeNumbered(_ line: [UInt8], now: Int64) -> Action {
        let slot = nextNumber % history.count
        history[slot] = line
        historyNumbers[slot] = nextNumber
        nextNumber += 1
        return written(line, number: nextNumber - 1, now: now)
    }

    /// Writes the held command as the next line when it fits in the receive buffer.
    private mutating func writeHeld(now: Int64) -> [Action] {
        guard let command = held, resend == .none else { return [] }
        let line = MarlinLine.numbered(nextNumber, command)
        guard fits(line.count) else { return [] }
        held = nil
        return [writeNumbered(line, now: now)]
    }

    /// Whether a line of `bytes` may be written now: nothing is in flight, or the receive
    /// buffer holds it with the lines in flight.
    private func fits(_ bytes: Int) -> Bool {
        inFlight.isEmpty || inFlightBytes + bytes <= limits.receiveBufferBytes
    }

    /// Writes kept line `number` as part of a resend; the one after it is next.
    private mutating func writeResent(_ number: Int, now: Int64) -> Action {
        resend = .writing(next: number + 1)
        return rewrite(number, now: now)
    }

    /// Writes kept line `number` again (a line in the resend range is always kept: nothing
    /// newer is written while a resend is under way).
    private mutating func rewrite(_ number: Int, now: Int64) -> Action {
        written(storedLine(number) ?? [], number: number, now: now)
    }

    /// Line `number` now awaits its ok and the silence starts over.
    private mutating func written(_ line: [UInt8], number: Int, now: Int64) -> Action {
        inFlight.append(InFlightLine(number: number, bytes: line.count,
                                     heaterWait: GcodeStreamFacts.isTemperatureWait(Self.command(of: line))))
        quietSince = now
        return .write(line)
    }

    /// The command of a numbered line: between the space after `N<n>` and the `*`.
    private static func command(of line: [UInt8]) -> ArraySlice<UInt8> {
        let start = line.firstIndex(of: UInt8(ascii: " ")).map { $0 + 1 } ?? 0
        let end = line.lastIndex(of: UInt8(ascii: "*")) ?? line.count
        return start < end ? line[start..<end] : []
    }

    /// Kept line `number`, or nil when it is no longer (or never was) kept.
    private func storedLine(_ number: Int) -> [UInt8]? {
        guard number >= 0 else { return nil }
        let slot = number % history.count
        return historyNumbers[slot] == number ? history[slot] : nil
    }

    /// Why `send` is refused now.
    private var refusal: String {
        if failed { return "the connection has failed" }
        if !numbered { return "line numbering has not been started" }
        if resend != .none { return "a resend is under way" }
        if held != nil { return "a line waits for room in the printer's receive buffer" }
        return "the printer's receive buffer is full"
    }
}
