import Foundation
import Testing
import TestSupport

/// Whole prints of the PrusaSlicer cube through the Klipper backend: a real broker, the
/// agent binary, and the Klipper API simulator on a Unix socket whose virtual SD card is the
/// agent's local storage.
@Suite struct KlipperPrintTests {
    @Test func wholePrintReportsTheLifecycle() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "200"])
        try rig.waitForController()
        let answer = try rig.start()
        #expect(answer.json?["state"] as? String == "preheating")
        let finished = try rig.waitForPrint("finished", timeout: 60)
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }
        #expect(rig.printStates == ["preheating", "printing", "finished"])
        #expect(PrintRig.data(finished)["progress"] as? Int == 100)
        #expect(rig.simulator.transcript.contains(#"SDCARD_PRINT_FILE FILENAME=\"cube.gcode\""#))
        let progress = rig.printReports.compactMap { PrintRig.data($0)["progress"] as? Int }
        #expect(progress == progress.sorted(), "progress never goes back")
    }

    @Test func pauseResumeAndCancel() throws {
        let rig = try PrintRig.klipper(["--speed", "200", "--heat-rate", "instant"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        try rig.pauseResumeThenStop(with: "cancel")
        #expect(rig.simulator.transcript.contains("pause_resume/pause"))
        #expect(rig.simulator.transcript.contains("pause_resume/cancel"))
    }

    @Test func updateIsSentAsKlipperGcode() throws {
        let rig = try PrintRig.klipper(["--speed", "200", "--heat-rate", "instant"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let update = try rig.harness.ask("print", "update", data: #"{"settings":{"target_hotbed_temp":65,"fan_speed_pct":100}}"#)
        #expect(update.json?["state"] as? String == "updated")
        try rig.client.waitFor("the bed target pushed") {
            $0.topic == Wire.report("tempature") && (($0.json?["data"] as? [String: Any])?["target_hotbed_temp"] as? Double) == 65
        }
        try rig.client.waitFor("the fan pushed") {
            $0.topic == Wire.report("fan") && (($0.json?["data"] as? [String: Any])?["fan_speed_pct"] as? Int) == 100
        }
    }

    @Test func socketClosedMidPrintIsReconnectedAndThePrintFinishes() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "instant", "--fault", "close@300"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("finished", timeout: 60)
        #expect(!rig.printStates.contains("failed"))
        #expect(rig.harness.agent.log.components(separatedBy: "connected to the Klipper API").count >= 3, "it connected twice")
    }

    /// An MCU shutdown mid-print (Klipper leaves `print_stats` at `paused`): the print fails
    /// at once with Klipper's message, never reported paused; the printer is free; a start
    /// while Klipper is shut down answers 503 with the message and what clears it; a stop
    /// has nothing left to stop.
    @Test func controllerShutdownFailsThePrintWithItsMessage() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "instant", "--fault", "error@200"])
        try rig.waitForController()
        try rig.start()
        let failed = try rig.waitForPrint("failed", timeout: 60)
        let message = try #require(failed["msg"] as? String)
        #expect(message.hasPrefix("Klipper shut down: MCU 'mcu' shutdown: Timer too close. This often indicates"))
        #expect(message.contains(#"use the "FIRMWARE_RESTART" command"#))
        #expect(failed["code"] as? Int == 502)
        #expect(!rig.printStates.contains("paused"))
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }
        #expect(try rig.harness.ask("print", "stop").json?["code"] as? Int == 409, "no task is left to stop")
        let refused = try rig.start(taskid: "task-2")
        #expect(refused.json?["code"] as? Int == 503)
        #expect((refused.json?["msg"] as? String) == message)
    }

    /// `M112` mid-print: `failed` with its cause; after FIRMWARE_RESTART (which drops the API
    /// connections, as Klippy's host restarts) the agent reconnects and the next print runs.
    @Test func emergencyStopFailsThePrintAndARestartedKlipperPrintsAgain() throws {
        let rig = try PrintRig.klipper(["--speed", "300", "--heat-rate", "instant"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let console = try KlipperConnection(rig.simulator.path)
        try console.script("M112")
        let failed = try rig.waitForPrint("failed")
        #expect((failed["msg"] as? String)?.hasPrefix("Klipper shut down: Shutdown due to M112 command. Once the underlying") == true)
        let refused = try rig.start(taskid: "task-2")
        #expect(refused.json?["code"] as? Int == 503)
        #expect((refused.json?["msg"] as? String)?.contains("FIRMWARE_RESTART") == true)
        let connections = rig.harness.agent.log.components(separatedBy: "connected to the Klipper API").count
        try console.script("FIRMWARE_RESTART")
        try waitUntil("the agent reconnected after the restart", timeout: 15) {
            rig.harness.agent.log.components(separatedBy: "connected to the Klipper API").count > connections
        }
        rig.client.clear()
        // Until the new subscription's first reply the start answers 503 (and changes nothing).
        var answer: [String: Any]?
        try waitUntil("a start taken by the restarted Klipper", timeout: 15) {
            answer = try? rig.start(taskid: "task-3").json
            return answer?["code"] as? Int != 503
        }
        #expect(answer?["state"] as? String == "preheating")
        try rig.waitForPrint("finished", timeout: 60)
        #expect(rig.printStates == ["preheating", "printing", "finished"])
    }

    @Test func silentControllerFailsThePrint() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "instant", "--fault", "silence@200"])
        try rig.waitForController()
        try rig.start()
        let failed = try rig.waitForPrint("failed", timeout: 60)
        #expect((failed["msg"] as? String)?.contains("stopped answering") == true)
    }

    @Test func outOfOrderRepliesAreMatched() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "instant", "--reorder"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("finished", timeout: 60)
        #expect(!rig.harness.agent.log.contains("Klipper: "), "no reply was taken for another")
    }

    @Test func anAgentStartedDuringAPrintFollowsIt() throws {
        let rig = try PrintRig.klipper(["--speed", "150", "--heat-rate", "instant"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        rig.harness.agent.send(SIGKILL)
        _ = try rig.harness.agent.waitForExit()
        rig.client.clear()
        let second = try AgentProcess(broker: rig.harness.broker.url, extra: rig.agentArguments)
        try rig.client.waitFor("busy from the new agent") {
            $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "busy"
        }
        let info = try rig.harness.ask("info", "query")
        let project = try #require((info.json?["data"] as? [String: Any])?["project"] as? [String: Any])
        #expect(project["filename"] as? String == "cube.gcode")
        let delete = try rig.harness.ask("file", "deleteLocal", data: #"{"path":"/","filename":"cube.gcode"}"#)
        #expect(delete.json?["code"] as? Int == 409, "the followed print's file is protected too")
        try rig.harness.ask("print", "stop")
        try rig.waitForPrint("stoped")
        #expect(second.log.contains("following the print the controller was already running: cube.gcode"))
    }

    @Test func missingSocketAnswers503UntilItAppears() throws {
        let storage = try TemporaryDirectory()
        let config = try storage.write("agent.conf", "controller = klipper\nklipper_socket = \(storage.path)/uds\n")
        let harness = try Harness(agentArguments: ["-c", config, "--storage", storage.path])
        let answer = try harness.ask("print", "start", data: #"{"filename":"cube.gcode"}"#)
        #expect(answer.json?["code"] as? Int == 503)
        #expect((answer.json?["msg"] as? String)?.contains("not connected") == true)
    }

    @Test func noControllerConfiguredAnswers503() throws {
        let harness = try Harness()
        let answer = try harness.ask("print", "start", data: #"{"filename":"cube.gcode"}"#)
        #expect(answer.json?["code"] as? Int == 503)
        #expect(try harness.ask("tempature", "query").json?["code"] as? Int == 200)
    }
}
