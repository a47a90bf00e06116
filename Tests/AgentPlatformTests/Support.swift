import AgentPlatform
import CLibc
import Testing
import TestSupport

/// A pipe(2) owned by a test: the read end is non-blocking; both ends close when dropped.
final class Pipe {
    let readEnd: Int32
    let writeEnd: Int32
    private var readEndOpen = true

    init() throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw TestFailure("pipe: \(SystemError.describe(agent_errno()))") }
        readEnd = ends[0]
        writeEnd = ends[1]
        guard agent_set_nonblocking(readEnd) == 0 else { throw TestFailure("cannot make the pipe non-blocking") }
    }

    deinit {
        if readEndOpen { close(readEnd) }
        close(writeEnd)
    }

    /// Writes `text`; returns write(2)'s result (errno tells why when it is -1).
    @discardableResult
    func write(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { CLibc.write(writeEnd, $0.baseAddress, $0.count) }
    }

    /// Reads everything waiting in the pipe.
    @discardableResult
    func drain() -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Closes the read end, so that writes fail with EPIPE (or raise SIGPIPE).
    func closeReadEnd() {
        if readEndOpen { close(readEnd) }
        readEndOpen = false
    }
}

/// A poll source whose descriptor the test sets, recording every call of `handle(events:)`
/// with the descriptor it named at that moment.
final class RecordingSource: PollSource {
    var pollDescriptor: Int32
    var pollEvents: Int16 = Int16(POLLIN)
    /// What the source does when handled, after recording the call.
    var onEvents: (Int16) -> Void = { _ in }
    private(set) var handled: [(descriptor: Int32, events: Int16)] = []

    init(_ descriptor: Int32) { pollDescriptor = descriptor }

    func handle(events: Int16) {
        handled.append((pollDescriptor, events))
        onEvents(events)
    }
}

extension Reactor {
    /// Stops the reactor `delayMs` from now.
    func stop(after delayMs: Int64) {
        after(delayMs) { [unowned self] in stop() }
    }

    /// Runs the reactor on this thread until the test stops it; a safety timer stops it after
    /// `limitMs` (so a bug cannot hang the suite) and that is recorded as a failure.
    func runWithSafetyStop(limitMs: Int64 = 10_000, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var timedOut = false
        let safety = after(limitMs) { [unowned self] in
            timedOut = true
            stop()
        }
        try run()
        cancel(safety)
        if timedOut { Issue.record("nothing stopped the reactor within \(limitMs) ms", sourceLocation: sourceLocation) }
    }

    /// Runs the reactor on this thread until `condition` holds (checked every 10 ms); throws
    /// naming `what` when it does not within `limitMs`.
    func run(until what: String, limitMs: Int64 = 10_000, _ condition: @escaping () -> Bool) throws {
        if condition() { return }
        var met = false
        var check: TimerID? = nil
        func poll() {
            if condition() {
                met = true
                stop()
            } else {
                check = after(10, poll)
            }
        }
        check = after(10, poll)
        let safety = after(limitMs) { [unowned self] in stop() }
        try run()
        cancel(safety)
        if let check { cancel(check) }
        if !met { throw TestFailure("timed out after \(limitMs) ms waiting for \(what)") }
    }
}

/// A name no other test (or test run) uses.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}
