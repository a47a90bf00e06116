import AgentCore
import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// The print service and the Marlin backend together, on virtual time, with a board played
/// by the test: the PrusaSlicer cube (Tests/Fixtures) paused and resumed, and a board that
/// restarts in the middle of a print. What is checked is what a client would read in the
/// reports and what the board was sent.
@Suite struct MarlinWiringTests {
    /// A `.gcode.3mf` stopped before its extraction's first step: answered, the task fails
    /// as stopped, the extracted file is gone, and nothing of the plate ever reaches the board.
    @Test func aStopDuringTheExtractionRemovesItAndSendsNothingOfThePlate() throws {
        let printer = try MarlinPrinter()
        try ZipFixture.writeSliced(printer.storage.path + "/cube.gcode.3mf", plates: [try Fixture.data("cube.gcode")])
        #expect(try printer.send("print", "start", data: #"{"taskid":"3","filename":"cube.gcode.3mf"}"#)?.state == "checking")
        let extracted = { try FileManager.default.contentsOfDirectory(atPath: printer.storage.path).filter { $0.hasPrefix(".agent-extract-") } }
        #expect(try extracted().count == 1, "the extraction's file exists from the start")
        #expect(try printer.send("print", "stop", data: #"{"taskid":"3"}"#)?.state == "stoped")
        let failed = try #require(printer.reports.last { $0.state == "failed" })
        #expect(failed.code == 499)
        #expect(failed.fields["msg"]?.stringValue == "the print was stopped during the extraction; the partial file was removed")
        #expect(try extracted() == [])
        try printer.advance(by: 10_000)
        #expect(printer.printStates == ["checking", "stoped", "failed"])
        #expect(!printer.board.commands.contains { $0.hasPrefix("G1 ") }, "nothing of the plate reached the board")
    }

    @Test func pauseWaitsForTheBoardThenResumeStreamsOnToTheEnd() throws {
        let printer = try MarlinPrinter()
        #expect(try printer.send("print", "start", data: #"{"taskid":"7","filename":"cube.gcode","filepath":"/"}"#)?.state
                == "preheating")
        try printer.waitForPrint("printing")
        #expect(try printer.send("print", "pause", data: #"{"taskid":"7"}"#)?.state == "pausing")
        try printer.waitForPrint("paused")
        let sinceThePause = printer.board.commands(after: "G90")
        #expect(printer.board.commands.suffix(sinceThePause.count + 4).prefix(4) == ["M400", "G91", "G1 Z10 F600", "G90"],
                "the pause G-code went to the board")
        try printer.advance(by: 10_000)
        #expect(printer.board.commands(after: "G90").allSatisfy { $0.hasPrefix("M105") || $0.hasPrefix("M155") },
                "no line of the file while paused: \(printer.board.commands(after: "G90"))")

        #expect(try printer.send("print", "resume", data: #"{"taskid":"7"}"#)?.state == "resuming")
        try printer.waitForPrint("finished")
        #expect(printer.printStates == ["preheating", "printing", "pausing", "paused", "resuming", "resumed", "printing", "finished"])
        let file = Fixture.commands(of: try Fixture.data("cube.gcode"))
        let streamed = printer.board.commands.filter { !["M110 N0", "M115", "M155 S2", "M105"].contains($0) }
        #expect(streamed.filter { file.contains($0) }.count >= file.count, "every line of the file reached the board")
        #expect(try printer.send("print", "query") == nil, "print/query is silent once no job is active")
    }

    /// The board's own pause and resume (`//action:`, its display's buttons) go through the
    /// same decisions as the commands: the app sees pausing, paused, resuming, resumed.
    @Test func theBoardAskingToPauseAndResumeIsDecidedAsTheCommands() throws {
        let printer = try MarlinPrinter()
        try printer.send("print", "start", data: #"{"taskid":"5","filename":"cube.gcode","filepath":"/"}"#)
        try printer.waitForPrint("printing")
        printer.board.say("//action:pause")
        try printer.waitForPrint("paused")
        printer.board.say("//action:pause")
        printer.board.say("//action:resume")
        try printer.waitForPrint("resumed")
        #expect(printer.printStates == ["preheating", "printing", "pausing", "paused", "resuming", "resumed"])
        #expect(printer.rig.log.contains("the board asked to pause the print"), "a second pause while paused is only logged")
        printer.board.say("//action:cancel")
        try printer.waitForPrint("stoped")
    }

    @Test func aBoardThatRestartsFailsThePrintAndIsIdentifiedAgain() throws {
        let printer = try MarlinPrinter()
        try printer.send("print", "start", data: #"{"taskid":"8","filename":"cube.gcode","filepath":"/"}"#)
        try printer.waitForPrint("printing")
        let identifications = printer.board.commands.filter { $0 == "M110 N0" }.count
        printer.board.say("start")
        try printer.advance(by: 0)
        let failed = try #require(printer.reports.last { $0.state == "failed" })
        #expect(failed.code == 502)
        #expect(failed.fields["msg"]?.stringValue?.contains("restarted") == true)
        #expect(printer.reports.last?.topic.hasSuffix("/status/report") == true, "the free status follows")

        try printer.advance(by: 999)
        #expect(printer.board.commands.filter { $0 == "M110 N0" }.count == identifications,
                "the board is left to settle for a second")
        try printer.advance(by: 2_000)
        #expect(printer.board.commands.filter { $0 == "M110 N0" }.count == identifications + 1)
        #expect(try printer.send("print", "start", data: #"{"taskid":"9","filename":"cube.gcode","filepath":"/"}"#)?.state
                == "preheating", "it prints again once identified")
    }
}
