import AgentCore

/// A Marlin board on a serial line, modelled step by step for the sender's tests: bytes cross
/// the wire a few per millisecond, land in a 128-byte receive buffer (bytes that find it full
/// are lost), are read line by line into the 4-command queue (line number and checksum
/// checked; a refused line is answered `Resend:` and `ok`, and the receive buffer is flushed
/// or not), and each command runs for a while and is answered `ok`. Faults: chosen lines
/// corrupted on their first crossing, random corruption, lost oks.
struct MarlinBoardModel {
    /// How the board and its line misbehave.
    struct Faults {
        /// Whether a refused line flushes the receive buffer (Marlin's own serial driver).
        var flushOnError = true
        /// Every this many new lines, one is corrupted on its first crossing (0: never).
        var corruptEvery = 0
        /// Every this many oks of executed commands, one is lost (0: never).
        var loseOkEvery = 0
        /// One byte in this many crossing to the board is changed (0: never).
        var corruptOneIn = 0
        /// Seed of the random corruption.
        var seed: UInt64 = 1
    }

    /// Bytes of the receive buffer (Marlin's RX_BUFFER_SIZE).
    static let receiveBufferSize = 128
    /// Commands the queue holds, the running one included (Marlin's BUFSIZE).
    static let queueLength = 4

    var faults: Faults
    /// Bytes crossing per millisecond (115200 baud: about 11).
    var bytesPerMs = 11
    /// Milliseconds one command runs.
    var commandMs = 2
    /// Bytes on the wire to the board, not arrived yet.
    private var wire: [UInt8] = []
    private var wireStart = 0
    private var receiveBuffer: [UInt8] = []
    private var queue: [String] = []
    private var running: (command: String, until: Int64)?
    private var lastLine = -1
    /// The commands executed, in order.
    private(set) var executed: [String] = []
    /// Whether a byte ever found the receive buffer full.
    private(set) var overflowed = false
    /// The lines the board said, for the host to read.
    private var said: [String] = []
    private var newLinesSeen = Set<Int>()
    private var newLines = 0
    private var oks = 0
    private var random: UInt64

    init(faults: Faults) {
        self.faults = faults
        random = faults.seed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// The host writes `bytes`.
    mutating func write(_ bytes: [UInt8]) {
        if wireStart > 4096 {
            wire.removeFirst(wireStart)
            wireStart = 0
        }
        for byte in bytes { wire.append(corrupted(byte)) }
    }

    /// One millisecond passes at `now`; returns what the board said meanwhile.
    mutating func step(now: Int64) -> [String] {
        let arriving = min(bytesPerMs, wire.count - wireStart)
        for byte in wire[wireStart..<(wireStart + arriving)] {
            if receiveBuffer.count >= Self.receiveBufferSize { overflowed = true } else { receiveBuffer.append(byte) }
        }
        wireStart += arriving
        readLines()
        if let current = running, now >= current.until {
            running = nil
            executed.append(current.command)
            oks += 1
            if faults.loseOkEvery == 0 || oks % faults.loseOkEvery != 0 { said.append("ok") }
        }
        if running == nil, !queue.isEmpty {
            running = (queue.removeFirst(), now + Int64(commandMs))
        }
        defer { said.removeAll() }
        return said
    }

    /// Reads whole lines from the receive buffer into the queue while it has room.
    private mutating func readLines() {
        while queue.count + (running == nil ? 0 : 1) < Self.queueLength,
              let end = receiveBuffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(receiveBuffer[..<end])
            receiveBuffer.removeFirst(end + 1)
            take(line)
        }
    }

    /// Checks one line as Marlin does: the next number (any number for M110) and the checksum.
    private mutating func take(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("N"), let star = line.lastIndex(of: UInt8(ascii: "*")),
              let space = line.firstIndex(of: UInt8(ascii: " ")), space < star,
              let number = Int(String(decoding: line[1..<space], as: UTF8.self)),
              let checksum = Int(String(decoding: line[(star + 1)...], as: UTF8.self)),
              checksum == Int(line[..<star].reduce(0, ^))
        else { return refuse() }
        let command = String(decoding: line[(space + 1)..<star], as: UTF8.self)
        guard command.hasPrefix("M110") || number == lastLine + 1 else { return refuse() }
        if !newLinesSeen.contains(number) && !command.hasPrefix("M110") {
            newLinesSeen.insert(number)
            newLines += 1
            if faults.corruptEvery > 0 && newLines % faults.corruptEvery == 0 { return refuse() }
        }
        lastLine = number
        queue.append(command)
    }

    /// Refuses the line read: the request and its ok, and the flush when the board does it.
    private mutating func refuse() {
        said += ["Error:checksum mismatch, Last Line: \(lastLine)", "Resend: \(lastLine + 1)", "ok"]
        if faults.flushOnError { receiveBuffer.removeAll() }
    }

    /// `byte`, changed when the random corruption picks it.
    private mutating func corrupted(_ byte: UInt8) -> UInt8 {
        guard faults.corruptOneIn > 0 else { return byte }
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return random % UInt64(faults.corruptOneIn) == 0 ? byte ^ UInt8(truncatingIfNeeded: random >> 32 | 1) : byte
    }
}

/// A print of `count` moves through a sender into a `MarlinBoardModel`, at 1 ms steps.
struct ModelledPrint {
    var sender: MarlinSender
    var board: MarlinBoardModel
    /// Bytes the sender wrote.
    private(set) var bytesWritten = 0
    /// Resend requests the board made.
    private(set) var requests = 0
    /// When the print finished or gave up, in ms.
    private(set) var now: Int64 = 0
    /// Why the sender failed, if it did.
    private(set) var failure: String?

    init(buffer: Int, faults: MarlinBoardModel.Faults) {
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = buffer
        sender = MarlinSender(limits: limits)
        board = MarlinBoardModel(faults: faults)
    }

    /// Streams `G1 X<i>` for i in 1...count until all are acknowledged or `limitMs` passes.
    mutating func run(count: Int, limitMs: Int64 = 10_000_000) {
        perform(sender.received(Array("Cap:HOST_KEEPALIVE:1".utf8), now: 0))
        perform(sender.restartNumbering(now: 0))
        var next = 1
        while now < limitMs && failure == nil {
            now += 1
            for line in board.step(now: now) {
                if line.hasPrefix("Resend") { requests += 1 }
                perform(sender.received(Array(line.utf8), now: now))
            }
            while sender.canSend && next <= count {
                perform(sender.send(Array("G1 X\(next)".utf8), now: now))
                next += 1
            }
            if now % 250 == 0 { perform(sender.tick(now: now)) }
            if next > count && sender.isIdle { return }
        }
    }

    /// The file's moves the board executed, in order (the sender's own M105 probes left out).
    var moves: [String] { board.executed.filter { $0.hasPrefix("G1") } }

    private mutating func perform(_ actions: [MarlinSender.Action]) {
        for action in actions {
            switch action {
            case .write(let bytes):
                bytesWritten += bytes.count
                board.write(bytes)
            case .failed(let reason):
                failure = reason
            default:
                break
            }
        }
    }
}
