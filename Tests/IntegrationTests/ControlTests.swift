import Foundation
import Testing
import TestSupport

extension PrintRig {
    /// Sends a command, checks that it is answered `doing`, and returns the `done` or
    /// `failed` report pushed later with the same msgid.
    func outcome(_ type: String, _ action: String, data: String = "null", timeout: TimeInterval = 30) throws -> [String: Any] {
        let msgid = UUID().uuidString
        let answer = try harness.ask(type, action, data: data, msgid: msgid).json ?? [:]
        guard answer["state"] as? String == "doing" else { return answer }
        return try client.waitFor("the outcome of \(type)/\(action) \(msgid)", timeout: timeout) {
            $0.topic == Wire.report(type) && ($0.json?["msgid"] as? String) == msgid && ($0.json?["state"] as? String) != "doing"
        }.json ?? [:]
    }

    /// The answer to a command.
    func answer(_ type: String, _ action: String, data: String = "null") throws -> [String: Any] {
        try harness.ask(type, action, data: data).json ?? [:]
    }

    /// The Klipper simulator's transcript lines of the `gcode/script` requests received.
    var scriptsReceived: [String] {
        simulator.transcript.split(separator: "\n").filter { $0.hasPrefix("> ") && $0.contains("gcode/script") }.map(String.init)
    }
}

/// Every control relayed to the controller, through the agent binary, a real broker and the
/// Marlin simulator on a pty: what the app reads back and what reached the board.
@Suite struct MarlinControlTests {
    private func rig(_ config: [String] = []) throws -> PrintRig {
        let rig = try PrintRig.marlin(["--speed", "1000", "--heat-rate", "instant"], config: config)
        try rig.waitForController()
        return rig
    }

    @Test func temperaturesAndFansAreSetWhenIdle() throws {
        let rig = try rig(["aux_fan_index = 1"])
        let set = try rig.answer("tempature", "set", data: #"{"target_nozzle_temp":200,"target_hotbed_temp":60}"#)
        #expect(set["state"] as? String == "done" && set["code"] as? Int == 200)
        #expect(PrintRig.data(set)["target_nozzle_temp"] as? Double == 200)
        try rig.client.waitFor("the new targets pushed") {
            $0.topic == Wire.report("tempature") && (PrintRig.data($0.json ?? [:])["target_hotbed_temp"] as? Double) == 60
        }
        #expect(rig.simulator.commandsReceived.contains("M104 S200.00") && rig.simulator.commandsReceived.contains("M140 S60.00"))
        let fans = try rig.answer("fan", "setSpeed", data: #"{"fan_speed_pct":50,"aux_fan_speed_pct":100}"#)
        #expect(fans["state"] as? String == "done")
        #expect(PrintRig.data(fans)["fan_speed_pct"] as? Int == 50)
        try rig.simulator.waitForTranscript("M106 P1 S255")
        #expect(rig.simulator.commandsReceived.contains("M106 S128"))
        let badTemperature = try rig.answer("tempature", "set", data: #"{"target_nozzle_temp":350}"#)
        #expect(badTemperature["code"] as? Int == 400)
        #expect(badTemperature["msg"] as? String == "\"target_nozzle_temp\" is 350, expected 0 to 300")
        #expect(!rig.simulator.commandsReceived.contains { $0.hasPrefix("M104 S350") })
    }

    @Test func anAuxFanThatIsNotConfiguredIsRefusedAndNothingIsSent() throws {
        let rig = try rig()
        let refused = try rig.answer("fan", "set", data: #"{"fan_speed_pct":20,"aux_fan_speed_pct":40}"#)
        #expect(refused["code"] as? Int == 400)
        #expect((refused["msg"] as? String)?.contains("aux_fan_index") == true)
        _ = try rig.answer("tempature", "query")
        #expect(!rig.simulator.commandsReceived.contains { $0.hasPrefix("M106") }, "not even the part fan")
    }

    /// A light of each Marlin kind: an LED strip (`M150`) and G-code lines of the
    /// configuration (`gcode:`), switched and then listed by `light/query` as last set.
    @Test func ledStripAndGcodeLightsReachTheBoard() throws {
        let rig = try rig(["light_chamber = marlin-m150", "light_camera = gcode:M42 P4 S{pwm}\\nM400|M42 P4 S0"])
        #expect(try rig.answer("light", "control", data: #"{"type":2,"status":1,"brightness":100}"#)["state"] as? String == "done")
        #expect(try rig.answer("light", "control", data: #"{"type":3,"status":1,"brightness":50}"#)["state"] as? String == "done")
        try rig.simulator.waitForTranscript("M150 R255 U255 B255 W255")
        try rig.simulator.waitForTranscript("M42 P4 S128")
        #expect(try rig.answer("light", "control", data: #"{"type":2,"status":0}"#)["state"] as? String == "done")
        try rig.simulator.waitForTranscript("M150 R0 U0 B0 W0")
        let lights = PrintRig.data(try rig.answer("light", "query"))["lights"] as? [[String: Any]] ?? []
        #expect(lights.map { [$0["type"] as? Int, $0["status"] as? Int, $0["brightness"] as? Int] } == [[2, 0, 100], [3, 1, 50]],
                "\(lights)")
    }

    @Test func aLightThatIsNotConfiguredIsRefusedAndNothingIsSent() throws {
        let rig = try rig(["light_head = marlin-m355"])
        let refused = try rig.answer("light", "control", data: #"{"type":2,"status":1,"brightness":100}"#)
        #expect(refused["state"] as? String == "failed" && refused["code"] as? Int == 409)
        #expect(refused["msg"] as? String == "this printer has no chamber light configured (set light_chamber in the configuration)")
        let tooBright = try rig.answer("light", "control", data: #"{"type":1,"status":1,"brightness":150}"#)
        #expect(tooBright["code"] as? Int == 400)
        #expect(tooBright["msg"] as? String == "\"brightness\" is 150, expected 0 to 100")
        let lights = PrintRig.data(try rig.answer("light", "query"))["lights"] as? [[String: Any]] ?? []
        #expect(lights.count == 1 && lights.first?["type"] as? Int == 1 && lights.first?["status"] as? Int == 0,
                "the head light is still off, and the chamber light is not listed: \(lights)")
        #expect(!rig.simulator.commandsReceived.contains { $0.hasPrefix("M355") || $0.hasPrefix("M150") })
    }

    @Test func homeJogAndQueryThePosition() throws {
        let rig = try rig()
        let home = try rig.outcome("axis", "move", data: #"{"axis":5,"move_type":2,"distance":0}"#)
        #expect(home["state"] as? String == "done" && home["code"] as? Int == 200)
        let jog = try rig.outcome("axis", "move", data: #"{"axis":1,"move_type":1,"distance":10}"#)
        #expect(jog["state"] as? String == "done")
        let sent = rig.simulator.commandsReceived
        let firstHome = try #require(sent.firstIndex(of: "G28"))
        #expect(Array(sent[firstHome...]).filter { !$0.hasPrefix("M105") }.prefix(6) == ["G28", "M400", "G91", "G1 X10 F3000", "G90", "M400"])
        let position = try rig.outcome("axis", "query")
        #expect(position["state"] as? String == "done")
        let coordinates = PrintRig.data(position)["coordinates"] as? [String: Any]
        #expect(coordinates?["x"] as? Double == 10 && coordinates?["y"] as? Double == 0 && coordinates?["z"] as? Double == 0)
        let off = try rig.answer("axis", "turnOff")
        #expect(off["state"] as? String == "done")
        try rig.simulator.waitForTranscript("M84")
    }

    @Test func badMovesAreRefusedAndNothingMoves() throws {
        let rig = try rig()
        for (data, message) in [
            (#"{"axis":9,"move_type":1,"distance":1}"#, "unknown axis 9; this printer's axes are 1 (X), 2 (Y), 3 (Z), 5 (XYZ) (axis_map)"),
            (#"{"axis":1,"move_type":3,"distance":1}"#, "\"move_type\" is 3, expected 0 to 2"),
            (#"{"axis":1,"move_type":1,"distance":500}"#, "\"distance\" is 500, expected 0 to 100"),
        ] {
            let refused = try rig.answer("axis", "move", data: data)
            #expect(refused["state"] as? String == "failed" && refused["code"] as? Int == 400)
            #expect(refused["msg"] as? String == message)
        }
        #expect(!rig.simulator.commandsReceived.contains { $0.hasPrefix("G1") || $0.hasPrefix("G28") || $0 == "G91" })
    }

    @Test func duringAPrintMovesAreRefusedButTemperatureAndLightGoBetweenTheLines() throws {
        let rig = try PrintRig.marlin(["--speed", "5", "--heat-rate", "instant"],
                                      config: ["light_head = marlin-m355", "aux_fan_index = 2"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let move = try rig.answer("axis", "move", data: #"{"axis":3,"move_type":2}"#)
        #expect(move["code"] as? Int == 10101)
        #expect(move["msg"] as? String == "a print task is active: the agent does not move the axes during a print")
        let set = try rig.answer("tempature", "set", data: #"{"target_nozzle_temp":190}"#)
        #expect(set["state"] as? String == "done")
        let light = try rig.answer("light", "control", data: #"{"type":1,"status":1,"brightness":40}"#)
        #expect(light["state"] as? String == "done")
        #expect(PrintRig.data(light)["brightness"] as? Int == 40)
        try rig.simulator.waitForTranscript("M104 S190.00")
        try rig.simulator.waitForTranscript("M355 S1 P102")
        let update = try rig.answer("print", "update", data: #"{"taskid":"task-1","settings":{"aux_fan_speed_pct":60,"box_fan_level":0}}"#)
        #expect(update["state"] as? String == "updated")
        try rig.simulator.waitForTranscript("M106 P2 S153")
        #expect(!rig.simulator.commandsReceived.contains("G28 Z"))
        #expect(try rig.answer("print", "stop")["state"] as? String == "stopping")
    }

    @Test func consoleAnswersWithTheBoardsLinesAndRefusesWhatIsNotAllowed() throws {
        let rig = try rig(["gcode_console = M503 M114"])
        let settings = try rig.outcome("gcode", "send", data: #"{"gcode":"M503"}"#)
        #expect(settings["state"] as? String == "done")
        let lines = PrintRig.data(settings)["lines"] as? [String] ?? []
        #expect(lines.contains("echo:  M92 X80.00 Y80.00 Z400.00 E93.00"), "\(lines)")
        let refused = try rig.answer("gcode", "send", data: #"{"gcode":"M114\nM502"}"#)
        #expect(refused["code"] as? Int == 403)
        #expect(refused["msg"] as? String == "M502 is not allowed on this printer's console; allowed: M503 M114 (gcode_console)")
        _ = try rig.answer("tempature", "query")
        #expect(!rig.simulator.commandsReceived.contains("M114"), "nothing of a refused request was sent")
        let off = try PrintRig.marlin(["--heat-rate", "instant"])
        let closed = try off.answer("gcode", "send", data: #"{"gcode":"M503"}"#)
        #expect(closed["code"] as? Int == 403, "the console is off by default")
    }
}

/// The same controls through the Klipper API simulator.
@Suite struct KlipperControlTests {
    private func rig(_ config: [String] = []) throws -> PrintRig {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "instant"], config: config)
        try rig.waitForController()
        return rig
    }

    @Test func temperaturesAndFansBecomeKlipperCommands() throws {
        let rig = try rig(["klipper_aux_fan = aux_fan"])
        let set = try rig.answer("tempature", "set", data: #"{"target_hotbed_temp":55}"#)
        #expect(set["state"] as? String == "done")
        try rig.client.waitFor("the bed target pushed") {
            $0.topic == Wire.report("tempature") && (PrintRig.data($0.json ?? [:])["target_hotbed_temp"] as? Double) == 55
        }
        #expect(rig.scriptsReceived.contains { $0.contains("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=55") })
        let fans = try rig.answer("fan", "set", data: #"{"fan_speed_pct":100,"aux_fan_speed_pct":50}"#)
        #expect(fans["state"] as? String == "done")
        try rig.client.waitFor("the fan pushed") {
            $0.topic == Wire.report("fan") && (PrintRig.data($0.json ?? [:])["fan_speed_pct"] as? Int) == 100
        }
        try rig.simulator.waitForTranscript(#"M106 S255\nSET_FAN_SPEED FAN=aux_fan SPEED=0.5"#)
    }

    /// The bad values of the controls, each refused with a message naming what is wrong;
    /// none of them reaches Klipper (the only script after them is the valid command sent last).
    @Test func badValuesAreRefusedAndNothingReachesKlipper() throws {
        let rig = try rig(["light_head = klipper-pin:caselight", "gcode_console = M114"])
        let before = rig.scriptsReceived.count
        for (type, action, data, code, message) in [
            ("tempature", "set", #"{"target_nozzle_temp":350}"#, 400, "\"target_nozzle_temp\" is 350, expected 0 to 300"),
            ("tempature", "set", #"{"target_hotbed_temp":-5}"#, 400, "\"target_hotbed_temp\" is -5, expected 0 to 120"),
            ("fan", "setSpeed", #"{"fan_speed_pct":101}"#, 400, "\"fan_speed_pct\" is 101, expected 0 to 100"),
            ("axis", "move", #"{"axis":7,"move_type":1,"distance":5}"#, 400,
             "unknown axis 7; this printer's axes are 1 (X), 2 (Y), 3 (Z), 5 (XYZ) (axis_map)"),
            ("light", "control", #"{"type":3,"status":1}"#, 409,
             "this printer has no camera light configured (set light_camera in the configuration)"),
            ("gcode", "send", #"{"gcode":"G28"}"#, 403, "G28 is not allowed on this printer's console; allowed: M114 (gcode_console)"),
        ] {
            let refused = try rig.answer(type, action, data: data)
            #expect(refused["state"] as? String == "failed" && refused["code"] as? Int == code, "\(type)/\(action) \(data)")
            #expect(refused["msg"] as? String == message)
        }
        #expect(try rig.answer("tempature", "set", data: #"{"target_nozzle_temp":0}"#)["state"] as? String == "done")
        try rig.simulator.waitForTranscript("SET_HEATER_TEMPERATURE HEATER=extruder TARGET=0")
        let sent = Array(rig.scriptsReceived.dropFirst(before))
        #expect(sent.count == 1 && sent.first?.contains("TARGET=0") == true, "only the valid command was sent: \(sent)")
    }

    @Test func homeJogAndQueryThePositionFromTheToolhead() throws {
        let rig = try rig()
        #expect(try rig.outcome("axis", "move", data: #"{"axis":5,"move_type":2}"#)["state"] as? String == "done")
        let jog = try rig.outcome("axis", "move", data: #"{"axis":2,"move_type":1,"distance":12.5}"#)
        #expect(jog["state"] as? String == "done")
        try rig.simulator.waitForTranscript(#"G91\nG1 Y12.5 F3000\nG90\nM400"#)
        try waitUntil("the toolhead's position pushed", timeout: 10) {
            let position = try? rig.answer("axis", "query")
            return (PrintRig.data(position ?? [:])["coordinates"] as? [String: Any])?["y"] as? Double == 12.5
        }
        let position = try rig.answer("axis", "query")
        #expect(position["state"] as? String == "done", "answered at once from the subscription")
    }

    @Test func lightsAreKlipperPinsAndLedsAndTheQueryListsThem() throws {
        let rig = try rig(["light_head = klipper-pin:caselight", "light_chamber = klipper-led:chamber_led"])
        let head = try rig.answer("light", "control", data: #"{"type":1,"status":1,"brightness":75}"#)
        #expect(head["state"] as? String == "done")
        let chamber = try rig.answer("light", "control", data: #"{"type":2,"status":0}"#)
        #expect(chamber["state"] as? String == "done")
        try rig.simulator.waitForTranscript("SET_PIN PIN=caselight VALUE=0.75")
        try rig.simulator.waitForTranscript("SET_LED LED=chamber_led RED=0 GREEN=0 BLUE=0 WHITE=0")
        let query = try rig.answer("light", "query")
        let lights = PrintRig.data(query)["lights"] as? [[String: Any]] ?? []
        #expect(lights.map { $0["type"] as? Int } == [1, 2])
        #expect(lights.first?["status"] as? Int == 1 && lights.first?["brightness"] as? Int == 75)
        #expect(lights.last?["status"] as? Int == 0)
        let marlinLight = try PrintRig.klipper(["--heat-rate", "instant"], config: ["light_camera = marlin-m355"])
        try marlinLight.waitForController()
        let refused = try marlinLight.answer("light", "control", data: #"{"type":3,"status":1}"#)
        #expect(refused["code"] as? Int == 409)
        #expect(refused["msg"] as? String == "light_camera is set for a marlin controller, but the controller is klipper")
    }

    @Test func consoleReturnsKlipperOutputAndItsErrors() throws {
        let rig = try rig(["gcode_console = M114 M503 SET_PIN"])
        let position = try rig.outcome("gcode", "send", data: #"{"gcode":"M114"}"#)
        #expect(position["state"] as? String == "done")
        #expect(PrintRig.data(position)["lines"] as? [String] == ["X:0.000 Y:0.000 Z:0.000 E:0.000"])
        let unknown = try rig.outcome("gcode", "send", data: #"{"gcode":"M503"}"#)
        #expect(PrintRig.data(unknown)["lines"] as? [String] == [#"// Unknown command:"M503""#])
        let refused = try rig.outcome("gcode", "send", data: #"{"gcode":"SET_PIN PIN=nope VALUE=1"}"#)
        #expect(refused["state"] as? String == "failed" && refused["code"] as? Int == 502)
        #expect(refused["msg"] as? String == "Klipper: The value 'nope' is not valid for PIN")
    }
}
