import Foundation
import Testing
import TestSupport

/// Whole prints of the PrusaSlicer cube through the Marlin backend: a real broker, the agent
/// binary, and the Marlin simulator on a pty.
@Suite struct MarlinPrintTests {
    /// With the board's receive buffer filled (`serial_rx_buffer`, 127 by default) and with
    /// one line per ok (0).
    @Test(arguments: [127, 0])
    func wholePrintStreamsEveryCommandAndReportsTheLifecycle(receiveBuffer: Int) throws {
        let rig = try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"], config: ["serial_rx_buffer = \(receiveBuffer)"])
        try rig.waitForController()
        let answer = try rig.start()
        #expect(answer.json?["state"] as? String == "preheating")
        #expect(answer.json?["code"] as? Int == 200)
        try rig.client.waitFor("status busy") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "busy" }
        let finished = try rig.waitForPrint("finished", timeout: 60)
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }

        #expect(rig.printStates == ["preheating", "printing", "finished"])
        let data = PrintRig.data(finished)
        #expect(data["progress"] as? Int == 100)
        #expect(data["taskid"] as? String == "task-1")
        #expect(data["filename"] as? String == "cube.gcode")
        #expect(data["curr_layer"] as? Int == 33)
        #expect(data["remain_time"] as? Int == 0)
        // Temperatures were pushed while heating.
        let temperatures = rig.client.received.filter { $0.topic == Wire.report("tempature") }
        #expect(temperatures.count >= 2)
        #expect(temperatures.last.flatMap { ($0.json?["data"] as? [String: Any])?["target_nozzle_temp"] as? Double } == 210)

        // Every command of the file reached the board once, in order, between the agent's own.
        let transcript = rig.simulator.transcript
        let sent = rig.simulator.commandsReceived
        let inOrder = try rig.fileCommandsReceivedInOrder()
        #expect(inOrder.received == inOrder.total, "the board got \(inOrder.received) of the file's \(inOrder.total) commands in order")
        #expect(transcript.split(separator: "\n").first { $0.hasPrefix("> ") } == "> N0 M110 N0*125")
        #expect(!transcript.contains("> N1 M110"), "numbering restarted once, at the connection")
        #expect(!sent.contains { $0.contains(";") }, "comments are stripped")
        #expect(!transcript.contains("receive buffer overflow"), "the board's receive buffer never overflowed")
        #expect(!transcript.contains("Resend:"))
        let lines = transcript.split(separator: "\n")
        let sentAhead = zip(lines, lines.dropFirst()).contains { $0.hasPrefix("> N") && $1.hasPrefix("> N") }
        #expect(sentAhead == (receiveBuffer > 0), "lines are sent ahead of their oks only into a receive buffer")
    }

    @Test func infoAndPrintQueryCarryTheJob() throws {
        let rig = try PrintRig.marlin(["--speed", "200", "--heat-rate", "100"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let info = try rig.harness.ask("info", "query")
        let data = try #require(info.json?["data"] as? [String: Any])
        #expect(data["state"] as? String == "busy")
        let project = try #require(data["project"] as? [String: Any])
        #expect(project["task_id"] as? String == "task-1")
        #expect(project["print_status"] as? Int == 1)
        let temperatures = try #require(data["temp"] as? [String: Any])
        #expect(temperatures["target_nozzle_temp"] as? Double == 210)
        let query = try rig.harness.ask("print", "query")
        #expect(query.json?["state"] as? String == "printing")

        let second = try rig.start(taskid: "task-2")
        #expect(second.json?["code"] as? Int == 10101)
        #expect(second.json?["state"] as? String == "failed")
        let delete = try rig.harness.ask("file", "deleteLocal", data: #"{"path":"/","filename":"cube.gcode"}"#)
        #expect(delete.json?["code"] as? Int == 409)
        #expect(FileManager.default.fileExists(atPath: rig.root + "/cube.gcode"))
    }

    /// `print/getSliceParam` answers what the slicer wrote in the running job's file, and
    /// `print/localtasktrans` gives the job a `localtask` that its reports then carry; both
    /// need a job (409 when idle or for another task), and a bad `localtask` changes nothing.
    @Test func sliceParametersAndTheLocalTaskOfTheRunningJob() throws {
        let rig = try PrintRig.marlin(["--speed", "20", "--heat-rate", "instant"])
        try rig.waitForController()
        let idle = try rig.harness.ask("print", "getSliceParam").json ?? [:]
        #expect(idle["state"] as? String == "failed" && idle["code"] as? Int == 409)
        #expect(idle["msg"] as? String == "no print is active")

        try rig.start(taskid: "-1")
        try rig.waitForPrint("printing")
        let answer = try rig.harness.ask("print", "getSliceParam").json ?? [:]
        #expect(answer["state"] as? String == "done" && answer["code"] as? Int == 200)
        let parameters = try #require(PrintRig.data(answer)["slice_param"] as? [String: Any])
        #expect(parameters["slicer"] as? String == "PrusaSlicer 2.5.0")
        #expect(parameters["nozzle_temp"] as? Double == 210 && parameters["bed_temp"] as? Double == 60)
        #expect(parameters["thumbnail"] == nil, "the thumbnail is fileDetails' business")

        let uuid = "b92a3c5e-04d1-4f7a-8e36-2c9b1d0f7a55"
        let other = try rig.harness.ask("print", "localtasktrans", data: #"{"taskid":"7","localtask":"x"}"#).json ?? [:]
        #expect(other["code"] as? Int == 409)
        let missing = try rig.harness.ask("print", "localtasktrans", data: #"{"taskid":"-1","localtask":5}"#).json ?? [:]
        #expect(missing["code"] as? Int == 400)
        #expect(missing["msg"] as? String == "\"localtask\" is a number, expected a string")
        let long = String(repeating: "a", count: 129)
        let tooLong = try rig.harness.ask("print", "localtasktrans", data: "{\"taskid\":\"-1\",\"localtask\":\"\(long)\"}").json ?? [:]
        #expect(tooLong["code"] as? Int == 400)
        #expect(tooLong["msg"] as? String == "\"localtask\" must be at most 128 printable ASCII characters")
        let kept = try rig.harness.ask("print", "localtasktrans", data: "{\"taskid\":\"-1\",\"localtask\":\"\(uuid)\"}").json ?? [:]
        #expect(kept["state"] as? String == "done" && PrintRig.data(kept)["localtask"] as? String == uuid)

        let project = PrintRig.data(try rig.harness.ask("info", "query").json ?? [:])["project"] as? [String: Any]
        #expect(project?["localtask"] as? String == uuid)
        #expect(try rig.harness.ask("print", "pause").json?["state"] as? String == "pausing")
        let paused = try rig.waitForPrint("paused")
        #expect(PrintRig.data(paused)["localtask"] as? String == uuid, "the job's reports carry it")
        #expect(try rig.harness.ask("print", "stop").json?["state"] as? String == "stopping")
        try rig.waitForPrint("stoped")
    }

    @Test func pauseResumeAndStop() throws {
        let rig = try PrintRig.marlin(["--speed", "300", "--heat-rate", "100"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let pausing = try rig.harness.ask("print", "pause", data: #"{"taskid":"task-1"}"#)
        #expect(pausing.json?["state"] as? String == "pausing")
        try rig.waitForPrint("paused", timeout: 15)
        #expect(try rig.harness.ask("print", "query").json?["state"] as? String == "paused")

        let resuming = try rig.harness.ask("print", "resume", data: #"{"taskid":"task-1"}"#)
        #expect(resuming.json?["state"] as? String == "resuming")
        try rig.waitForPrint("resumed", timeout: 15)
        try waitUntil("printing again after resuming (so far: \(rig.printStates))", timeout: 15) {
            rig.printStates.suffix(2) == ["resumed", "printing"]
        }
        // Lines reach the board in the order they are sent, so a move streamed while paused
        // would sit between the pause G-code's lift and the resume G-code's descent.
        let sent = rig.simulator.commandsReceived
        let lift = try #require(sent.firstIndex(of: "G1 Z10 F600"), "the pause G-code lifted the nozzle")
        let descent = try #require(sent.firstIndex(of: "G1 Z-10 F600"), "the resume G-code lowered it")
        try #require(lift < descent)
        #expect(Array(sent[lift..<descent].dropFirst()) == ["G90", "G91"], "nothing streams while paused")

        let wrongTask = try rig.harness.ask("print", "stop", data: #"{"taskid":"other"}"#)
        #expect(wrongTask.json?["code"] as? Int == 409)
        let stopping = try rig.harness.ask("print", "stop", data: #"{"taskid":"task-1"}"#)
        #expect(stopping.json?["state"] as? String == "stopping")
        let stopped = try rig.waitForPrint("stoped", timeout: 15)
        #expect(stopped["action"] as? String == "stop")
        #expect(rig.simulator.transcript.contains("M104 S0"))
        #expect(try rig.harness.ask("status", "query").json?["state"] as? String == "free")
        #expect(rig.printStates == ["preheating", "printing", "pausing", "paused", "resuming", "resumed", "printing",
                                    "stopping", "stoped"])
    }

    @Test func updateChangesTheBoardsSettings() throws {
        let rig = try PrintRig.marlin(["--speed", "200", "--heat-rate", "100"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let update = try rig.harness.ask("print", "update", data:
            #"{"taskid":"task-1","settings":{"target_nozzle_temp":205,"fan_speed_pct":50,"print_speed_mode":1,"z_comp":0.1}}"#)
        #expect(update.json?["state"] as? String == "updated")
        try waitUntil("the board got the new settings", timeout: 10) {
            let transcript = rig.simulator.transcript
            return transcript.contains(" M104 S205.00*") && transcript.contains(" M106 S128*")
                && transcript.contains(" M220 S50*") && transcript.contains(" M290 Z0.10*")
        }
        let bad = try rig.harness.ask("print", "update", data: #"{"settings":{"target_nozzle_temp":999}}"#)
        #expect(bad.json?["code"] as? Int == 400)
        try rig.harness.ask("print", "stop")
        try rig.waitForPrint("stoped", timeout: 15)
        // Idle, the temperatures and fans are set as tempature/set and fan/set set them.
        let idle = try rig.harness.ask("print", "update", data: #"{"taskid":"-1","settings":{"fan_speed_pct":10}}"#)
        #expect(idle.json?["state"] as? String == "updated")
        #expect((PrintRig.data(idle.json ?? [:])["settings"] as? [String: Any])?["fan_speed_pct"] as? Int == 10)
        try rig.simulator.waitForTranscript(" M106 S26*")
        let speed = try rig.harness.ask("print", "update", data: #"{"taskid":"-1","settings":{"print_speed_mode":3}}"#)
        #expect(speed.json?["code"] as? Int == 409)
        #expect(speed.json?["msg"] as? String == "no print is active: print_speed_mode and z_comp change a running print only")
        #expect(!rig.simulator.transcript.contains(" M220 S150*"))
    }

    @Test func boardWithoutAutoReportIsPolled() throws {
        let rig = try PrintRig.marlin(["--autoreport", "no"])
        try rig.waitForController()
        try waitUntil("M105 polls", timeout: 10) { rig.simulator.transcript.contains(" M105*") }
        #expect(!rig.simulator.transcript.contains("> N3 M155"))
        let temperatures = try rig.harness.ask("tempature", "query")
        #expect((temperatures.json?["data"] as? [String: Any])?["curr_nozzle_temp"] as? Double == 25)
    }

    @Test func badStartsAreRefusedWithTheReason() throws {
        let rig = try PrintRig.marlin()
        try rig.waitForController()
        let missing = try rig.start("nothing.gcode")
        #expect(missing.json?["code"] as? Int == 404)
        _ = try rig.storage.write("gcodes/notes.txt", "hello")
        #expect(try rig.start("notes.txt").json?["code"] as? Int == 400)
        #expect(try rig.start("../agent.conf").json?["code"] as? Int == 400)
        let usb = try rig.harness.ask("print", "start", data: #"{"filename":"cube.gcode","file_location":"udisk"}"#)
        #expect(usb.json?["code"] as? Int == 503)
        #expect(try rig.harness.ask("print", "pause").json?["code"] as? Int == 409)
        #expect(rig.printStates == [], "no print started")
        #expect(rig.printReports.allSatisfy { $0["state"] as? String == "failed" })
    }
}

/// Controller faults from the Marlin simulator: the print survives what Marlin hosts survive
/// (a lost ok, resends, busy) and fails cleanly, with a report, on what they cannot (a reset,
/// silence, a halt).
@Suite struct MarlinFaultTests {
    private func print(_ faults: [String], expecting state: String, timeout: TimeInterval = 60) throws -> (PrintRig, [String: Any]) {
        let rig = try startPrint(faults)
        return (rig, try rig.waitForPrint(state, timeout: timeout))
    }

    /// A rig printing the cube on a fast board with `faults`.
    private func startPrint(_ faults: [String]) throws -> PrintRig {
        let rig = try PrintRig.marlin(["--speed", "2000", "--heat-rate", "200", "--busy-interval", "1"] + faults.flatMap { ["--fault", $0] })
        try rig.waitForController()
        try rig.start()
        return rig
    }

    /// What a user sees of a print that survived a fault: one finished report at 100 % with
    /// code 200, a lifecycle without a failure, and the whole file on the board, in order.
    private func expectFinishedCleanly(_ rig: PrintRig, _ finished: [String: Any],
                                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(finished["code"] as? Int == 200, sourceLocation: sourceLocation)
        #expect(PrintRig.data(finished)["progress"] as? Int == 100, sourceLocation: sourceLocation)
        #expect(rig.printStates == ["preheating", "printing", "finished"], sourceLocation: sourceLocation)
        let inOrder = try rig.fileCommandsReceivedInOrder()
        #expect(inOrder.received == inOrder.total, "the board got \(inOrder.received) of \(inOrder.total) commands in order",
                sourceLocation: sourceLocation)
    }

    /// The numbers of the lines the agent wrote to the board more than once.
    private func linesWrittenAgain(_ rig: PrintRig) -> Set<Int> {
        var seen = Set<Int>(), again = Set<Int>()
        for line in rig.simulator.transcript.split(separator: "\n") where line.hasPrefix("> N") {
            guard let number = Int(line.dropFirst(3).prefix { $0.isNumber }) else { continue }
            if !seen.insert(number).inserted { again.insert(number) }
        }
        return again
    }

    /// The agent sends ahead into the board's receive buffer, so a lost ok only leaves it
    /// counting one line too many in flight; it shows when the agent waits for the last ok,
    /// at the end of the file: after 1.5 s of silence from the board (half as long again as the
    /// 1 s keepalive interval its M113 reports) the agent asks for the temperatures, takes the
    /// answer as the lost ok, and
    /// the print finishes. The silence is timed from outside, from the board's last ok to the
    /// agent's M105, by watching the simulator's transcript every 20 ms while the print runs.
    @Test func lostOkIsRecoveredAfterOneAndAHalfKeepaliveIntervalsOfSilence() throws {
        let rig = try startPrint(["busy@5:2", "drop-ok@100"])
        var oks = 0, lastOk = Date(), tickle: Date? = nil
        try waitUntil("the print finished (so far: \(rig.printStates))", timeout: 60) {
            // Looked at before the transcript, which then holds the M105 if the print finished.
            let finished = rig.printStates.contains("finished")
            if tickle == nil {
                let transcript = rig.simulator.transcript
                // With auto-reports on, an M105 is only ever the tickle sent after the silence.
                if transcript.contains(" M105*") {
                    tickle = Date()
                } else {
                    let count = transcript.components(separatedBy: "\n< ok").count
                    if count > oks { (oks, lastOk) = (count, Date()) }
                }
            }
            return finished
        }
        try expectFinishedCleanly(rig, try rig.waitForPrint("finished"))
        let silence = try #require(tickle, "the agent asked for the temperatures").timeIntervalSince(lastOk)
        // The 1.5 s timeout, checked every 250 ms, is about 1.5 to 1.75 s; the margins are for
        // the sampling, late on a busy machine. The agent's own clock says 1 s (1.5 to 1.99 s).
        #expect(silence > 1.2 && silence < 3.0, "the agent spoke \(silence) s after the board's last ok")
        let warnings = rig.harness.agent.log.split(separator: "\n").filter { $0.contains("no reply from the printer") }
        #expect(warnings.count == 1 && warnings[0].contains("for 1 s; asking where it stands"), "\(warnings)")
    }

    @Test func corruptedLineIsResent() throws {
        let (rig, finished) = try print(["corrupt@40"], expecting: "finished")
        try expectFinishedCleanly(rig, finished)
        #expect(!linesWrittenAgain(rig).isEmpty, "the agent wrote the refused line again")
        #expect(!rig.harness.agent.log.contains("no reply from the printer"), "resent at once, not after a timeout")
        #expect(!rig.simulator.transcript.contains("receive buffer overflow"))
    }

    /// A 5-second move with `busy:` keepalives every second: more than the 3 s the agent
    /// waits for a reply once it has seen `busy:`, so only heeding the keepalives avoids a timeout.
    @Test func longBusyMoveIsWaitedFor() throws {
        let (rig, finished) = try print(["busy@30:5"], expecting: "finished")
        try expectFinishedCleanly(rig, finished)
        #expect(!rig.harness.agent.log.contains("no reply from the printer"), "the keepalives were taken as signs of life")
        #expect(linesWrittenAgain(rig).isEmpty, "nothing was written twice")
    }

    @Test func resendStormFailsThePrint() throws {
        let (rig, failed) = try print(["resend-storm@40:20"], expecting: "failed")
        #expect((failed["msg"] as? String)?.contains("resent") == true)
        #expect(failed["code"] as? Int != 200)
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }
    }

    @Test func boardResetFailsThePrintAndTheBoardIsUsableAgain() throws {
        let (rig, failed) = try print(["reset@60"], expecting: "failed")
        #expect((failed["msg"] as? String)?.contains("restarted") == true)
        // Numbering starts again once the restarted board has settled.
        try waitUntil("numbering restarted after the reset", timeout: 5) {
            rig.simulator.transcript.components(separatedBy: "> N0 M110 N0").count >= 3
        }
        try rig.waitForController()
    }

    @Test func silentBoardFailsThePrint() throws {
        let (_, failed) = try print(["busy@5:2", "silence@80"], expecting: "failed", timeout: 60)
        #expect((failed["msg"] as? String)?.contains("stopped answering") == true)
    }

    @Test func haltedBoardFailsThePrintWithItsMessage() throws {
        let (_, failed) = try print(["halt@50"], expecting: "failed")
        #expect((failed["msg"] as? String)?.contains("Printer halted") == true)
    }

    @Test func hostActionPauseFromTheBoardIsHonoured() throws {
        let (rig, paused) = try print(["action@50:pause"], expecting: "paused")
        #expect(paused["action"] as? String == "pause")
        try rig.harness.ask("print", "resume")
        try rig.waitForPrint("finished", timeout: 60)
    }
}
