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

    /// Every line received during the next `seconds` (to check that nothing comes).
    func linesDuring(_ seconds: TimeInterval) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var lines: [String] = []
        while deadline.timeIntervalSinceNow > 0 {
            if let line = try? readLine(timeout: deadline.timeIntervalSinceNow) { lines.append(line) }
        }
        return lines
    }

    /// Waits up to `seconds` for bytes and appends what arrives.
    private func fill(waitingUpTo seconds: TimeInterval) {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(1, min(seconds, 1) * 1000))) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 { pending += chunk[0..<count] }
    }
}
