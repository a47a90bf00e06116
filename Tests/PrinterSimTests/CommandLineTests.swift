import Foundation
import Testing
import TestSupport

/// `printer-sim`'s command line: what it refuses and how it stops.
@Suite struct SimulatorCommandLineTests {
    /// Runs `printer-sim` with `arguments` to its end.
    private func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let child = try ChildProcess(try Executables.simulator(), arguments, stdout: out, stderr: err)
        let status = try child.waitForExit(timeout: 10)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test func badArgumentsExitWithStatus2AndSayWhy() throws {
        let cases: [([String], String)] = [
            ([], "missing mode"),
            (["octoprint"], "unknown mode \"octoprint\""),
            (["marlin"], "marlin needs --link PATH"),
            (["marlin", "--link", "/tmp/x", "--speed", "fast"], "--speed: expected instant or a number of moves per second above 0"),
            (["marlin", "--link", "/tmp/x", "--heat-rate", "0"], "--heat-rate: expected instant or a number"),
            (["marlin", "--link", "/tmp/x", "--autoreport", "maybe"], "--autoreport: expected no or yes"),
            (["marlin", "--link", "/tmp/x", "--reorder"], "unknown option --reorder"),
            (["marlin", "--link", "/tmp/x", "--fault", "explode@1"], "unknown marlin fault \"explode\""),
            (["marlin", "--link", "/tmp/x", "--fault", "busy@1"], "--fault busy needs seconds"),
            (["marlin", "--link", "/tmp/x", "--fault", "halt@0"], "the move number must be a whole number from 1"),
            (["marlin", "--link", "/tmp/x", "--transcript"], "--transcript needs a value"),
            (["klipper", "--socket", "/tmp/x.sock"], "klipper needs --sdcard DIR"),
            (["klipper", "--socket", "/tmp/x.sock", "--sdcard", "/nonexistent"], "--sdcard /nonexistent: not a directory"),
            (["klipper", "--socket", "/tmp/x.sock", "--sdcard", "/tmp", "--fault", "close@2:now"], "--fault close takes no argument"),
            (["klipper", "--socket", "/tmp/x.sock", "--sdcard", "/tmp", "--update-interval", "-5"], "--update-interval"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.err.hasPrefix("printer-sim: "), "\(arguments): \(result.err)")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(result.err.contains("usage: printer-sim marlin"), "\(arguments)")
            #expect(result.out.isEmpty, "\(arguments): no ready line")
        }
    }

    @Test func helpPrintsTheUsage() throws {
        let result = try run(["--help"])
        #expect(result.status == 0)
        #expect(result.out.contains("printer-sim klipper --socket PATH --sdcard DIR"))
    }

    @Test func klipperExitsZeroOnSigtermAndRemovesItsSocket() throws {
        let directory = try TemporaryDirectory()
        let simulator = try PrinterSimulator.klipper(directory: directory, sdcard: directory.path)
        #expect(FileManager.default.fileExists(atPath: simulator.path))
        #expect(simulator.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: simulator.path))
    }

    @Test func aStaleSocketIsReplacedButAnOrdinaryFileIsNot() throws {
        let directory = try TemporaryDirectory()
        let first = try PrinterSimulator.klipper(directory: directory, sdcard: directory.path)
        first.send(SIGKILL)
        try waitUntil("the first simulator to die", timeout: 5) { !first.isRunning }
        let second = try PrinterSimulator.klipper(directory: directory, sdcard: directory.path)
        _ = try KlipperConnection(second.path).result("info")
        let file = try directory.write("plain", "not a socket")
        let result = try run(["klipper", "--socket", file, "--sdcard", directory.path])
        #expect(result.status == 1)
        #expect(result.err.contains("exists and is not a socket"))
    }
}
