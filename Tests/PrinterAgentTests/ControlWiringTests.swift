import AgentCore
import AgentJSON
import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// The controls with the Marlin backend on virtual time: what a client reads in the answers
/// and pushes, and what reached the board.
@Suite struct ControlWiringTests {
    /// The reports after the answer of the command whose msgid is `msgid`, for the same msgid.
    private func outcome(_ printer: MarlinPrinter, of msgid: String?) -> SeenReport? {
        printer.reports.last { $0.msgid == msgid && $0.state != nil }
    }

    @Test func homingIsAnsweredDoingThenDoneOnceTheBoardFinishedTheMove() throws {
        let printer = try MarlinPrinter()
        let answer = try #require(try printer.send("axis", "move", data: #"{"axis":5,"move_type":2,"distance":0}"#))
        #expect(answer.state == "doing" && answer.code == 200)
        #expect(printer.board.commands.suffix(1) == ["G28"], "M400 waits for G28's ok")
        try printer.advance(by: 10)
        #expect(printer.board.commands.suffix(2) == ["G28", "M400"])
        let done = try #require(outcome(printer, of: answer.msgid))
        #expect(done.state == "done" && done.code == 200 && done.topic.hasSuffix("/axis/report"))
        #expect(done.fields["action"]?.stringValue == "move")
    }

    @Test func jogGoesRelativeAndBackAndAQueryReadsThePosition() throws {
        let printer = try MarlinPrinter(["axis_map = 1:Y,2:X,3:Z,4:XYZ"])
        try printer.send("axis", "move", data: #"{"axis":1,"move_type":0,"distance":2.5}"#)
        try printer.advance(by: 20)
        #expect(printer.board.commands.suffix(4) == ["G91", "G1 Y-2.5 F3000", "G90", "M400"])
        #expect(try printer.send("axis", "query") == nil, "one answer, once the board answered M114")
        try printer.advance(by: 10)
        let done = try #require(printer.reports.last { $0.topic.hasSuffix("/axis/report") && $0.fields["action"]?.stringValue == "query" })
        #expect(done.state == "done")
        #expect(done.msgid == printer.reports.last { $0.topic.hasSuffix("/response") }?.msgid, "the query's msgid")
        #expect(done.fields["data"]?["coordinates"]?["x"] == .number(10))
        #expect(done.fields["data"]?["coordinates"]?["y"] == .number(20))
        #expect(done.fields["data"]?["coordinates"]?["z"] == .number(5))
    }

    @Test func movesAndTheConsoleAreRefusedDuringAPrintButTemperaturesAreSet() throws {
        let printer = try MarlinPrinter(["gcode_console = M503"])
        try printer.send("print", "start", data: #"{"taskid":"3","filename":"cube.gcode","filepath":"/"}"#)
        try printer.waitForPrint("printing")
        let sent = printer.board.commands.count
        let move = try #require(try printer.send("axis", "move", data: #"{"axis":1,"move_type":1,"distance":1}"#))
        #expect(move.state == "failed" && move.code == 10101)
        #expect(try printer.send("axis", "turnOff")?.code == 10101)
        #expect(try printer.send("gcode", "send", data: #"{"gcode":"M503"}"#)?.code == 10101)
        #expect(printer.board.commands.count == sent, "nothing was sent")
        let set = try #require(try printer.send("tempature", "set", data: #"{"target_nozzle_temp":205}"#))
        #expect(set.state == "done" && set.code == 200)
        #expect(set.fields["data"]?["target_nozzle_temp"] == .number(205))
        try printer.advance(by: 50)
        #expect(printer.board.commands.contains("M104 S205.00"), "between the file's lines")
        let fan = try #require(try printer.send("fan", "setSpeed", data: #"{"fan_speed_pct":30}"#))
        #expect(fan.state == "done" && fan.fields["data"]?["fan_speed_pct"] == .int(30))
        try printer.advance(by: 50)
        #expect(printer.board.commands.contains("M106 S77"))
    }

    @Test func consoleSendsAllowedLinesAndAnswersWithTheBoardsWords() throws {
        let printer = try MarlinPrinter(["gcode_console = M503 G28"])
        let answer = try #require(try printer.send("gcode", "send", data: #"{"gcode":"M503"}"#))
        #expect(answer.state == "doing")
        try printer.advance(by: 10)
        let done = try #require(outcome(printer, of: answer.msgid))
        #expect(done.state == "done")
        #expect(done.fields["data"]?["lines"] == .array([.string("echo:; Steps per unit:"), .string("echo:  M92 X80.00 Y80.00 Z400.00 E93.00")]))
        let sent = printer.board.commands.count
        let refused = try #require(try printer.send("gcode", "send", data: #"{"gcode":"G28\nM502"}"#))
        #expect(refused.code == 403)
        #expect(refused.fields["msg"]?.stringValue == "M502 is not allowed on this printer's console; allowed: M503 G28 (gcode_console)")
        try printer.advance(by: 10)
        #expect(printer.board.commands.count == sent, "not even the allowed first line was sent")
    }

    @Test func aMoveFailsWhenTheBoardGoesAway() throws {
        let printer = try MarlinPrinter()
        let answer = try #require(try printer.send("axis", "move", data: #"{"axis":3,"move_type":2}"#))
        printer.board.close("unplugged")
        try printer.advance(by: 10)
        let failed = try #require(outcome(printer, of: answer.msgid))
        #expect(failed.state == "failed" && failed.code == 502)
        #expect(failed.fields["msg"]?.stringValue == "the serial connection closed: unplugged")
    }

    @Test func aLinuxLedIsScaledToItsMaximumAndQueriedBack() throws {
        let leds = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: leds.path + "/cam", withIntermediateDirectories: true)
        _ = try leds.write("cam/max_brightness", "255\n")
        let brightness = try leds.write("cam/brightness", "0\n")
        let printer = try MarlinPrinter(["leds_root = " + leds.path, "light_camera = led:cam", "light_head = marlin-m355"])
        let on = try #require(try printer.send("light", "control", data: #"{"type":3,"status":1,"brightness":50}"#))
        #expect(on.state == "done", "\(on.fields["msg"] ?? .null)")
        #expect(on.fields["data"].map(JSONCodec.print) == #"{"type":3,"status":1,"brightness":50}"#)
        #expect(try String(contentsOfFile: brightness, encoding: .utf8) == "128\n")
        let head = try #require(try printer.send("light", "control", data: #"{"type":1,"status":1,"brightness":100}"#))
        #expect(head.state == "done")
        try printer.advance(by: 10)
        #expect(printer.board.commands.contains("M355 S1 P255"))
        let query = try #require(try printer.send("light", "query"))
        #expect(query.state == "done")
        #expect(query.fields["data"].map(JSONCodec.print)
                == #"{"lights":[{"type":1,"status":1,"brightness":100},{"type":3,"status":1,"brightness":50}]}"#)
        let missing = try #require(try printer.send("light", "control", data: #"{"type":2,"status":1}"#))
        #expect(missing.code == 409)
    }
}
