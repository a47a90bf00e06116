import Foundation
import Testing
import TestSupport

/// The Marlin simulator, talked to over its serial link the way a host talks to a board.
@Suite struct MarlinSimulatorTests {
    /// The temperature report of a board at rest.
    static let cold = "T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0"

    @Test func opensSilentlyAndAnswersM105() throws {
        let board = try MarlinBoard()
        #expect(board.simulator.path.hasSuffix("/tty"))
        // Lines come out in order: the first line being M105's answer shows nothing was
        // printed when the port opened.
        board.link.send("M105")
        #expect(try board.link.readLine() == "ok " + Self.cold, "nothing is printed when the port opens")
        board.link.send("M999 P1")
        #expect(try board.link.readUntilOk() == ["echo:Unknown command: \"M999 P1\"", "ok"])
    }

    @Test func aBadChecksumAsksForTheSameLineAgain() throws {
        let board = try MarlinBoard()
        board.link.send(1, "M105")
        #expect(try board.link.readUntilOk() == ["ok " + Self.cold])
        board.link.send("N2 M105*1")
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        board.link.send(2, "M105")
        #expect(try board.link.readUntilOk() == ["ok " + Self.cold])
    }

    @Test func aRefusedLineFlushesTheLinesSentBehindIt() throws {
        let board = try MarlinBoard()
        board.link.send([SerialLink.numbered(1, "G90"), "N2 G90*1", SerialLink.numbered(3, "G91")].joined(separator: "\n"))
        #expect(try board.link.readUntilOk() == ["ok"])
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        // A refusal of line 3 would come before the answer to the resent line 2.
        board.link.send(2, "G90")
        #expect(try board.link.readUntilOk() == ["ok"], "line 3 was flushed, not refused")
    }

    @Test func bytesThatFindTheReceiveBufferFullAreLost() throws {
        let board = try MarlinBoard(["--speed", "20", "--rx-buffer", "64"])
        // 4 moves fill the command queue, the next 64 bytes the receive buffer; the rest is lost.
        board.link.send((1...12).map { SerialLink.numbered($0, "G1 X\($0) Y\($0)") }.joined(separator: "\n"))
        // The burst arrives at once: by the overflow note every line the board kept is in the
        // transcript, and each gets one answer.
        try board.simulator.waitForTranscript("# receive buffer overflow: a byte was lost")
        let taken = board.simulator.transcript.split(separator: "\n").filter { $0.hasPrefix("> ") }.count
        let lines = try (0..<taken).map { _ in try board.link.readLine() }
        #expect(lines.allSatisfy { $0 == "ok" }, "\(lines)")
        #expect((4...9).contains(lines.count), "only the lines that fitted ran: \(lines)")
        board.link.send(13, "G1 X13")
        let refusal = try board.link.readUntilOk()
        #expect(refusal.contains { $0.hasPrefix("Resend: ") }, "the host is asked for the first line it lost: \(refusal)")
    }

    @Test func aLineNumberOutOfOrderAsksForTheNextOne() throws {
        let board = try MarlinBoard()
        board.link.send(1, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(3, "G90")
        #expect(try board.link.readUntilOk() == ["Error:Line Number is not Last Line Number+1, Last Line: 1", "Resend: 2", "ok"])
        board.link.send("N2 G90")
        #expect(try board.link.readUntilOk() == ["Error:No Checksum with line number, Last Line: 1", "Resend: 2", "ok"])
    }

    @Test func m110SetsTheLineNumberWithOrWithoutANumberOfItsOwn() throws {
        let board = try MarlinBoard()
        board.link.send("M110 N41")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(42, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(7, "M110 N100")
        #expect(try board.link.readUntilOk() == ["ok"], "M110 is taken whatever its own line number")
        board.link.send(101, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(0, "M110")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(1, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
    }

    @Test func m115ListsTheFirmwareAndItsCapabilities() throws {
        let board = try MarlinBoard()
        board.link.send("M115")
        let lines = try board.link.readUntilOk()
        #expect(lines.first?.hasPrefix("FIRMWARE_NAME:Marlin 2.1.2.1 (printer-sim) SOURCE_CODE_URL:") == true)
        #expect(lines.first?.contains("EXTRUDER_COUNT:1 UUID:") == true)
        for capability in ["SERIAL_XON_XOFF:0", "EEPROM:1", "AUTOREPORT_TEMP:1", "HOST_ACTION_COMMANDS:1", "EMERGENCY_PARSER:1"] {
            #expect(lines.contains("Cap:" + capability), "\(capability) in \(lines)")
        }
        #expect(lines.last == "ok")
    }

    @Test func m114ReportsThePositionAndM503TheSettings() throws {
        let board = try MarlinBoard()
        board.link.send("G1 X10 Y2.5 Z0.4")
        _ = try board.link.readUntilOk()
        board.link.send("M114")
        #expect(try board.link.readUntilOk() == ["X:10.00 Y:2.50 Z:0.40 E:0.00 Count X:800 Y:200 Z:160", "ok"])
        board.link.send("M503")
        let settings = try board.link.readUntilOk()
        #expect(settings.contains("echo:  M92 X80.00 Y80.00 Z400.00 E93.00") && settings.last == "ok")
        board.link.send("M106 P1 S255")
        _ = try board.link.readUntilOk()
        board.link.send("M355 S1 P128")
        #expect(try board.link.readUntilOk() == ["ok"], "the case light is known")
    }

    @Test func withoutAutoreportM155IsUnknown() throws {
        let board = try MarlinBoard(["--autoreport", "no"])
        board.link.send("M115")
        #expect(try board.link.readUntilOk().contains("Cap:AUTOREPORT_TEMP:0"))
        board.link.send("M155 S2")
        #expect(try board.link.readUntilOk() == ["echo:Unknown command: \"M155 S2\"", "ok"])
    }

    @Test func m155ReportsTemperaturesUntilS0() throws {
        let board = try MarlinBoard(["--heat-rate", "instant", "--speed", "100"])
        board.link.send("M140 S60")
        board.link.send("M155 S1")
        #expect(try board.link.readUntilOk() == ["ok"])
        #expect(try board.link.readUntilOk() == ["ok"])
        let started = Date()
        #expect(try board.link.readLine(timeout: 2) == " T:25.0 /0.0 B:60.0 /60.0 @:0 B@:0")
        #expect(Date().timeIntervalSince(started) > 0.8)
        board.link.send("M155 S0")
        #expect(try board.link.readUntilOk().allSatisfy { $0 == "ok" || $0.hasPrefix(" T:") })
        #expect(try board.link.dwell(seconds: 1.2) == ["ok"], "no report during a dwell longer than the interval")
    }

    @Test func m109WaitsForTheHotendWithTemperatureLines() throws {
        let board = try MarlinBoard(["--heat-rate", "40"])
        let started = Date()
        board.link.send("M109 S65")
        let lines = try board.link.readUntilOk(timeout: 5)
        let waited = Date().timeIntervalSince(started)
        #expect(waited > 0.9 && waited < 2, "40 °C at 40 °C/s, less the 0.5 °C window: \(waited) s")
        #expect(lines.first == " T:25.0 /65.0 B:25.0 /0.0 @:0 B@:0 W:?")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix(" T:") && $0.hasSuffix(" W:?") }, "\(lines)")
        #expect(lines.last == "ok")
        board.link.send("M190 S26")
        #expect(try board.link.readUntilOk().last == "ok")
        board.link.send("M109 S30")
        #expect(try board.link.readUntilOk() == ["ok"], "M109 S does not wait for cooling")
    }

    @Test func m108EndsAWaitAndM112Halts() throws {
        let board = try MarlinBoard(["--heat-rate", "1"])
        board.link.send("M109 S200")
        #expect(try board.link.readLine().hasSuffix("W:?"))
        board.link.send("M108")
        #expect(try board.link.readUntilOk().last == "ok")
        #expect(try board.link.readUntilOk() == ["ok"], "the M108 itself")
        board.link.send("M112")
        #expect(try board.link.readLine() == "Error:Printer halted. kill() called!")
        #expect(try board.link.linesAfterIgnored("M105", simulator: board.simulator).isEmpty)
    }

    @Test func movesTakeTimeAndLongCommandsSendBusy() throws {
        let board = try MarlinBoard(["--speed", "4", "--busy-interval", "0.3"])
        var started = Date()
        board.link.send("G1 X10")
        #expect(try board.link.readUntilOk() == ["ok"])
        #expect(Date().timeIntervalSince(started) > 0.2)
        started = Date()
        board.link.send("G28")
        let lines = try board.link.readUntilOk()
        #expect(Date().timeIntervalSince(started) > 0.7, "G28 counts as three moves")
        #expect(lines.filter { $0 == "echo:busy: processing" }.count >= 2, "\(lines)")
        #expect(lines.last == "ok")
    }

    @Test func dropOkExecutesTheMoveWithoutAnswering() throws {
        let board = try MarlinBoard(["--fault", "drop-ok@2"])
        board.link.send("G1 X1")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send("G1 X2")
        // The ok of G1 X2, were it sent, would come before the answer to the M105.
        board.link.send("M105")
        #expect(try board.link.readUntilOk() == ["ok " + Self.cold])
    }

    @Test func corruptRefusesAMoveOnceAndResentCopiesDoNotCount() throws {
        let board = try MarlinBoard(["--fault", "corrupt@2", "--fault", "corrupt@3"])
        board.link.send(1, "G1 X1")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(2, "G1 X2")
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        board.link.send(2, "G1 X2")
        #expect(try board.link.readUntilOk() == ["ok"], "the resent copy is fine")
        board.link.send(3, "G1 X3")
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 2", "Resend: 3", "ok"], "the third new move")
        board.link.send(3, "G1 X3")
        #expect(try board.link.readUntilOk() == ["ok"])
        try board.simulator.waitForTranscript("< Resend: 3")
    }

    @Test func aResendStormRefusesTheMoveKTimes() throws {
        let board = try MarlinBoard(["--fault", "resend-storm@1:3"])
        for _ in 1...3 {
            board.link.send(1, "G1 X1")
            #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 0", "Resend: 1", "ok"])
        }
        board.link.send(1, "G1 X1")
        #expect(try board.link.readUntilOk() == ["ok"])
    }

    @Test func busyMakesAMoveSlowWithKeepalives() throws {
        let board = try MarlinBoard(["--fault", "busy@1:0.8", "--busy-interval", "0.25"])
        let started = Date()
        board.link.send("G1 X1")
        let lines = try board.link.readUntilOk()
        #expect(Date().timeIntervalSince(started) > 0.75)
        #expect(lines.dropLast().allSatisfy { $0 == "echo:busy: processing" } && lines.count >= 3, "\(lines)")
    }

    @Test func resetRebootsTheBoardAndForgetsItsState() throws {
        let board = try MarlinBoard(["--fault", "reset@2", "--heat-rate", "instant", "--speed", "100"])
        board.link.send(1, "M104 S200")
        board.link.send(2, "M155 S1")
        board.link.send(3, "G1 X1")
        board.link.send(4, "M105")
        #expect(try board.link.readLines { $0.hasPrefix("ok T:") } == ["ok", "ok", "ok", "ok T:200.0 /200.0 B:25.0 /0.0 @:0 B@:0"])
        board.link.send(5, "G1 X2")
        let boot = try board.link.readLines { $0.hasPrefix("echo:Free Memory:") }.filter { !$0.hasPrefix(" T:") }
        #expect(boot.first == "start")
        #expect(boot.contains("echo:Marlin 2.1.2.1"))
        #expect(boot.contains { $0.hasPrefix("echo: Last Updated:") })
        board.link.send(1, "M105")
        #expect(try board.link.readUntilOk() == ["ok " + Self.cold], "numbering restarts, targets are off")
        #expect(try board.link.dwell(seconds: 1.2, line: 2) == ["ok"], "auto-report is off")
    }

    @Test func silenceStopsAllOutput() throws {
        let board = try MarlinBoard(["--fault", "silence@2"])
        board.link.send("G1 X1")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send("G1 X2")
        #expect(try board.link.linesAfterIgnored("M105", simulator: board.simulator).isEmpty)
    }

    @Test func haltPrintsKillAndNeverAnswersAgain() throws {
        let board = try MarlinBoard(["--fault", "halt@2"])
        board.link.send("G1 X1")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send("G1 X2")
        #expect(try board.link.readLine() == "Error:Printer halted. kill() called!")
        #expect(try board.link.linesAfterIgnored("M105", simulator: board.simulator).isEmpty)
    }

    @Test func actionFollowsTheOkOfTheMove() throws {
        let board = try MarlinBoard(["--fault", "action@2:pause"])
        board.link.send("G1 X1")
        board.link.send("G1 X2")
        board.link.send("M105")
        #expect(try board.link.readLines { $0.hasPrefix("ok T:") } == ["ok", "ok", "//action:pause", "ok " + Self.cold])
    }

    @Test func thePortCanBeClosedAndOpenedAgain() throws {
        let directory = try TemporaryDirectory()
        let simulator = try PrinterSimulator.marlin(directory: directory)
        for _ in 1...3 {
            let link = try SerialLink(simulator.path)
            link.send("M105")
            #expect(try link.readUntilOk() == ["ok " + Self.cold])
        }
    }

    @Test func theTranscriptHasBothDirections() throws {
        let board = try MarlinBoard()
        board.link.send(1, "M105")
        _ = try board.link.readUntilOk()
        try board.simulator.waitForTranscript("> \(SerialLink.numbered(1, "M105"))\n< ok \(Self.cold)\n")
    }

    @Test func sigtermExitsZeroAndRemovesTheLink() throws {
        let board = try MarlinBoard()
        let path = board.simulator.path
        #expect(board.simulator.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
