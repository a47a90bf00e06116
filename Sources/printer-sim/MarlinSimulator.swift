import Foundation

/// A Marlin 2.1 board on a serial line. It reads lines from a pseudo-terminal, checks
/// line numbers and checksums as Marlin does, executes the commands one at a time and
/// answers `ok` when each is done (after its move time or heater wait). The `--fault`s
/// make it misbehave at chosen moves the way real boards and serial lines do.
///
/// Like Marlin's, its serial receive buffer is small (`--rx-buffer`, 128 bytes): lines
/// wait there until the command queue (BUFSIZE, 4 commands including the one running) has
/// room, bytes arriving when it is full are lost (the line then fails its checksum), and a
/// refused line flushes it, so the lines sent after it must be sent again. With
/// `--rx-flush-on-error no` it is not flushed, as with the Arduino cores' HardwareSerial:
/// each line behind a refused one is refused in turn. The `LineFaults` make the line itself
/// misbehave all along (corruption, a baud rate, lost oks, periodic resends).
final class MarlinSimulator: Simulator {
    /// Longest line kept; the rest of a longer line is dropped (Marlin's buffer is 96 bytes).
    private static let maximumLineLength = 4096
    /// Marlin's BUFSIZE: commands taken from the receive buffer, the running one included.
    private static let commandQueueLength = 4

    let address: String
    private let options: MarlinOptions
    private let loop: EventLoop
    private let transcript: Transcript
    private let terminal: PseudoTerminal
    private let channel: ByteChannel
    private let machine: Machine
    private let runner: WorkRunner
    private var partialLine: [UInt8] = []
    /// Lines received and not executed yet.
    private var queue: [[UInt8]] = []
    private var numbering = LineNumbering()
    private var pumping = false
    private var autoReportTimer: EventLoop.TimerID?
    /// After `silence` or a halt: nothing is written any more.
    private var silent = false
    /// After a halt: nothing is executed any more.
    private var halted = false
    /// G0/G1 moves received for the first time, the count faults refer to.
    private var movesReceived = 0
    /// The highest line number of a counted move: a move numbered at or below it is a resent copy.
    private var highestCountedLine = 0
    /// Whether a line was refused while the bytes being received were handled.
    private var flushed = false
    /// A move being refused as corrupt: its line number and how many copies to refuse still.
    private var refusal: (line: Int, remaining: Int)?
    /// The line from the host and the line to it.
    private var inbound: SerialLine!
    private var outbound: SerialLine!
    /// Numbered lines received for the first time (M110 aside), the count `--resend-every` uses.
    private var newLines = 0
    /// The highest line number counted in `newLines`.
    private var highestNewLine = 0
    /// Commands executed, the count `--drop-ok-every` uses.
    private var executedCount = 0
    /// The `--command-log` file.
    private let commandLog: FileHandle?

    /// Creates the pseudo-terminal and the link to it.
    init(options: MarlinOptions, loop: EventLoop, transcript: Transcript) throws {
        self.options = options
        self.loop = loop
        self.transcript = transcript
        address = options.link
        terminal = try PseudoTerminal()
        try terminal.link(at: options.link)
        channel = ByteChannel(fd: terminal.master, loop: loop, limit: 65_536, overflow: .dropOldest)
        let thermals = Thermals(rate: options.common.heatRate) { [loop] in loop.now }
        machine = Machine(firmware: .marlin, speed: options.common.speed, thermals: thermals)
        runner = WorkRunner(loop: loop, thermals: thermals)
        if let path = options.commandLog {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
            else { throw UsageError(message: "--command-log \(path): cannot create the file") }
            commandLog = handle
        } else {
            commandLog = nil
        }
        runner.reports = WorkReports(
            busyInterval: options.busyInterval,
            busy: { [unowned self] in if options.keepalive { send(MarlinReplies.busy) } },
            heating: { [unowned self] in send(" " + MarlinReplies.temperatures(machine.thermals) + " W:?") })
        inbound = SerialLine(faults: options.line, stream: 0, loop: loop) { [unowned self] in receive($0) }
        outbound = SerialLine(faults: options.line, stream: 1, loop: loop) { [unowned self] in channel.send($0) }
        channel.onBytes = { [unowned self] in inbound.send($0) }
    }

    /// Removes the link.
    func stop() {
        terminal.removeLink(at: options.link)
    }

    /// Cuts the bytes into lines (`\n` ends a line, `\r` is ignored); a byte that finds the
    /// receive buffer full is lost, and after a refused line the rest of what arrived with it
    /// (already in the receive buffer) is flushed.
    private func receive(_ bytes: [UInt8]) {
        flushed = false
        for (index, byte) in bytes.enumerated() {
            if flushed {
                partialLine = []
                // What was still on the wire arrives after the flush.
                let rest = bytes[index...]
                return receive(Array(rest.suffix(options.line.transitBytes)))
            }
            if receiveBufferUsed >= options.receiveBuffer {
                transcript.note("receive buffer overflow: a byte was lost")
                continue
            }
            switch byte {
            case UInt8(ascii: "\n"):
                let line = partialLine
                partialLine = []
                lineReceived(line)
            case UInt8(ascii: "\r"):
                continue
            default:
                if partialLine.count < Self.maximumLineLength { partialLine.append(byte) }
            }
        }
    }

    /// Bytes in the receive buffer: the lines behind the command queue (whose first slot the
    /// running command holds) and the line arriving.
    private var receiveBufferUsed: Int {
        queue.dropFirst(Self.commandQueueLength - (runner.isBusy ? 1 : 0)).reduce(partialLine.count) { $0 + $1.count + 1 }
    }

    /// Records a line, lets the emergency parser see it, and queues it.
    private func lineReceived(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        transcript.received(text)
        guard !halted else { return }
        emergencyParse(text)
        guard !halted else { return }
        queue.append(line)
        pump()
    }

    /// Marlin's emergency parser acts on M112 and M108 as they arrive, ahead of the queue.
    private func emergencyParse(_ line: String) {
        let withoutNumber = line.drop { $0 == "N" || $0 == "n" || $0.isNumber || $0 == " " }
        let command = GcodeCommand(String(withoutNumber.prefix { $0 != "*" }))
        switch command?.name {
        case "M112": halt()
        case "M108": runner.interruptHeating()
        default: break
        }
    }

    /// Executes queued lines until one takes time (its completion pumps again).
    private func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        while !runner.isBusy && !halted && !queue.isEmpty {
            process(queue.removeFirst())
        }
    }

    /// Checks one line, applies the faults due at it, and executes it.
    private func process(_ line: [UInt8]) {
        let text = GcodeCommand.withoutComment(line)
        guard !text.isEmpty else { return }
        let accepted: LineNumbering.Accepted
        switch numbering.check(text) {
        case .failure(let failure): return refuseLine(failure)
        case .success(let line): accepted = line
        }
        guard let command = GcodeCommand(accepted.command) else {
            numbering.take(accepted)
            return send("ok")
        }
        if let number = accepted.lineNumber, number > highestNewLine, command.name != "M110" {
            highestNewLine = number
            newLines += 1
            if options.line.resendEvery > 0 && newLines % options.line.resendEvery == 0 { return refuseLine(.checksumMismatch) }
        }
        var faults: [MarlinFault.Kind] = []
        if command.isLinearMove {
            if let number = accepted.lineNumber, let refused = refusal, refused.line == number, refused.remaining > 0 {
                refusal = (number, refused.remaining - 1)
                return refuseLine(.checksumMismatch)
            }
            if accepted.lineNumber.map({ $0 > highestCountedLine }) ?? true {
                movesReceived += 1
                highestCountedLine = accepted.lineNumber ?? highestCountedLine
                faults = options.faults.filter { $0.move == movesReceived }.map(\.kind)
            }
        }
        for fault in faults {
            switch fault {
            case .silence: silent = true
            case .halt: return halt()
            case .reset: return reboot()
            case .corrupt: return refuse(accepted, times: 1)
            case .resendStorm(let times): return refuse(accepted, times: times)
            case .dropOk, .busy, .action: break
            }
        }
        numbering.take(accepted)
        if command.name == "M110", let number = accepted.newLastLine {
            highestCountedLine = number
            highestNewLine = number
        }
        log(command, number: accepted.lineNumber)
        execute(command, faults: faults)
    }

    /// Appends an executed command to the `--command-log`.
    private func log(_ command: GcodeCommand, number: Int?) {
        guard let commandLog else { return }
        let line = (number.map { "N\($0) " } ?? "") + command.text + "\n"
        commandLog.write(Data(line.utf8))
    }

    /// Runs a command and answers when it is done.
    private func execute(_ command: GcodeCommand, faults: [MarlinFault.Kind]) {
        var reply = "ok"
        var work = Work.none
        switch command.name {
        case "M105":
            reply = "ok " + MarlinReplies.temperatures(machine.thermals)
        case "M115":
            sendAll(MarlinReplies.firmwareInfo(autoreport: options.autoreport, keepalive: options.keepalive))
        case "M155" where options.autoreport:
            setAutoReport(seconds: command.number("S"))
        case "M113" where command.number("S") == nil:
            send("echo:M113 S" + MarlinReplies.seconds(options.keepalive ? options.busyInterval : 0))
        case "M108", "M110", "M113", "G29", "M290", "M355", "M150", "M42":
            break
        case "M114":
            send(machine.marlinPosition)
        case "M503":
            sendAll(MarlinReplies.settings)
        default:
            if let known = machine.apply(command) {
                work = known
            } else {
                send(MarlinReplies.unknown(command))
            }
        }
        for case .busy(let seconds) in faults { work = .seconds(seconds) }
        runner.run(work) { [unowned self] in
            executedCount += 1
            let lineDropsOk = options.line.dropOkEvery > 0 && executedCount % options.line.dropOkEvery == 0
            if !faults.contains(.dropOk) && !lineDropsOk { send(reply) }
            for case .action(let word) in faults { send("//action:\(word)") }
            pump()
        }
    }

    /// M155: reports temperatures every `seconds` (0 or nil with none set before: off).
    private func setAutoReport(seconds: Double?) {
        guard let seconds else { return }
        loop.cancel(autoReportTimer)
        autoReportTimer = nil
        let interval = min(seconds.rounded(.down), 60)
        if interval >= 1 {
            autoReportTimer = loop.every(interval) { [unowned self] in
                send(" " + MarlinReplies.temperatures(machine.thermals))
            }
        }
    }

    /// Answers a move as a checksum mismatch, `times` times in all counting this one.
    private func refuse(_ line: LineNumbering.Accepted, times: Int) {
        refusal = line.lineNumber.map { ($0, times - 1) }
        refuseLine(.checksumMismatch)
    }

    /// Refuses the line being taken, as Marlin's flush_and_request_resend does: the receive
    /// buffer (the whole lines received after it) is flushed, then the error, `Resend:` and `ok`.
    private func refuseLine(_ failure: LineNumbering.Failure) {
        if options.line.flushOnError {
            queue.removeAll()
            flushed = true
        }
        sendAll(numbering.refusal(failure))
    }

    /// Behaves like a board that rebooted: the boot banner, line numbers from 0, heaters
    /// and auto-report off, and everything queued lost.
    private func reboot() {
        runner.cancel()
        queue.removeAll()
        setAutoReport(seconds: 0)
        machine.restart()
        numbering.reset()
        highestCountedLine = 0
        refusal = nil
        sendAll(MarlinReplies.boot)
    }

    /// kill(): prints the error, turns the heaters off and never answers again.
    private func halt() {
        send(MarlinReplies.halted)
        halted = true
        silent = true
        runner.cancel()
        queue.removeAll()
        setAutoReport(seconds: 0)
        machine.thermals.turnOff()
    }

    /// Writes one line to the host, unless silenced.
    private func send(_ line: String) {
        guard !silent else { return }
        transcript.sent(line)
        outbound.send(Array((line + "\n").utf8))
    }

    /// Writes lines to the host, unless silenced.
    private func sendAll(_ lines: [String]) {
        lines.forEach(send)
    }
}
