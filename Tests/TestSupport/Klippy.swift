import AgentJSON
import Foundation

/// The real Klipper host (Klippy, unmodified) for a test: Klipper's Linux-process MCU
/// firmware with `Tests/Fixtures/klippy/board-shim.c` preloaded (the board), and `klippy.py`
/// on `Tests/Fixtures/klippy/printer.cfg` with its API server on a Unix socket and its
/// virtual SD card on `sdcard`. `scripts/klippy-rig` builds what it runs (once per test
/// process); a rig that cannot be built fails the test with the script's reason. Both
/// processes end when the test drops this.
public final class Klippy {
    /// The API socket (`klippy.py -a`).
    public let socketPath: String
    private let directory: String
    private let rig: String
    private let mcu: ChildProcess
    private var host: ChildProcess?

    /// Whether the rig can be built here: Klipper's source is named (`KLIPPER_SOURCE`) or
    /// already in the rig's cache folder. It is on neither Debian nor PyPI, so a machine
    /// that reaches only those (a CI machine) has neither.
    public static var sourceAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let source = environment["KLIPPER_SOURCE"], !source.isEmpty { return true }
        let cache = environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        let rig = environment["KLIPPY_RIG_DIR"] ?? (cache + "/printer-agent/klippy-rig")
        return FileManager.default.fileExists(atPath: rig + "/klipper/Makefile")
    }

    /// The folder `scripts/klippy-rig` built, or why it could not.
    private static let builtRig: Result<String, TestFailure> = {
        let script = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/klippy-rig").path
        do {
            let files = try TemporaryDirectory()
            let out = files.path + "/out", err = files.path + "/err"
            let status = try ChildProcess(script, [], stdout: out, stderr: err).waitForExit(timeout: 600)
            let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            guard status == 0, let folder = output.split(separator: "\n").last else {
                let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
                return .failure(TestFailure("scripts/klippy-rig exited with \(status): \(errors)"))
            }
            return .success(String(folder))
        } catch {
            return .failure(TestFailure("scripts/klippy-rig: \(error)"))
        }
    }()

    /// Starts the MCU and Klippy in `directory`, printing from `sdcard`, and waits until
    /// Klippy is ready.
    public init(directory: TemporaryDirectory, sdcard: String) throws {
        rig = try Self.builtRig.get()
        self.directory = directory.path
        socketPath = directory.path + "/klippy.sock"
        let tty = directory.path + "/mcu"
        let template = try String(contentsOf: Fixture.folder.appendingPathComponent("klippy/printer.cfg"), encoding: .utf8)
        try template.replacingOccurrences(of: "@SDCARD@", with: sdcard).replacingOccurrences(of: "@MCU@", with: tty)
            .write(toFile: directory.path + "/printer.cfg", atomically: true, encoding: .utf8)
        // Real-time scheduling (-r, root only), as Klipper advises for this MCU: under the
        // load of the other tests, a normally scheduled MCU shut down with "Stepper too far in past".
        mcu = try ChildProcess(rig + "/klipper/out/klipper.elf", (geteuid() == 0 ? ["-r"] : []) + ["-I", tty],
                               environment: ["LD_PRELOAD": rig + "/board-shim.so"],
                               stdout: directory.path + "/mcu.log", stderr: directory.path + "/mcu.log")
        try waitUntil("the MCU's pseudo-terminal", timeout: 10) {
            FileManager.default.fileExists(atPath: tty) || !mcu.isRunning
        }
        guard mcu.isRunning else { throw TestFailure("the MCU exited: \(Self.text(directory.path + "/mcu.log"))") }
        try startHost()
    }

    /// Starts `klippy.py` (again, after `killHost()`) and waits until it is ready.
    public func startHost() throws {
        // Ahead of the other tests' processes (nice -10, root only; nice goes on without it),
        // so that its moves reach the MCU in time.
        host = try ChildProcess("/usr/bin/nice",
                                ["-n", "-10", rig + "/venv/bin/python", rig + "/klipper/klippy/klippy.py",
                                 directory + "/printer.cfg", "-a", socketPath, "-l", directory + "/klippy.log"],
                                stdout: directory + "/klippy.out", stderr: directory + "/klippy.out")
        try waitUntilReady()
    }

    /// Kills `klippy.py` at once (SIGKILL), as a crash would; the MCU goes on.
    public func killHost() throws {
        host?.send(SIGKILL)
        try host?.waitForExit(timeout: 10)
        host = nil
    }

    /// Waits until Klippy's `info` says `ready` (Klippy restarts its host, and so closes its
    /// API connections, on FIRMWARE_RESTART).
    public func waitUntilReady(timeout: TimeInterval = 60) throws {
        do {
            try waitUntil("Klippy ready", timeout: timeout) {
                guard host?.isRunning == true, let connection = try? KlipperConnection(socketPath) else { return false }
                return (try? connection.result("info", timeout: 2))?["state"] == .string("ready")
            }
        } catch {
            throw TestFailure("\(error); Klippy's log ends:\n\(logEnd)")
        }
    }

    /// Klippy's log so far.
    public var log: String { Self.text(directory + "/klippy.log") }

    /// The end of Klippy's log without its once-a-second `Stats` lines and its dumps of
    /// the messages to and from the MCU: what it did last.
    public var logEnd: String {
        let noise = ["Stats ", "Sent ", "Receive: "]
        let lines = log.split(separator: "\n").filter { line in !noise.contains { line.hasPrefix($0) } }
        return lines.suffix(40).joined(separator: "\n")
    }

    /// The text of the file at `path`, empty when it cannot be read.
    private static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
}
