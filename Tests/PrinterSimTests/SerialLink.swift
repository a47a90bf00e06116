import Foundation
import TestSupport

/// The host's end of the simulated serial line, opened as the agent opens a real port
/// (O_RDWR | O_NOCTTY, raw mode, DTR untouched), with lines read against deadlines.
final class SerialLink {
    private let fd: Int32
    private var pending: [UInt8] = []

    /// Opens the link at `path`.
    init(_ path: String) throws {
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw TestFailure("open \(path): errno \(errno)") }
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
    }

    deinit { close(fd) }

    /// The line `N<number> <command>*<checksum>` as a host numbers it.
    static func numbered(_ number: Int, _ command: String) -> String {
        let body = "N\(number) \(command)"
        return "\(body)*\(body.utf8.reduce(0, ^))"
    }

    /// Sends `line` and a newline.
    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Sends `command` numbered `number` with its checksum.
    func send(_ number: Int, _ command: String) {
        send(Self.numbered(number, command))
    }

    /// The next line received, waiting up to `timeout` seconds.
    func readLine(timeout: TimeInterval = 5) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 1)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw TestFailure("no line within \(timeout) s; partial: \(String(decoding: pending, as: UTF8.self))")
            }
            fill(waitingUpTo: remaining)
        }
    }

    /// The next `count` bytes received, whatever they are, waiting up to `timeout` seconds.
    func readBytes(count: Int, timeout: TimeInterval = 5) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while pending.count < count {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw TestFailure("\(pending.count) of \(count) bytes within \(timeout) s") }
            fill(waitingUpTo: remaining)
        }
        defer { pending.removeFirst(count) }
        return Array(pending.prefix(count))
    }

    /// Lines received up to and including the first one that satisfies `last`.
    func readLines(timeout: TimeInterval = 5, until last: (String) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var lines: [String] = []
        while true {
            do {
                lines.append(try readLine(timeout: max(0, deadline.timeIntervalSinceNow)))
            } catch {
                throw TestFailure("\(error); lines so far: \(lines)")
            }
            if let line = lines.last, last(line) { return lines }
        }
    }

    /// Lines received up to and including the first `ok` (or `ok ...`).
    func readUntilOk(timeout: TimeInterval = 5) throws -> [String] {
        try readLines(timeout: timeout) { $0 == "ok" || $0.hasPrefix("ok ") }
    }

    /// Sends a dwell (`G4 P<ms>`, numbered `line` when given) and returns the lines up to
    /// its ok. The dwell runs on the simulator's clock (the board must not be started with
    /// `--speed instant`), so whatever the board was due to print meanwhile (an auto-report)
    /// comes before the ok: a test sees that nothing came, with no sleep of its own.
    func dwell(seconds: Double, line: Int? = nil) throws -> [String] {
        let command = "G4 P\(Int(seconds * 1000))"
        if let line { send(line, command) } else { send(command) }
        return try readUntilOk(timeout: seconds + 5)
    }

    /// For a board that answers nothing (halted, silenced): sends `command`, then a marker
    /// line, waits for `simulator`'s transcript to record the marker, and returns the lines
    /// that have arrived by then. The board takes lines in order and answers a line as it
    /// handles it, so any answer to `command` would have been written before the marker
    /// was even read.
    func linesAfterIgnored(_ command: String, simulator: PrinterSimulator) throws -> [String] {
        let marker = "M117 marker \(UUID().uuidString)"
        send(command)
        send(marker)
        try simulator.waitForTranscript("> " + marker)
        while fill(waitingUpTo: 0) {}
        var lines: [String] = []
        while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<end], as: UTF8.self))
            pending.removeFirst(end + 1)
        }
        return lines
    }

    /// Waits up to `seconds` (none when 0) for bytes and appends what arrives; returns
    /// whether any bytes came.
    @discardableResult
    private func fill(waitingUpTo seconds: TimeInterval) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = seconds <= 0 ? 0 : Int32(max(1, min(seconds, 1) * 1000))
        guard poll(&descriptor, 1, milliseconds) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        pending += chunk[0..<count]
        return true
    }
}
