import AgentCore
import Testing

/// `text` parsed as one controller line.
private func parse(_ text: String) -> MarlinReply { MarlinReply.parse(Array(text.utf8)) }

/// Readings of a nozzle and a bed.
private func readings(_ nozzle: Double?, _ nozzleTarget: Double?, _ bed: Double?, _ bedTarget: Double?) -> ControllerReadings {
    ControllerReadings(nozzleTemperature: nozzle, nozzleTarget: nozzleTarget, bedTemperature: bed, bedTarget: bedTarget)
}

/// The classification of every kind of line a Marlin-style controller sends.
@Suite struct MarlinReplyTests {
    @Test func plainAndAdvancedOksAreOks() {
        #expect(parse("ok") == .ok(nil))
        #expect(parse("ok\r") == .ok(nil))
        #expect(parse("ok N12 P15 B3") == .ok(nil))
        #expect(parse("ok P15 B3") == .ok(nil))
        #expect(parse("okay") != .ok(nil))
    }

    @Test func okAnsweringM105CarriesTheTemperatures() {
        #expect(parse("ok T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0") == .ok(readings(210, 210, 60, 60)))
        #expect(parse("ok T:21.5 /0.0 B:22.25 /0.0 T0:21.5 /0.0 @:0 B@:0 P:0.0 A:30.1")
            == .ok(readings(21.5, 0, 22.25, 0)))
    }

    @Test(arguments: ["Resend: 12", "Resend:12", "rs N12", "rs 12", "Resend: N12", "RESEND: 12"])
    func resendRequestsGiveTheLineNumber(line: String) {
        #expect(parse(line) == .resend(12))
    }

    @Test func aResendWithoutAUsableNumberIsNoResend() {
        #expect(parse("Resend: x") == .other("Resend: x"))
        #expect(parse("Resend: 99999999999999") == .other("Resend: 99999999999999"))
        #expect(parse("rs") == .other("rs"))
        #expect(parse("rsN12") == .other("rsN12"))
    }

    @Test(arguments: ["echo:busy: processing", "busy: paused for user", "echo:busy: paused for input"])
    func busyKeepalives(line: String) {
        #expect(parse(line) == .busy)
    }

    @Test func startIsExactlyStart() {
        #expect(parse("start") == .start)
        #expect(parse("start\r") == .start)
        #expect(parse("started") == .other("started"))
    }

    @Test func autoReportsAndHeatingWaitsAreTemperatures() {
        #expect(parse(" T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0") == .temperatures(readings(25, 0, 25, 0)))
        #expect(parse("T:200.1 /210.0 B:60.0 /60.0 @:127 B@:0 W:3") == .temperatures(readings(200.1, 210, 60, 60)))
        #expect(parse("T:200.1 E:0 W:?") == .temperatures(readings(200.1, nil, nil, nil)))
        #expect(parse("T:210.0/215.0 B:60.0/65.0") == .temperatures(readings(210, 215, 60, 65)))
        #expect(parse("B:-14.50 /0.00") == .temperatures(readings(nil, nil, -14.5, 0)))
    }

    @Test func multiExtruderReportsUseTheActiveToolElseTheFirst() {
        #expect(parse("T0:205.0 /210.0 T1:25.0 /0.0 B:60.0 /60.0 @0:0 @1:0")
            == .temperatures(readings(205, 210, 60, 60)))
        #expect(parse("T:180.0 /185.0 B:60.0 /60.0 T0:205.0 /210.0 T1:180.0 /185.0")
            == .temperatures(readings(180, 185, 60, 60)))
    }

    @Test func temperaturesLeaveTheFanUnknown() {
        guard case .temperatures(let found) = parse("T:25.0 /0.0 B:25.0 /0.0") else {
            Issue.record("not temperatures")
            return
        }
        #expect(found.fanSpeedPercent == nil)
    }

    @Test func capabilities() {
        #expect(parse("Cap:AUTOREPORT_TEMP:1") == .capability(name: "AUTOREPORT_TEMP", enabled: true))
        #expect(parse("Cap:EMERGENCY_PARSER:0") == .capability(name: "EMERGENCY_PARSER", enabled: false))
        #expect(parse("Cap:AUTOREPORT_TEMP:yes") == .other("Cap:AUTOREPORT_TEMP:yes"))
        #expect(parse("Cap::1") == .other("Cap::1"))
    }

    @Test func firmwareInfoIsTheWholeLine() {
        let line = "FIRMWARE_NAME:Marlin 2.1.2.1 (Jun  1 2023) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin "
            + "PROTOCOL_VERSION:1.0 MACHINE_TYPE:Kobra EXTRUDER_COUNT:1"
        #expect(parse(line) == .firmwareInfo(line))
    }

    @Test func hostActions() {
        #expect(parse("//action:pause") == .hostAction("pause"))
        #expect(parse("//action:prompt_begin Filament runout") == .hostAction("prompt_begin Filament runout"))
    }

    @Test func m113ReportsTheKeepaliveInterval() {
        #expect(parse("echo:M113 S2") == .keepaliveInterval(2_000))
        #expect(parse("echo:M113 S0.25") == .keepaliveInterval(250))
        #expect(parse("echo:M113 S0") == .keepaliveInterval(0))
        #expect(parse("echo:M113 S99999") == .echo("M113 S99999"), "beyond Marlin's 60 s")
    }

    @Test(arguments: [
        "Error:checksum mismatch, Last Line: 5",
        "Error:Line Number is not Last Line Number+1, Last Line: 5",
        "Error:No Checksum with line number, Last Line: 5",
        "Error:No Line Number with checksum, Last Line: 5",
        "Error:Missing checksum",
    ])
    func lineErrorsAreCommunicationErrors(line: String) {
        let expected = line.hasSuffix("Last Line: 5") ? 6 : nil
        #expect(parse(line) == .communicationError(String(line.dropFirst("Error:".count)), expectedRequest: expected,
                                                   fragment: line.hasPrefix("Error:No Line Number")))
    }

    /// A corrupted byte that became a line end cut the error short (found by
    /// MarlinLinkFaultTests: the print failed with "Line").
    @Test(arguments: ["Error:Line", "Error:Line Numb", "Error:checks", "Error:No Che", "Error:no line number w"])
    func lineErrorsCutShortAreStillCommunicationErrors(line: String) {
        #expect(parse(line) == .communicationError(String(line.dropFirst("Error:".count)), expectedRequest: nil,
                                                   fragment: line.lowercased().hasPrefix("error:no line number")))
    }

    @Test(arguments: [
        ("Error:Printer halted. kill() called!", "Printer halted. kill() called!"),
        ("Error:MINTEMP triggered, system stopped! Heater_ID: bed", "MINTEMP triggered, system stopped! Heater_ID: bed"),
        ("Error:Thermal Runaway, system stopped! Heater_ID: E0", "Thermal Runaway, system stopped! Heater_ID: E0"),
        ("error: something broke", "something broke"),
        ("!! Printer halted", "Printer halted"),
    ])
    func otherErrorsAreFatal(line: String, message: String) {
        #expect(parse(line) == .fatalError(message))
    }

    /// Found by fuzz/run: an error with no readable message failed the print with an empty
    /// `msg`, which tells the user nothing.
    @Test(arguments: ["Error:", "Error:\u{07}ine ", "!!", "!! \u{1B}[31m"])
    func fatalErrorsWithoutAMessageStillSaySomething(line: String) {
        #expect(parse(line) == .fatalError("the controller stopped with an error it did not describe"))
    }

    @Test func sdCardFailuresAreSurvived() {
        #expect(parse("Error:volume.init failed") == .nonFatalError("volume.init failed"))
        #expect(parse("Error:openRoot failed") == .nonFatalError("openRoot failed"))
    }

    @Test func echoAndOtherLines() {
        #expect(parse("echo:Unknown command: \"X1\"") == .echo("Unknown command: \"X1\""))
        #expect(parse("echo:  M92 X80.00 Y80.00") == .echo("M92 X80.00 Y80.00"))
        #expect(parse("") == .other(""))
    }

    @Test func m114PositionIsReadBeforeTheStepCounts() {
        #expect(parse("X:10.00 Y:-2.50 Z:5.00 E:0.00 Count X:800 Y:1600 Z:2000") == .position(AxisPosition(x: 10, y: -2.5, z: 5)))
        #expect(parse("X:1 Y:2 Z:3") == .position(AxisPosition(x: 1, y: 2, z: 3)))
        #expect(parse("X:1 Y:2 Count X:0 Y:0 Z:0") == .other("X:1 Y:2 Count X:0 Y:0 Z:0"), "no Z before Count")
        #expect(parse("X:a Y:2 Z:3") == .other("X:a Y:2 Z:3"))
    }

    @Test func garbageNeverCrashesAndIsOther() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = MarlinReply.parse(noise)
        }
        #expect(parse("T:abc /def B:--1") == .other("T:abc /def B:--1"))
        #expect(MarlinReply.parse([0xFF, 0xFE, 0x00, 0x6F, 0x6B]) == .other("\u{FFFD}\u{FFFD}"))
        #expect(MarlinReply.parse([0x6F, 0x6B, 0x20, 0xFF, 0x54, 0x3A]) == .ok(nil))
    }

    @Test func longLinesAreCut() {
        let line = "echo:" + String(repeating: "x", count: 5000)
        guard case .echo(let text) = parse(line) else {
            Issue.record("not an echo")
            return
        }
        #expect(text.utf8.count <= 512)
    }
}
