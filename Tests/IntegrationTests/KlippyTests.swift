import Foundation
import Testing
import TestSupport

/// The agent's Klipper backend against the real Klippy (`Klippy` in TestSupport: Klippy
/// unmodified, Klipper's Linux-process MCU on a faked board), not only against the
/// simulator: prints that finish, pause and resume, stop, lose Klippy, and Klippy's shutdown.
/// One Klippy at a time: two would share the 2 cores with the MCUs' timers.
@Suite(.serialized, .enabled(if: Klippy.sourceAvailable,
                             "Klipper's MCU source is on neither Debian nor PyPI: set KLIPPER_SOURCE (docs/testing.md)"))
struct KlippyTests {
    /// A broker, an agent and the real Klippy, whose virtual SD card is the agent's storage.
    final class Rig: AgentPrintRig {
        let storage: TemporaryDirectory
        let klippy: Klippy
        let harness: Harness

        /// Klippy started and ready, the agent started and connected to it, the files
        /// `small.gcode` (finishes in seconds) and `long.gcode` (minutes) in the storage.
        init() throws {
            storage = try TemporaryDirectory()
            let root = storage.path + "/gcodes"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try Self.print(moves: 20, feed: 3000).write(toFile: root + "/small.gcode", atomically: true, encoding: .utf8)
            try Self.print(moves: 400, feed: 1200).write(toFile: root + "/long.gcode", atomically: true, encoding: .utf8)
            klippy = try Klippy(directory: storage, sdcard: root)
            let config = try storage.write("agent.conf", "controller = klipper\nklipper_socket = \(klippy.socketPath)\n"
                                                         + "state_dir = \(storage.path)/state\n")
            harness = try Harness(agentArguments: ["-c", config, "--storage", root])
            try waitForController(timeout: 30)
        }

        /// A print that heats the bed to 40 °C and the nozzle to 60 °C, then extrudes along
        /// `moves` moves of 10 to 30 mm at `feed` mm/min, on two layers.
        static func print(moves: Int, feed: Int) -> String {
            var lines = ["SET_KINEMATIC_POSITION X=0 Y=0 Z=0", "M140 S40", "M104 S60", "M190 S40", "M109 S60", "M106 S128",
                         "SET_PRINT_STATS_INFO TOTAL_LAYER=2", "G1 Z0.3 F600"]
            for move in 0..<moves {
                if move % (moves / 2) == 0 { lines.append("SET_PRINT_STATS_INFO CURRENT_LAYER=\(move / (moves / 2) + 1)") }
                lines.append("G1 X\(10 + move % 2 * 20) Y\(10 + move % 3 * 10) E\(Double(move + 1) * 0.2) F\(feed)")
            }
            return (lines + ["M104 S0", "M140 S0", "M107"]).joined(separator: "\n") + "\n"
        }

        /// Waits for a print report in `state`, like `waitForPrint`, failing with the end of
        /// Klippy's log and the agent's (what each saw of the print).
        @discardableResult
        func expectPrint(_ state: String, timeout: TimeInterval = 30) throws -> [String: Any] {
            do {
                return try waitForPrint(state, timeout: timeout)
            } catch {
                throw TestFailure("\(error)\nKlippy's log ends:\n\(klippy.logEnd)\n"
                                  + "the agent's log ends:\n\(harness.agent.log.suffix(2000))")
            }
        }

        /// Asks the agent for `print/start` of `file` until the backend takes it (it answers
        /// 503, and changes nothing, until its subscription to a restarted Klippy is back).
        func startWhenConnected(_ file: String, taskid: String) throws -> [String: Any] {
            var answer: [String: Any] = [:]
            try waitUntil("a start the backend takes", timeout: 30) {
                answer = (try? start(file, taskid: taskid).json) ?? [:]
                return answer["code"] as? Int != 503
            }
            return answer
        }
    }

    @Test func aSmallPrintFinishes() throws {
        let rig = try Rig()
        #expect(try rig.start("small.gcode").json?["state"] as? String == "preheating")
        let finished = try rig.expectPrint("finished", timeout: 120)
        #expect(rig.printStates == ["preheating", "printing", "finished"])
        #expect(PrintRig.data(finished)["progress"] as? Int == 100)
        #expect(rig.klippy.log.contains("Finished SD card print"))
        let temperatures = try rig.harness.ask("tempature", "query").json?["data"] as? [String: Any]
        #expect((temperatures?["curr_hotbed_temp"] as? Double ?? 0) > 30, "the bed was heated by the real Klippy")
    }

    @Test func pauseResumeAndStop() throws {
        let rig = try Rig()
        try rig.start("long.gcode")
        try rig.expectPrint("printing", timeout: 60)
        try rig.pauseResumeThenStop(with: "stop")
        #expect(!rig.printStates.contains("failed"))
        // Klippy's own log: its virtual_sdcard stopped reading for the pause and the cancel.
        #expect(rig.klippy.log.components(separatedBy: "Exiting SD card print").count == 3)
    }

    /// Klippy killed mid-print and started again: it comes back with no print, and the task
    /// fails saying so; the next print runs.
    @Test func klippyKilledMidPrint() throws {
        let rig = try Rig()
        try rig.start("long.gcode")
        try rig.expectPrint("printing", timeout: 60)
        try rig.klippy.killHost()
        try rig.klippy.startHost()
        let failed = try rig.expectPrint("failed", timeout: 60)
        #expect(failed["msg"] as? String == "the controller dropped the print (it restarted)")
        #expect(try rig.startWhenConnected("small.gcode", taskid: "task-2")["state"] as? String == "preheating")
        try rig.expectPrint("finished", timeout: 120)
    }

    /// `M112` mid-print: Klippy shuts down and leaves `print_stats` at `paused`. The task
    /// fails at once with Klippy's message, never reported paused; the printer is free; a
    /// start answers 503 with the message and what clears it; after FIRMWARE_RESTART the
    /// next print runs.
    @Test func emergencyStopMidPrintThenFirmwareRestart() throws {
        let rig = try Rig()
        try rig.start("long.gcode")
        try rig.expectPrint("printing", timeout: 60)
        let console = try KlipperConnection(rig.klippy.socketPath)
        try console.script("M112")
        let failed = try rig.expectPrint("failed", timeout: 10)
        let message = try #require(failed["msg"] as? String)
        #expect(message.hasPrefix("Klipper shut down: Shutdown due to M112 command. Once the underlying issue is corrected"))
        #expect(message.contains(#""FIRMWARE_RESTART""#))
        #expect(!rig.printStates.contains("paused"))
        #expect(try console.status("print_stats")["state"] == .string("paused"), "as Klippy leaves it")
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }
        #expect(try rig.harness.ask("print", "stop").json?["code"] as? Int == 409, "no task is left to stop")
        let refused = try rig.start("small.gcode", taskid: "task-2").json
        #expect(refused?["code"] as? Int == 503)
        #expect(refused?["msg"] as? String == message)

        try console.script("FIRMWARE_RESTART")
        try rig.klippy.waitUntilReady()
        #expect(try rig.startWhenConnected("small.gcode", taskid: "task-3")["state"] as? String == "preheating")
        try rig.expectPrint("finished", timeout: 120)
    }
}
