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
///
/// Every copy that reaches the board is answered by one ok: the board took it, or refused it
/// (`Resend: n` then `ok`). A board that refuses a line may flush its receive buffer (Marlin's
/// own serial driver) or not (the Arduino cores' `HardwareSerial`, bytes still on the wire):
/// then each line already sent behind the refused one is refused in turn with the same
/// request. So one request is answered by one rewind; the copies sent before it are doomed,
/// their refusals are recognised and not answered again, and their bytes count against the
/// receive buffer until the board refuses them or reads past them. Silence while lines are in
/// flight means lost oks: a numbered `M105` asks the board where it stands. Noise on the
/// board's replies is allowed for: a garbled `Resend:` is recovered from its error line, the
/// refusal of a line's tail (cut off by a byte turned line end) answers no copy, and a count
/// of answers in doubt is set right by silence and the probe.
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

    private let limits: Limits
    /// The number the next new line gets.
    private var nextNumber = 0
    /// The last `historyLength` lines written, each at `number % historyLength`.
    private var history: [[UInt8]]
    /// The number of the line in each history slot (-1 when empty).
    private var historyNumbers: [Int]
    /// The copies written whose ok has not come yet, oldest first.
    private var inFlight: [InFlightLine] = []
    /// A command accepted by `send` that waits for room in the receive buffer.
    private var held: [UInt8]?
    /// Oks still to come that acknowledge no line in flight: the one after each resend request.
    private var oksToIgnore = 0
    /// During a resend, the kept line to rewrite next (lines up to `nextNumber` are rewritten,
    /// then new lines go out again); nil when no resend is under way.
    private var rewind: Int?
    /// Whether numbering was (re)started since the connection opened or the controller rebooted.
    private var numbered = false
    private var failed = false
    /// The line of the latest request for a lost copy and how many such requests came in a row.
    private var requestedLine = -1
    private var requests = 0
    /// When the current silence began: the last line received or written.
    private var quietSince: Int64 = 0
    /// When the silence that caused the current run of timeouts began.
    private var silentSince: Int64 = 0
    private var timeouts = 0

    /// The bytes of the copies in flight, doomed ones included (a handful: they fit in the
    /// receive buffer).
    private var inFlightBytes: Int { inFlight.reduce(0) { $0 + $1.bytes } }

    /// A copy of a line written and awaiting its ok (or its refusal).
    private struct InFlightLine {
        let number: Int
        let bytes: Int
        /// Whether it waits for a heater (M109, M190): Marlin prints the temperatures while it
        /// waits, and only then do they show that the line is progressing.
        let heaterWait: Bool
        /// Written after a copy the board refused and before the resend that answered it: the
        /// board will never take it. A board that flushes its receive buffer on a line error
        /// dropped it (no answer at all); one that does not (Arduino-core serial drivers, bytes
        /// that were still on the wire) refuses it with another request for the same line.
        /// Until one of the two is known it may still fill the receive buffer.
        var doomed = false
        /// The number of requests for lost copies answered before it was written.
        let epoch: Int
    }

    /// The line the `Resend:` after a line error will ask for (Marlin's `Last Line:` plus one),
    /// until it comes; should the ok after it come first, the request was lost on the way.
    private var expectedRequest: Int?
    /// Whether the line error awaiting its `Resend:` (or, that lost, its ok) refused a fragment.
    private var fragmentRefused = false
    /// Whether the board was seen to flush its receive buffer after a line error (an ok read
    /// past doomed copies): a second request for a line then means its copy was flushed, not
    /// that the answers were miscounted.
    private var boardFlushes = false
    /// `nextNumber` when the latest request for a lost copy was answered (0 after a probe that
    /// followed silence). Another request for a line before it, with copies in flight behind
    /// the one it refuses, on a board not seen to flush (and not the answer to the probe after
    /// a repeat), may come from an extra refusal the sender could not tell apart (noise it did
    /// not recognise): answered with a rewind, the sender's count of answers would stay one
    /// off, each rewind causing the next. The sender then writes nothing until the board has
    /// answered everything (`resync`), and a probe, alone in flight, finds where it stands.
    private var rewindEnd = 0
    private var resync: Resync?

    /// Where a resynchronisation is (see `rewindEnd`).
    private enum Resync {
        /// Waiting for silence: the board has answered every copy.
        case waiting
        /// The probe is out, alone: its ok or its request says where the board stands.
        case probing
    }
    /// Requests for lost copies answered so far: each starts a rewind.
    private var epoch = 0
    /// Whether a repeated request was recognised since the current rewind was written and no
    /// copy of it was taken yet, and whether the probe for it went out. A board that flushes
    /// may have flushed the copies with the line it refused: after `flushedCopyProbeMs` of
    /// silence a numbered `M105` asks it where it stands (it refuses it with the line it
    /// lacks, or takes it when it has every line), without waiting for the full timeout.
    private var repeatSinceRewind = false
    private var rewindProbed = false
    /// Silence after a repeated request before the probe.
    static let flushedCopyProbeMs: Int64 = 500
    /// The line of the latest resend request of any kind and how many came for it in a row:
    /// a link so noisy that repeats never end fails after `maxResendsPerLine` times
    /// `repeatsPerRequest` of them.
    private var repeatedLine = -1
    private var repeats = 0
    /// Repeats one request may bring: a window of lines in flight, and their fragments.
    private static let repeatsPerRequest = 16

    /// Whether the board keeps the host informed during long commands: it sent `busy:` on
    /// this connection or announced `Cap:HOST_KEEPALIVE:1`. Silence then means a lost ok
    /// after `busyTimeoutMs` instead of `communicationTimeoutMs`.
    public private(set) var busySeen = false
    /// The board's keepalive interval, when it told it (M113): silence for half as long again
    /// then means a lost ok (instead of `busyTimeoutMs`, made for stock Marlin's 2 s).
    private var keepaliveMs: Int64?

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
        numbered && !failed && held == nil && rewind == nil && resync == nil
            && (inFlight.isEmpty || (inFlightBytes < limits.receiveBufferBytes && inFlight.last?.heaterWait != true))
    }

    /// Whether nothing awaits an ok, is held or is to be resent, and the copies in flight are
    /// accounted for.
    public var isIdle: Bool { inFlight.isEmpty && held == nil && rewind == nil && resync == nil }

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
        return writeWhatFits(now: now)
    }

    /// Handles one line from the controller (without its newline).
    /// Any line shows the controller lives, except a temperature auto-report while the line
    /// in flight is not a heater wait: M155 reports keep coming after an ok was lost. The
    /// reports of a heater wait carry `W:` (the wait's countdown): those always show progress.
    public mutating func received(_ line: [UInt8], now: Int64) -> [Action] {
        guard !failed else { return [] }
        let reply = MarlinReply.parse(line)
        if case .temperatures = reply, !Self.isHeaterWaitReport(line), let oldest = inFlight.first, !oldest.heaterWait {
            // Not a sign of progress: the silence goes on.
        } else {
            quietSince = now
            timeouts = 0
        }
        switch reply {
        case .ok(let readings):
            if fragmentRefused {
                // The refusal of a fragment whose `Resend:` was lost: its ok answers no copy.
                fragmentRefused = false
                expectedRequest = nil
                return [.log(.debug, "the printer refused the tail of a line cut in two")]
            }
            var said: [Action] = []
            if let number = expectedRequest {
                // The line error's `Resend:` was lost (corrupted on its way): this ok is the
                // refusal's own, and the request the error announced is answered as if it came.
                expectedRequest = nil
                said = [.log(.debug, "the printer's request for line \(number) was garbled; answering its error")]
                    + resendRequested(number)
                if failed { return said }
            }
            acknowledge()
            if resync == .probing { resync = nil }
            let writes = writeWhatFits(now: now)
            guard let readings else { return said + writes }
            return said + [.readings(readings)] + writes
        case .resend(let number):
            expectedRequest = nil
            if fragmentRefused {
                // The tail of a line a corrupted byte cut in two: its head was (or will be)
                // refused on its own, so this refusal answers no copy. Copies may have been
                // flushed with it: silence then probes soon.
                fragmentRefused = false
                oksToIgnore += 1
                repeatSinceRewind = true
                return [.log(.debug, "the printer refused the tail of a line cut in two (it asked for line \(number))")]
            }
            if resync == .probing { resync = nil }
            let said = resendRequested(number)
            return failed ? said : said + writeWhatFits(now: now)
        case .busy:
            busySeen = true
            return []
        case .keepaliveInterval(let interval):
            keepaliveMs = interval > 0 ? interval : nil
            busySeen = interval > 0
            return [.log(.debug, "the printer sends a keepalive every \(interval) ms during long commands")]
        case .start:
            forgetLines()
            numbered = false
            return [.controllerReset]
        case .temperatures(let readings):
            return [.readings(readings)]
        case .capability(let name, let enabled):
            if name == "HOST_KEEPALIVE" && enabled { busySeen = true }
            return [.capability(name, enabled)]
        case .firmwareInfo(let text):
            return [.log(.info, "controller firmware: " + text)]
        case .hostAction(let text):
            return [.hostAction(text)]
        case .communicationError(let text, let request, let fragment):
            expectedRequest = request
            fragmentRefused = fragment
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

    /// Checks for silence (call about every 250 ms). Silence while a line awaits its ok means
    /// the board has taken all it will take (the oks of the lines in flight were lost, or the
    /// lines themselves): they are forgotten and a numbered `M105` probes where the board
    /// stands. It answers ok when it has every line (the print goes on), or asks for the first
    /// line it lacks (a resend from there). After `maxConsecutiveTimeouts` in a row, with
    /// nothing received, the sender fails.
    public mutating func tick(now: Int64) -> [Action] {
        guard !failed, !isIdle else { return [] }
        if resync == .waiting {
            guard now - quietSince >= (busySeen ? lostOkTimeoutMs : limits.busyTimeoutMs) else { return [] }
            return [.log(.debug, "the printer's answers have ended; asking where it stands"), probeAlone(now: now)]
        }
        if repeatSinceRewind, !rewindProbed, now - quietSince >= Self.flushedCopyProbeMs {
            rewindProbed = true
            return [.log(.debug, "the rewind may have been flushed; asking where the printer stands"),
                    writeNew(Array("M105".utf8), now: now)]
        }
        guard now - quietSince >= (busySeen ? lostOkTimeoutMs : limits.communicationTimeoutMs) else { return [] }
        if timeouts == 0 { silentSince = quietSince }
        timeouts += 1
        let silence = now - silentSince
        if timeouts >= limits.maxConsecutiveTimeouts {
            failed = true
            return [.failed("the printer stopped answering: no reply for \(silence / 1000) s")]
        }
        return [.log(.warning, "no reply from the printer for \(silence / 1000) s; asking where it stands"),
                probeAlone(now: now)]
    }

    /// Silence that means a lost ok on a board that sends keepalives: half as long again as
    /// the interval it told (M113), else `busyTimeoutMs`, made for stock Marlin's 2 s.
    private var lostOkTimeoutMs: Int64 { keepaliveMs.map { $0 * 3 / 2 } ?? limits.busyTimeoutMs }

    /// After silence, when the board has answered all it will: forgets the copies in flight
    /// and any resend, and writes a numbered `M105` that the board takes when it has every
    /// line, or refuses with the first one it lacks. Nothing goes with it: on a board that
    /// flushes, lines behind a refused probe would be lost unanswered.
    private mutating func probeAlone(now: Int64) -> Action {
        resync = .probing
        inFlight.removeAll()
        oksToIgnore = 0
        rewind = nil
        expectedRequest = nil
        fragmentRefused = false
        repeatSinceRewind = false
        rewindEnd = 0
        return writeNew(Array("M105".utf8), now: now)
    }

    /// A plain ok: the board took the oldest copy it had not answered (copies are answered in
    /// the order they were written). Doomed copies written before it are gone: the board read
    /// past them, so it flushed them.
    private mutating func acknowledge() {
        if oksToIgnore > 0 {
            oksToIgnore -= 1
            return
        }
        guard let taken = inFlight.firstIndex(where: { !$0.doomed }) ?? inFlight.indices.first else { return }
        if inFlight[taken].epoch == epoch { repeatSinceRewind = false }
        if taken > inFlight.startIndex, !inFlight[taken].doomed { boardFlushes = true }
        inFlight.removeSubrange(...taken)
    }

    /// A resend request for line `number`, which Marlin follows with an ok. It answers one
    /// copy the board refused: the oldest in flight numbered from `number` on (the older ones
    /// are in its command queue). A doomed copy's refusal only repeats a request already
    /// answered: it is not answered again. Any other is a request for a really lost copy: it
    /// counts against `maxResendsPerLine`, the copies written after the refused one are
    /// doomed, and the lines from `number` on are written again. A line that was never sent
    /// means the board has every line (it saw the last one twice): that frees the slot like an
    /// ok.
    private mutating func resendRequested(_ number: Int) -> [Action] {
        oksToIgnore += 1
        var refused = inFlight.firstIndex { $0.number >= number } ?? inFlight.indices.first
        repeats = number == repeatedLine ? repeats + 1 : 1
        repeatedLine = number
        if repeats > limits.maxResendsPerLine * Self.repeatsPerRequest {
            failed = true
            return [.failed("the printer asked for line \(number) \(repeats - 1) times in a row: the serial link is "
                + "unreliable (check the cable and the baud rate)")]
        }
        if resync == .waiting { return [] }
        if let doomed = refused, inFlight[doomed].doomed, rewindProbed {
            // The probe went out after the silence that followed the doomed lines' refusals:
            // what the board refuses now is the probe or a copy.
            inFlight.removeAll { $0.doomed }
            refused = inFlight.firstIndex { $0.number >= number } ?? inFlight.indices.first
        }
        if let refused, inFlight[refused].doomed {
            inFlight.remove(at: refused)
            repeatSinceRewind = true
            return [.log(.debug, "the printer asked for line \(number) again, refusing a line sent before its request")]
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
        if kept, !boardFlushes, number < rewindEnd, !rewindProbed, let refused, refused + 1 < inFlight.endIndex {
            resync = .waiting
            rewind = nil
            return [.log(.debug, "the printer asked for line \(number) again after its copy went out; the answers may be "
                + "miscounted: waiting for them to end")]
        }
        if let refused {
            inFlight.remove(at: refused)
            if !neverSent {
                for index in refused..<inFlight.endIndex { inFlight[index].doomed = true }
            }
        }
        if neverSent {
            rewind = nil
            return [.log(.warning, "the printer asked for line \(number), which was never sent; taken as an ok")]
        }
        guard kept else {
            return [.log(.warning, "the printer asked for line \(number), which is no longer kept; ignored")]
        }
        epoch += 1
        repeatSinceRewind = false
        rewindProbed = false
        rewind = number
        rewindEnd = nextNumber
        return [.log(.debug, "the printer asked for the lines from \(number) on again")]
    }

    /// Forgets the lines sent, the one in flight and any resend: numbering starts again at 0.
    private mutating func forgetLines() {
        for slot in historyNumbers.indices { historyNumbers[slot] = -1 }
        nextNumber = 0
        inFlight.removeAll()
        held = nil
        oksToIgnore = 0
        rewind = nil
        expectedRequest = nil
        fragmentRefused = false
        boardFlushes = false
        resync = nil
        rewindEnd = 0
        requestedLine = -1
        requests = 0
        repeatedLine = -1
        repeats = 0
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

    /// Writes what the receive buffer has room for: the lines of a resend, then the held
    /// command.
    private mutating func writeWhatFits(now: Int64) -> [Action] {
        guard resync == nil else { return [] }
        var writes: [Action] = []
        while let next = rewind {
            guard next < nextNumber, let line = storedLine(next) else {
                rewind = nil
                break
            }
            // The lines the board took before the request leave its command queue first: until
            // then it may leave doomed lines unread in its buffer, where a copy would be flushed
            // with them.
            guard fits(line.count), !inFlight.contains(where: { !$0.doomed && $0.epoch < epoch }) else { return writes }
            rewind = next + 1
            writes.append(written(line, number: next, now: now))
        }
        guard let command = held else { return writes }
        let line = MarlinLine.numbered(nextNumber, command)
        guard fits(line.count) else { return writes }
        held = nil
        return writes + [writeNumbered(line, now: now)]
    }

    /// Whether a line of `bytes` may be written now: nothing is in flight, or the receive
    /// buffer holds it with the copies in flight (doomed ones included) and the last of them
    /// is no heater wait.
    private func fits(_ bytes: Int) -> Bool {
        inFlight.isEmpty
            || (inFlight.last?.heaterWait != true && inFlightBytes + bytes <= limits.receiveBufferBytes)
    }

    /// Line `number` now awaits its ok and the silence starts over.
    private mutating func written(_ line: [UInt8], number: Int, now: Int64) -> Action {
        inFlight.append(InFlightLine(number: number, bytes: line.count,
                                     heaterWait: GcodeStreamFacts.isTemperatureWait(Self.command(of: line)), epoch: epoch))
        quietSince = now
        return .write(line)
    }

    /// Whether a temperature report comes from a heater wait (M109, M190): Marlin adds the
    /// wait's countdown, ` W:5` or ` W:?`, which auto-reports lack.
    private static func isHeaterWaitReport(_ line: [UInt8]) -> Bool {
        guard line.count >= 3 else { return false }
        return (0...(line.count - 3)).contains { index in
            line[index] == UInt8(ascii: " ") && line[index + 1] == UInt8(ascii: "W") && line[index + 2] == UInt8(ascii: ":")
        }
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
        if rewind != nil { return "a resend is under way" }
        if held != nil { return "a line waits for room in the printer's receive buffer" }
        return "the printer's receive buffer is full"
    }
}
