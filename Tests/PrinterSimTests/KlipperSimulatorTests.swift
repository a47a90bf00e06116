import AgentJSON
import Foundation
import Testing
import TestSupport

/// The Klipper simulator, talked to over its Unix socket the way gklib's clients do.
@Suite struct KlipperSimulatorTests {
    /// A running simulator with an SD card folder, and a connection to it.
    private struct Printer {
        let directory: TemporaryDirectory
        let sdcard: String
        let simulator: PrinterSimulator
        let client: KlipperConnection

        /// Writes `text` to the SD card as `name`.
        func write(_ name: String, _ text: String) throws {
            try text.write(toFile: sdcard + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    private func start(_ arguments: [String] = [], files: [String: String] = [:]) throws -> Printer {
        let directory = try TemporaryDirectory()
        let sdcard = directory.path + "/sdcard"
        try FileManager.default.createDirectory(atPath: sdcard, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: sdcard + "/" + name, atomically: true, encoding: .utf8)
        }
        let simulator = try PrinterSimulator.klipper(directory: directory, sdcard: sdcard, arguments: arguments)
        return Printer(directory: directory, sdcard: sdcard, simulator: simulator,
                       client: try KlipperConnection(simulator.path))
    }

    /// A print file of `moves` extruding moves of 1 mm each.
    private static func moves(_ count: Int) -> String {
        (1...count).map { "G1 X\($0) E\($0)\n" }.joined()
    }

    @Test func infoAndObjectList() throws {
        let printer = try start()
        let info = try printer.client.result("info")
        #expect(info["state"] == .string("ready"))
        #expect(info["state_message"] == .string("Printer is ready"))
        #expect(info["software_version"] == .string("v0.12.0-sim"))
        #expect(info["hostname"] == .string("printer-sim"))
        let names = ["webhooks", "print_stats", "virtual_sdcard", "extruder", "heater_bed", "fan", "toolhead", "display_status",
                     "output_pin caselight", "led chamber_led", "fan_generic aux_fan"]
        #expect(try printer.client.result("objects/list")["objects"] == .array(names.map(JSONValue.string)))
    }

    @Test func queryGivesAllFieldsForNullAndOnlyThoseListed() throws {
        let printer = try start()
        let result = try printer.client.result("objects/query",
            #"{"objects":{"print_stats":null,"extruder":["temperature","target"],"nothing":null}}"#)
        #expect(result["eventtime"]?.doubleValue != nil)
        let status = try #require(result["status"])
        let stats = try #require(status["print_stats"]?.objectValue)
        #expect(stats.members.map(\.key) == ["filename", "total_duration", "print_duration", "filament_used", "state", "message", "info"])
        #expect(stats["state"] == .string("standby"))
        #expect(stats["info"] == .object(JSONObject([("total_layer", .null), ("current_layer", .null)])))
        #expect(status["extruder"] == .object(JSONObject([("temperature", .number(25)), ("target", .number(0))])))
        #expect(status["nothing"] == .object(JSONObject()))
        #expect(try printer.client.errorMessage("objects/query") == "Missing Argument [objects]")
        #expect(try printer.client.errorMessage("objects/query", #"{"objects":[1]}"#) == "Invalid Argument Type [objects]")
        let sdcard = try printer.client.status("virtual_sdcard")
        #expect(sdcard == .object(JSONObject([("file_path", .null), ("progress", .number(0)), ("is_active", .bool(false)),
                                              ("file_position", .number(0)), ("file_size", .number(0))])))
    }

    @Test func subscribersGetOnlyWhatChanged() throws {
        let printer = try start(["--heat-rate", "100", "--update-interval", "50"])
        let client = printer.client
        let reply = try client.result("objects/subscribe",
            #"{"objects":{"extruder":null,"print_stats":["state"]},"response_template":{"method":"notify_status_update"}}"#)
        #expect(reply["status"]?["extruder"] == .object(JSONObject([("temperature", .number(25)), ("target", .number(0)), ("power", .number(0))])))
        #expect(reply["status"]?["print_stats"] == .object(JSONObject([("state", .string("standby"))])))
        try client.waitForSimulatorClock(toAdvanceBy: 0.2)
        #expect(client.unclaimedFramesNow().isEmpty, "nothing changed, nothing pushed in four update intervals")
        try client.script("M104 S40")
        let first = try client.take(timeout: 2) { $0["method"] == .string("notify_status_update") }
        #expect(first["params"]?["eventtime"]?.doubleValue != nil)
        let changed = try #require(first["params"]?["status"]?.objectValue)
        #expect(changed.members.map(\.key) == ["extruder"], "print_stats did not change")
        #expect(changed["extruder"]?["target"] == .number(40))
        #expect(changed["extruder"]?["power"] == .number(1))
        var last = first
        try waitUntil("the extruder at 40 °C", timeout: 3) {
            if let push = try? client.take(timeout: 0.2, where: { $0["method"] != nil }) { last = push }
            return last["params"]?["status"]?["extruder"]?["temperature"] == .number(40)
        }
        #expect(last["params"]?["status"]?["extruder"]?["target"] == nil, "an unchanged target is not sent again")
        try client.waitForSimulatorClock(toAdvanceBy: 0.3)
        #expect(client.unclaimedFramesNow().isEmpty, "settled exactly: nothing more to push")
    }

    @Test func gcodeScriptErrorsCarryKlippersMessage() throws {
        let printer = try start(["--heat-rate", "100"])
        // Like Klipper's cmd_default, an unknown command is only reported in the G-code output.
        #expect(try printer.client.result("gcode/script", #"{"script":"G90\nFOO X1\nG91"}"#) == .object(JSONObject()))
        #expect(try printer.client.errorMessage("gcode/script", #"{"script":"SET_HEATER_TEMPERATURE HEATER=chamber TARGET=1"}"#)
                .contains("unknown heater"))
        #expect(try printer.client.errorMessage("gcode/script", #"{"script":"SDCARD_PRINT_FILE FILENAME=missing.gcode"}"#)
                == "Unable to open file")
        #expect(try printer.client.errorMessage("gcode/script") == "Missing Argument [script]")
        #expect(try printer.client.errorMessage("pause_resume/pause") == "Print is not active")
        #expect(try printer.client.errorMessage("pause_resume/resume") == "Print is not active")
        #expect(try printer.client.errorMessage("pause_resume/cancel") == "Print is not active")
        #expect(try printer.client.errorMessage("no/such/thing") == "Unknown endpoint no/such/thing")
        let started = Date()
        try printer.client.script("M109 S60")
        #expect(Date().timeIntervalSince(started) > 0.3, "the reply waits for the heater")
        #expect(try printer.client.status("extruder")["temperature"]?.doubleValue ?? 0 >= 59.5)
    }

    @Test func gcodeOutputGoesToItsSubscribersBeforeTheScriptsReply() throws {
        let printer = try start()
        let client = printer.client
        #expect(try client.result("gcode/subscribe_output", #"{"response_template":{"method":"out"}}"#) == .object(JSONObject()))
        try client.script("G28\nG1 X12.5 Y3")
        let id = client.request("gcode/script", #"{"script":"M114\nM503"}"#)
        let position = try client.take(where: { $0["method"] == .string("out") })
        #expect(position["params"]?["response"] == .string("X:12.500 Y:3.000 Z:0.000 E:0.000"))
        let unknown = try client.take(where: { $0["method"] == .string("out") })
        #expect(unknown["params"]?["response"] == .string(#"// Unknown command:"M503""#))
        #expect(try client.reply(to: id)["result"] == .object(JSONObject()))
    }

    @Test func pinsLedsAndGenericFansOfThePrinterCfgAreSetAndOthersRefused() throws {
        let printer = try start()
        let client = printer.client
        try client.script("SET_PIN PIN=caselight VALUE=0.5\nSET_FAN_SPEED FAN=aux_fan SPEED=1\nSET_LED LED=chamber_led RED=1 WHITE=0.25")
        #expect(try client.status("output_pin caselight")["value"] == .number(0.5))
        #expect(try client.status("fan_generic aux_fan")["speed"] == .number(1))
        #expect(try client.status("led chamber_led")["color_data"] == .array([.array([.number(1), .number(0), .number(0), .number(0.25)])]))
        #expect(try client.errorMessage("gcode/script", #"{"script":"SET_PIN PIN=nope VALUE=1"}"#) == "The value 'nope' is not valid for PIN")
        #expect(try client.errorMessage("gcode/script", #"{"script":"SET_PIN PIN=caselight VALUE=2"}"#)
            == "Error on 'SET_PIN PIN=caselight VALUE=2': VALUE must be between 0 and 1")
    }

    @Test func framesThatAreNotRequestsGetAnErrorAndTheConnectionStays() throws {
        let printer = try start()
        let client = printer.client
        for garbage in ["not json", "[1,2]", "{\"id\":5}"] {
            client.sendRaw(Array(garbage.utf8) + [0x03])
            let reply = try client.take { $0["error"] != nil }
            #expect(reply["error"]?["error"] == .string("WebRequestError"))
            #expect(reply["id"] == (garbage.contains("id") ? .number(5) : nil), "\(JSONCodec.print(reply))")
        }
        #expect(try client.result("info")["state"] == .string("ready"))
    }

    @Test func aWholePrintRunsToComplete() throws {
        let file = """
            ; sliced by a test
            M201 X500 Y500 ; unknown to Klipper: reported, not an error
            M140 S40
            M104 S60
            M190 S40
            M109 S60
            SET_PRINT_STATS_INFO TOTAL_LAYER=2
            M106 S127.5
            G28
            G92 E0
            G1 Z0.2 F600
            G1 X10 E2 ; first extrusion
            G1 X20 E1.5 ; a retraction does not count
            SET_PRINT_STATS_INFO CURRENT_LAYER=1
            M83
            G1 X30 E3
            M73 P50
            M117 Halfway
            G1 X40 E-1
            G1 X50 E1

            """
        let printer = try start(["--heat-rate", "200"], files: ["cube.gcode": file])
        try printer.client.script(#"SDCARD_PRINT_FILE FILENAME="cube.gcode""#)
        let stats = try printer.client.waitForStatus("print_stats") { $0["state"] == .string("complete") }
        #expect(stats["filename"] == .string("cube.gcode"))
        #expect(stats["filament_used"] == .number(6), "2 + 3 + 1 mm, retractions left out")
        #expect(stats["info"] == .object(JSONObject([("total_layer", .number(2)), ("current_layer", .number(1))])))
        #expect(stats["message"] == .string(""))
        let total = stats["total_duration"]?.doubleValue ?? -1, printing = stats["print_duration"]?.doubleValue ?? -1
        #expect(total >= 0.1 && printing >= 0 && printing <= total, "heating took time before the first extrusion")
        let sdcard = try printer.client.status("virtual_sdcard")
        #expect(sdcard["progress"] == .number(1))
        #expect(sdcard["is_active"] == .bool(false))
        #expect(sdcard["file_position"] == .number(Double(file.utf8.count)))
        #expect(sdcard["file_size"] == .number(Double(file.utf8.count)))
        let display = try printer.client.status("display_status")
        #expect(display == .object(JSONObject([("progress", .number(0.5)), ("message", .string("Halfway"))])))
        #expect(try printer.client.status("fan")["speed"] == .number(0.5))
        let toolhead = try printer.client.status("toolhead")
        #expect(toolhead["position"] == .array([.number(50), .number(0), .number(0.2), .number(4.5)]))
        #expect(toolhead["homed_axes"] == .string("xyz"))
        #expect(try printer.client.status("heater_bed")["temperature"] == .number(40))
    }

    @Test func printFileNamesAreParsedLikeKlipperAndAbsolutePathsWork() throws {
        let printer = try start(["--speed", "20"], files: ["my \"odd\" file.gcode": Self.moves(1)])
        try printer.client.script(#"SDCARD_PRINT_FILE FILENAME="my \"odd\" file.gcode""#)
        try printer.client.waitForStatus("print_stats") { $0["state"] == .string("complete") }
        #expect(try printer.client.status("print_stats")["filename"] == .string("my \"odd\" file.gcode"))

        let usb = printer.directory.path + "/usb/long.gcode"
        try FileManager.default.createDirectory(atPath: printer.directory.path + "/usb", withIntermediateDirectories: true)
        try Self.moves(40).write(toFile: usb, atomically: true, encoding: .utf8)
        try printer.client.script("SDCARD_PRINT_FILE FILENAME=\(usb)")
        let sdcard = try printer.client.status("virtual_sdcard")
        #expect(sdcard["file_path"] == .string(usb))
        #expect(sdcard["is_active"] == .bool(true))
        #expect(try printer.client.errorMessage("gcode/script", #"{"script":"SDCARD_PRINT_FILE FILENAME=x.gcode"}"#) == "SD busy")
        #expect(try printer.client.errorMessage("gcode/script", #"{"script":"SDCARD_PRINT_FILE FILENAME=\"x"}"#)
                == "Malformed command 'SDCARD_PRINT_FILE FILENAME=\"x'")
    }

    @Test func pauseResumeAndCancel() throws {
        let printer = try start(["--speed", "50", "--heat-rate", "instant"], files: ["long.gcode": "M104 S50\n" + Self.moves(200)])
        let client = printer.client
        try client.script("SDCARD_PRINT_FILE FILENAME=long.gcode")
        try client.waitForStatus("virtual_sdcard") { ($0["file_position"]?.doubleValue ?? 0) > 0 }
        #expect(try client.result("pause_resume/pause") == .object(JSONObject()))
        #expect(try client.status("print_stats")["state"] == .string("paused"))
        let paused = try client.status("virtual_sdcard")
        #expect(paused["is_active"] == .bool(false))
        #expect(try client.result("pause_resume/pause") == .object(JSONObject()), "pausing again is a no-op")
        try client.waitForSimulatorClock(toAdvanceBy: 0.15)
        #expect(try client.status("virtual_sdcard")["file_position"] == paused["file_position"], "nothing runs while paused")
        _ = try client.result("pause_resume/resume")
        try client.waitForStatus("virtual_sdcard") {
            ($0["file_position"]?.doubleValue ?? 0) > (paused["file_position"]?.doubleValue ?? 0)
        }
        #expect(try client.status("print_stats")["state"] == .string("printing"))
        _ = try client.result("pause_resume/cancel")
        let stats = try client.status("print_stats")
        #expect(stats["state"] == .string("cancelled"))
        #expect(try client.status("extruder")["target"] == .number(0), "heaters off")
        #expect(try client.status("virtual_sdcard")["is_active"] == .bool(false))
        #expect(try client.errorMessage("pause_resume/pause") == "Print is not active")
        try client.waitForSimulatorClock(toAdvanceBy: 0.1)
        #expect(try client.status("print_stats")["state"] == .string("cancelled"), "a cancelled print stays cancelled")
    }

    @Test func closeDropsEveryClientAndThePrintGoesOn() throws {
        let printer = try start(["--speed", "100", "--fault", "close@3"], files: ["a.gcode": Self.moves(10)])
        let watcher = try KlipperConnection(printer.simulator.path)
        _ = try watcher.result("info")
        try printer.client.script("SDCARD_PRINT_FILE FILENAME=a.gcode")
        #expect(printer.client.waitForClose())
        #expect(watcher.waitForClose())
        let again = try KlipperConnection(printer.simulator.path)
        try again.waitForStatus("print_stats") { $0["state"] == .string("complete") }
    }

    @Test func silenceStopsRepliesAndPushesButKeepsTheConnection() throws {
        let printer = try start(["--update-interval", "20", "--fault", "silence@2"], files: ["a.gcode": Self.moves(10)])
        let client = printer.client
        _ = try client.result("objects/subscribe", #"{"objects":{"print_stats":["state"]}}"#)
        try client.script("SDCARD_PRINT_FILE FILENAME=a.gcode")
        client.request("info")
        // Requests are answered in order as they are handled: once the simulator has recorded
        // the later one, a reply to the first would already have been sent.
        let later = client.request("info")
        try printer.simulator.waitForTranscript("> {\"id\":\(later),\"method\":\"info\"}")
        #expect(client.unclaimedFramesNow().isEmpty, "at instant speed the second move came right after the reply")
        #expect(!client.isClosed)
    }

    /// Klippy's advice at the end of every shutdown message.
    private static let shutdownAdvice = """

        Once the underlying issue is corrected, use the
        "FIRMWARE_RESTART" command to reset the firmware, reload the
        config, and restart the host software.
        Printer is shutdown

        """

    /// As Klippy: the fault is in `webhooks` only; `print_stats` is left `paused` with its
    /// file (virtual_sdcard's reading stops and notes a pause); G-code is refused with the
    /// message until FIRMWARE_RESTART, which closes the connection and brings a ready
    /// Klippy with `print_stats` at `standby`.
    @Test func errorShutsTheMcuDownAndLeavesThePrintPaused() throws {
        let printer = try start(["--speed", "100", "--fault", "error@2"], files: ["a.gcode": Self.moves(10)])
        let client = printer.client
        try client.script("SDCARD_PRINT_FILE FILENAME=a.gcode")
        let webhooks = try client.waitForStatus("webhooks") { $0["state"] == .string("shutdown") }
        let message = try #require(webhooks["state_message"]?.stringValue)
        #expect(message.hasPrefix("MCU 'mcu' shutdown: Timer too close\nThis often indicates the host computer is overloaded."))
        #expect(message.hasSuffix(Self.shutdownAdvice))
        let stats = try client.status("print_stats")
        #expect(stats["state"] == .string("paused"))
        #expect(stats["filename"] == .string("a.gcode"))
        #expect(stats["message"] == .string(""))
        #expect(try client.status("virtual_sdcard")["is_active"] == .bool(false))
        #expect(try client.result("info")["state"] == .string("shutdown"))
        #expect(try client.status("toolhead")["position"]?.arrayFirst == .number(1), "only the first move ran")
        #expect(try client.errorMessage("gcode/script", #"{"script":"G90"}"#) == message)
        #expect(try client.errorMessage("pause_resume/cancel") == message)
        try client.script("FIRMWARE_RESTART")
        #expect(client.waitForClose(), "Klippy's host restarts and drops its clients")
        let again = try KlipperConnection(printer.simulator.path)
        #expect(try again.result("info")["state"] == .string("ready"))
        #expect(try again.status("print_stats")["state"] == .string("standby"))
        try again.script("SDCARD_PRINT_FILE FILENAME=a.gcode")
        _ = try again.waitForStatus("print_stats") { $0["state"] == .string("complete") }
    }

    @Test(arguments: [("emergency_stop", "Shutdown due to webhooks request"), ("M112", "Shutdown due to M112 command")])
    func emergencyStopShutsDown(how: String, cause: String) throws {
        let printer = try start()
        if how == "M112" {
            try printer.client.script("M112")
        } else {
            #expect(try printer.client.result(how) == .object(JSONObject()))
        }
        let webhooks = try printer.client.status("webhooks")
        #expect(webhooks["state"] == .string("shutdown"))
        #expect(webhooks["state_message"] == .string(cause + Self.shutdownAdvice))
        #expect(try printer.client.status("print_stats")["state"] == .string("standby"))
    }

    @Test func reorderHoldsScriptRepliesBack() throws {
        let printer = try start(["--reorder"])
        let script = printer.client.request("gcode/script", #"{"script":"G90"}"#)
        let info = printer.client.request("info")
        let first = try printer.client.take { $0["id"] != nil }
        #expect(first["id"] == .int(info))
        #expect(try printer.client.reply(to: script)["result"] == .object(JSONObject()))
    }
}

extension JSONValue {
    /// The first element, when this is a non-empty array.
    var arrayFirst: JSONValue? {
        if case .array(let items) = self { return items.first }
        return nil
    }
}
