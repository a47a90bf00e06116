import Foundation

extension Executables {
    /// The host build of `printer-sim`, next to the test bundle in the build folder.
    public static func simulator() throws -> String { try built("printer-sim") }
}

/// A `printer-sim` started by a test: a simulated Marlin board on a serial link or a
/// simulated Klipper API socket, with its transcript in a file. It is stopped when the
/// test drops it.
public final class PrinterSimulator {
    /// The serial link (marlin) or the socket (klipper) the simulator printed in its `ready` line.
    public let path: String
    /// The `--transcript` file.
    public let transcriptPath: String
    private let child: ChildProcess
    private let stderrPath: String

    /// Starts `printer-sim` with `arguments` plus `--transcript` in `directory`, and waits
    /// up to 10 s for its `ready <path>` line. The transcript and output files are named
    /// after the mode and start empty (a simulator started again in the same directory
    /// replaces them).
    public init(_ arguments: [String], directory: String) throws {
        let name = arguments.first ?? "sim"
        let transcriptPath = directory + "/\(name)-transcript.txt"
        let stdoutPath = directory + "/\(name)-stdout.txt"
        let stderrPath = directory + "/\(name)-stderr.txt"
        for file in [transcriptPath, stdoutPath, stderrPath] { unlink(file) }
        let process = try ChildProcess(try Executables.simulator(), arguments + ["--transcript", transcriptPath],
                                       stdout: stdoutPath, stderr: stderrPath)
        func errors() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        var ready: String?
        do {
            try waitUntil("printer-sim's ready line", timeout: 10) {
                let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
                if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }) {
                    ready = String(line.dropFirst("ready ".count))
                    return true
                }
                return !process.isRunning
            }
        } catch {
            throw TestFailure("\(error); stderr: \(errors())")
        }
        guard let ready else { throw TestFailure("printer-sim exited at start: \(errors())") }
        path = ready
        self.transcriptPath = transcriptPath
        self.stderrPath = stderrPath
        child = process
    }

    /// A Marlin board whose serial link is `tty` in `directory`.
    public static func marlin(directory: TemporaryDirectory, arguments: [String] = []) throws -> PrinterSimulator {
        try PrinterSimulator(["marlin", "--link", directory.path + "/tty"] + arguments, directory: directory.path)
    }

    /// Klipper's API server on `klippy.sock` in `directory`, printing from `sdcard`.
    public static func klipper(directory: TemporaryDirectory, sdcard: String,
                               arguments: [String] = []) throws -> PrinterSimulator {
        try PrinterSimulator(["klipper", "--socket", directory.path + "/klippy.sock", "--sdcard", sdcard] + arguments,
                             directory: directory.path)
    }

    deinit { stop() }

    /// The transcript so far: `> ` lines received, `< ` lines sent.
    public var transcript: String { (try? String(contentsOfFile: transcriptPath, encoding: .utf8)) ?? "" }

    /// The numbered commands the board received, without line numbers and checksums, each
    /// once (a resent line counts once), in order.
    public var commandsReceived: [String] {
        var seen = Set<Int>()
        var commands: [String] = []
        for line in transcript.split(separator: "\n") where line.hasPrefix("> N") {
            let body = line.dropFirst(3)
            guard let space = body.firstIndex(of: " "), let number = Int(body[..<space]),
                  let star = body.lastIndex(of: "*") else { continue }
            if seen.insert(number).inserted { commands.append(String(body[body.index(after: space)..<star])) }
        }
        return commands
    }

    /// What the simulator wrote to standard error.
    public var errors: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Whether the simulator still runs.
    public var isRunning: Bool { child.isRunning }

    /// Sends `signal` to the simulator.
    public func send(_ signal: Int32) { child.send(signal) }

    /// Stops the simulator (SIGTERM, SIGKILL after 10 s) and returns its exit status (nil
    /// when it had to be killed).
    @discardableResult
    public func stop() -> Int32? {
        guard child.isRunning else { return try? child.waitForExit(timeout: 0) }
        child.send(SIGTERM)
        if let status = try? child.waitForExit(timeout: 10) { return status }
        child.send(SIGKILL)
        _ = try? child.waitForExit(timeout: 10)
        return nil
    }

    /// Waits until the transcript contains `text`.
    public func waitForTranscript(_ text: String, timeout: TimeInterval = 10) throws {
        do {
            try waitUntil("\"\(text)\" in the simulator's transcript", timeout: timeout) { transcript.contains(text) }
        } catch {
            throw TestFailure("\(error); the transcript:\n\(transcript)")
        }
    }
}
