import AgentCore

/// A print file held in memory, read line by line as `PrintFileReader` reads one from disk.
final class LinesFile: PrintFileLines {
    /// The read error a test asks for.
    struct Failure: Error { let text: String }

    let size: Int64
    private(set) var position: Int64 = 0
    private let lines: [[UInt8]]
    private var index = 0
    private let failingAt: Int?

    /// The file of `lines` (each ended by a newline); reading line `failingAt` fails.
    init(_ lines: [String], failingAt: Int? = nil) {
        self.lines = lines.map { Array($0.utf8) }
        size = Int64(self.lines.reduce(0) { $0 + $1.count + 1 })
        self.failingAt = failingAt
    }

    func nextLine() throws(Failure) -> ArraySlice<UInt8>? {
        if index == failingAt { throw Failure(text: "read: Input/output error") }
        guard index < lines.count else { return nil }
        defer { index += 1 }
        position += Int64(lines[index].count + 1)
        return lines[index][...]
    }

    static func message(of error: Failure) -> String { error.text }
}

/// A test's session with its clock and a record of what it asked for: the commands written
/// (without their numbers and checksums), the events told and the closes.
struct SessionHarness {
    var session: MarlinSession<LinesFile>
    var now: Int64 = 0
    /// The commands written, in order.
    var written: [String] = []
    /// The events told, in order.
    var events: [ControllerEvent] = []
    /// The reasons of the closes asked for.
    var closes: [String] = []
    /// The outcomes of the runs of G-code, by id, in order.
    var ran: [(id: Int, outcome: Result<[String], CommandFailure>)] = []

    /// The pause, resume and cancel G-code every test uses.
    static let setup = MarlinSetup(pauseGcode: ["M400", "G91"], resumeGcode: ["G90"], cancelGcode: ["M104 S0"])

    /// The same with a 127-byte receive buffer: lines are sent ahead.
    static let windowed: MarlinSetup = {
        var setup = SessionHarness.setup
        setup.senderLimits.receiveBufferBytes = 127
        return setup
    }()

    init(setup: MarlinSetup = SessionHarness.setup) { session = MarlinSession(setup: setup) }

    /// A session whose board answered the handshake, optionally with temperature auto-reports.
    static func ready(autoReport: Bool = false, setup: MarlinSetup = SessionHarness.setup) -> SessionHarness {
        var harness = SessionHarness(setup: setup)
        harness.take(harness.session.opened(now: 0))
        harness.receive("ok")
        if autoReport { harness.receive("Cap:AUTOREPORT_TEMP:1") }
        harness.receive("ok")
        if autoReport { harness.receive("ok") }
        harness.clear()
        return harness
    }

    /// Forgets what was recorded so far.
    mutating func clear() {
        written.removeAll()
        events.removeAll()
        closes.removeAll()
    }

    mutating func receive(_ line: String) { take(session.received(Array(line.utf8), now: now)) }

    /// `count` oks from the board.
    mutating func ok(_ count: Int = 1) {
        for _ in 0..<count { receive("ok") }
    }

    mutating func tick(at time: Int64) {
        now = time
        take(session.tick(now: time))
    }

    mutating func start(_ lines: [String]) { take(session.start(LinesFile(lines), now: now)) }
    mutating func start(_ file: LinesFile) { take(session.start(file, now: now)) }
    mutating func pause() { take(session.pause(now: now)) }
    mutating func resume() { take(session.resume(now: now)) }
    mutating func stop() { take(session.stop(now: now)) }
    mutating func run(_ lines: [String], id: Int) { take(session.run(lines, id: id, now: now)) }

    /// Records `actions`.
    mutating func take(_ actions: [MarlinAction]) {
        for action in actions {
            switch action {
            case .write(let line): written.append(Self.command(of: line))
            case .event(let event): events.append(event)
            case .close(let reason): closes.append(reason)
            case .ran(let id, let outcome): ran.append((id, outcome))
            case .log: break
            }
        }
    }

    /// The events other than readings and progress: the job's lifecycle.
    var lifecycle: [ControllerEvent] {
        events.filter {
            switch $0 {
            case .readings, .progress: return false
            default: return true
            }
        }
    }

    /// The progress events.
    var progress: [PrintProgress] {
        events.compactMap { if case .progress(let value) = $0 { return value } else { return nil } }
    }

    /// The command of a numbered line `N<n> <command>*<checksum>\n`.
    private static func command(of line: [UInt8]) -> String {
        let start = line.firstIndex(of: UInt8(ascii: " ")).map { $0 + 1 } ?? 0
        let end = line.lastIndex(of: UInt8(ascii: "*")) ?? line.count
        return String(decoding: line[start..<max(start, end)], as: UTF8.self)
    }
}

/// `count` moves without extrusion.
func moves(_ count: Int) -> [String] { (0..<count).map { "G1 X\($0)" } }

/// The file lines (moves) among `written`.
func fileLines(_ written: [String]) -> [String] { written.filter { $0.hasPrefix("G1 X") } }
