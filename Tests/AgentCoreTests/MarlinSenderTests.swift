import AgentCore
import Testing

private typealias Action = MarlinSender.Action

/// `text`'s bytes.
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The write of line `number` holding `command`.
private func write(_ number: Int, _ command: String) -> Action {
    .write(MarlinLine.numbered(number, bytes(command)))
}

/// The actions other than log lines.
private func withoutLogs(_ actions: [Action]) -> [Action] {
    actions.filter { if case .log = $0 { return false } else { return true } }
}

/// The log lines among `actions`.
private func logs(_ actions: [Action]) -> [(LogLevel, String)] {
    actions.compactMap { action in
        if case .log(let level, let line) = action { return (level, line) }
        return nil
    }
}

/// The message of the one `failed` action among `actions`, if any.
private func failure(_ actions: [Action]) -> String? {
    actions.compactMap { action -> String? in
        if case .failed(let message) = action { return message }
        return nil
    }.first
}

/// A test's sender with its clock: each call feeds the sender at `now`.
private struct Harness {
    var sender: MarlinSender
    var now: Int64 = 0

    init(limits: MarlinSender.Limits = MarlinSender.Limits()) { sender = MarlinSender(limits: limits) }

    /// A sender whose numbering has started and whose M110 was acknowledged.
    static func ready(limits: MarlinSender.Limits = MarlinSender.Limits()) -> Harness {
        var harness = Harness(limits: limits)
        _ = harness.sender.restartNumbering(now: 0)
        _ = harness.receive("ok")
        return harness
    }

    mutating func send(_ command: String) -> [Action] { sender.send(bytes(command), now: now) }
    mutating func receive(_ line: String) -> [Action] { sender.received(bytes(line), now: now) }
    mutating func receive(bytes line: [UInt8]) -> [Action] { sender.received(line, now: now) }
    mutating func tick(at time: Int64) -> [Action] {
        now = time
        return sender.tick(now: time)
    }

    /// Sends `command` and has it acknowledged.
    mutating func sendAcknowledged(_ command: String) {
        _ = send(command)
        _ = receive("ok")
    }
}

/// Flow control with a Marlin controller: one line in flight, resends, timeouts, resets.
@Suite struct MarlinSenderTests {
    @Test func nothingIsSentBeforeNumberingStarts() {
        var harness = Harness()
        #expect(!harness.sender.canSend)
        #expect(harness.sender.isIdle)
        let refused = harness.send("G28")
        #expect(withoutLogs(refused).isEmpty)
        #expect(logs(refused).first?.1.contains("numbering") == true)
    }

    @Test func normalFlowKeepsOneLineInFlight() {
        var harness = Harness()
        #expect(harness.sender.restartNumbering(now: 0) == [.write(bytes("N0 M110 N0*125\n"))])
        #expect(!harness.sender.canSend)
        #expect(!harness.sender.isIdle)
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
        #expect(harness.sender.isIdle)
        #expect(harness.send("G28") == [write(1, "G28")])
        #expect(!harness.sender.canSend)
        let refused = harness.send("G1 X10")
        #expect(withoutLogs(refused).isEmpty)
        #expect(logs(refused).first?.0 == .warning)
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G1 X10") == [write(2, "G1 X10")])
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
    }

    @Test func commandsWithLineBreaksOrNothingAreRefused() {
        var harness = Harness.ready()
        #expect(withoutLogs(harness.send("")).isEmpty)
        #expect(withoutLogs(harness.send("G28\nG1 X1")).isEmpty)
        #expect(harness.sender.canSend)
    }

    @Test func okWithTemperaturesGivesReadingsAndFreesTheSlot() {
        var harness = Harness.ready()
        _ = harness.send("M105")
        let actions = harness.receive("ok T:210.0 /215.0 B:60.0 /65.0 @:0 B@:0")
        #expect(actions == [.readings(ControllerReadings(nozzleTemperature: 210, nozzleTarget: 215,
                                                         bedTemperature: 60, bedTarget: 65))])
        #expect(harness.sender.canSend)
    }

    @Test func surplusOkIsIgnored() {
        var harness = Harness.ready()
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
        #expect(harness.send("G28") == [write(1, "G28")])
    }

    @Test func resendOfOneLineRewritesItAndIgnoresTheRequestsOk() {
        var harness = Harness.ready()
        harness.sendAcknowledged("G28")
        harness.sendAcknowledged("G1 Z5")
        _ = harness.send("G1 X10")
        let error = harness.receive("Error:checksum mismatch, Last Line: 2")
        #expect(logs(error).map(\.0) == [.debug])
        #expect(withoutLogs(harness.receive("Resend: 3")) == [write(3, "G1 X10")])
        #expect(!harness.sender.canSend)
        #expect(harness.receive("ok") == [], "the request's own ok")
        #expect(!harness.sender.canSend)
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
        #expect(harness.send("G1 X20") == [write(4, "G1 X20")])
    }

    @Test func resendOfSeveralLinesRewritesThemOnePerOk() {
        var harness = Harness.ready()
        harness.sendAcknowledged("G28")
        harness.sendAcknowledged("G1 Z5")
        _ = harness.send("G1 X10")
        #expect(withoutLogs(harness.receive("rs N1")) == [write(1, "G28")])
        #expect(harness.receive("ok") == [], "the request's own ok")
        #expect(harness.receive("ok") == [write(2, "G1 Z5")])
        #expect(harness.receive("ok") == [write(3, "G1 X10")])
        #expect(!harness.sender.canSend)
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
        #expect(harness.sender.isIdle)
    }

    @Test func resendOfTheM110LineRewritesIt() {
        var harness = Harness()
        _ = harness.sender.restartNumbering(now: 0)
        #expect(withoutLogs(harness.receive("Resend: 0")) == [.write(bytes("N0 M110 N0*125\n"))])
        #expect(harness.receive("ok") == [])
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G28") == [write(1, "G28")])
    }

    @Test func resendForALineNeverSentIsTakenAsAnOk() {
        var harness = Harness.ready()
        _ = harness.send("G28")
        let actions = harness.receive("Resend: 2")
        #expect(withoutLogs(actions).isEmpty)
        #expect(logs(actions).first?.0 == .warning)
        #expect(harness.sender.canSend)
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G1 X1") == [write(2, "G1 X1")])
    }

    @Test func resendForALineNoLongerKeptIsIgnored() {
        var limits = MarlinSender.Limits()
        limits.historyLength = 4
        var harness = Harness.ready(limits: limits)
        for index in 1...9 { harness.sendAcknowledged("G1 X\(index)") }
        _ = harness.send("G1 X10")
        let actions = harness.receive("Resend: 3")
        #expect(withoutLogs(actions).isEmpty)
        #expect(logs(actions).first?.1.contains("no longer kept") == true)
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
        // The four newest lines are kept.
        _ = harness.send("G1 X11")
        #expect(withoutLogs(harness.receive("Resend: 8")) == [write(8, "G1 X8")])
    }

    @Test func tooManyResendsOfOneLineFail() throws {
        var harness = Harness.ready()
        _ = harness.send("G1 X10")
        for _ in 1...10 {
            #expect(withoutLogs(harness.receive("Resend: 1")) == [write(1, "G1 X10")])
            #expect(harness.receive("ok") == [])
        }
        let actions = harness.receive("Resend: 1")
        let message = try #require(failure(actions))
        #expect(message.contains("line 1"))
        #expect(message.contains("resent 10 times"))
        #expect(harness.sender.hasFailed)
        #expect(!harness.sender.canSend)
        #expect(harness.receive("ok") == [])
        #expect(harness.tick(at: 1_000_000) == [])
        #expect(withoutLogs(harness.send("G28")).isEmpty)
    }

    @Test func aLineNumberOutOfStepFailsInsteadOfLoopingForever() throws {
        var harness = Harness.ready()
        for index in 1...10 {
            _ = harness.send("G1 X\(index)")
            _ = harness.receive("Resend: 5001")
            _ = harness.receive("ok")
        }
        _ = harness.send("G1 X11")
        let message = try #require(failure(harness.receive("Resend: 5001")))
        #expect(message.contains("line 5001"))
        #expect(message.contains("never sent"))
    }

    @Test func silenceWritesTicklesThenFails() throws {
        var harness = Harness.ready()
        _ = harness.send("G28")
        #expect(harness.tick(at: 29_999) == [])
        var number = 2
        for time in stride(from: Int64(30_000), through: 120_000, by: 30_000) {
            let actions = harness.tick(at: time)
            #expect(withoutLogs(actions) == [write(number, "M105")], "at \(time)")
            #expect(logs(actions).first?.0 == .warning)
            #expect(harness.tick(at: time + 29_999) == [])
            number += 1
        }
        let actions = harness.tick(at: 150_000)
        #expect(failure(actions) == "the printer stopped answering: no reply for 150 s")
        #expect(harness.sender.hasFailed)
        #expect(harness.tick(at: 300_000) == [])
    }

    @Test func anyLineReceivedStartsTheSilenceAndTheCountOver() throws {
        var harness = Harness.ready()
        _ = harness.send("G28")
        _ = harness.tick(at: 30_000)
        _ = harness.tick(at: 60_000)
        _ = harness.receive("echo:still here")
        #expect(harness.tick(at: 89_999) == [])
        for time in stride(from: Int64(90_000), through: 180_000, by: 30_000) {
            #expect(failure(harness.tick(at: time)) == nil, "at \(time)")
        }
        #expect(failure(harness.tick(at: 210_000)) == "the printer stopped answering: no reply for 150 s")
    }

    @Test func autoReportsDoNotHideALostOk() {
        var harness = Harness.ready()
        _ = harness.send("G1 X10")
        for time in stride(from: Int64(2_000), through: 28_000, by: 2_000) {
            harness.now = time
            #expect(withoutLogs(harness.receive(" T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0")).count == 1)
        }
        #expect(withoutLogs(harness.tick(at: 30_000)) == [write(2, "M105")])
    }

    @Test func temperaturesWhileWaitingForAHeaterShowProgress() {
        var harness = Harness.ready()
        _ = harness.send("M109 S210")
        for time in stride(from: Int64(1_000), through: 90_000, by: 1_000) {
            harness.now = time
            _ = harness.receive(" T:150.0 /210.0 B:60.0 /60.0 @:127 B@:0 W:?")
            #expect(harness.tick(at: time + 500) == [])
        }
    }

    @Test func noTimeoutWhileNothingAwaitsAnOk() {
        var harness = Harness.ready()
        harness.sendAcknowledged("G28")
        #expect(harness.tick(at: 10_000_000) == [])
        #expect(harness.sender.canSend)
    }

    @Test func afterBusyTheTimeoutIsThreeSeconds() throws {
        var harness = Harness.ready()
        _ = harness.send("G28")
        #expect(!harness.sender.busySeen)
        harness.now = 1_000
        #expect(harness.receive("echo:busy: processing") == [])
        #expect(harness.sender.busySeen)
        #expect(harness.tick(at: 3_999) == [])
        #expect(withoutLogs(harness.tick(at: 4_000)) == [write(2, "M105")])
        #expect(harness.receive("ok") == [])
        _ = harness.send("G29")
        #expect(harness.tick(at: 6_999) == [])
        #expect(withoutLogs(harness.tick(at: 7_000)) == [write(4, "M105")])
        for time in [10_000, 13_000, 16_000] as [Int64] {
            #expect(failure(harness.tick(at: time)) == nil)
        }
        #expect(failure(harness.tick(at: 19_000)) == "the printer stopped answering: no reply for 15 s")
    }

    @Test func busyKeepalivesHoldOffTheTimeout() {
        var harness = Harness.ready()
        _ = harness.send("G29")
        for time in stride(from: Int64(2_000), through: 60_000, by: 2_000) {
            harness.now = time
            _ = harness.receive("echo:busy: processing")
            #expect(harness.tick(at: time + 1_000) == [])
        }
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
    }

    @Test func aTimeoutDuringAResendProbesAndTheBoardsAnswerResumesIt() {
        var harness = Harness.ready()
        harness.sendAcknowledged("G28")
        _ = harness.send("G1 X1")
        #expect(withoutLogs(harness.receive("Resend: 1")) == [write(1, "G28")])
        // The request's ok and the copy were lost: a numbered M105 asks where the board is.
        #expect(withoutLogs(harness.tick(at: 30_000)) == [write(3, "M105")])
        #expect(withoutLogs(harness.receive("Resend: 2")) == [write(2, "G1 X1")], "it had taken line 1")
        #expect(harness.receive("ok") == [])
        #expect(harness.receive("ok") == [write(3, "M105")])
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G1 X2") == [write(4, "G1 X2")])
    }

    @Test func startMeansTheControllerRebooted() {
        var harness = Harness.ready()
        harness.sendAcknowledged("G28")
        _ = harness.send("G1 X1")
        #expect(harness.receive("start") == [.controllerReset])
        #expect(!harness.sender.canSend)
        #expect(harness.sender.isIdle)
        #expect(harness.tick(at: 1_000_000) == [])
        #expect(withoutLogs(harness.send("G1 X1")).isEmpty)
        #expect(harness.sender.restartNumbering(now: harness.now) == [.write(bytes("N0 M110 N0*125\n"))])
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G1 X1") == [write(1, "G1 X1")])
    }

    @Test func restartingNumberingDropsAResend() {
        var harness = Harness.ready()
        _ = harness.send("G28")
        _ = harness.receive("Resend: 1")
        #expect(harness.sender.restartNumbering(now: 0) == [.write(bytes("N0 M110 N0*125\n"))])
        #expect(harness.receive("ok") == [])
        #expect(harness.sender.canSend)
    }

    @Test func aFatalErrorFailsWithTheControllersText() {
        var harness = Harness.ready()
        _ = harness.send("M109 S210")
        let actions = harness.receive("Error:Thermal Runaway, system stopped! Heater_ID: E0")
        #expect(actions == [.failed("Thermal Runaway, system stopped! Heater_ID: E0")])
        #expect(harness.sender.hasFailed)
        #expect(!harness.sender.canSend)
        #expect(harness.receive("Error:Printer halted. kill() called!") == [])
        #expect(harness.sender.restartNumbering(now: 0) == [])
    }

    @Test func reportsPassThrough() {
        var harness = Harness.ready()
        #expect(harness.receive(" T:25.0 /0.0 B:24.0 /0.0 @:0 B@:0")
            == [.readings(ControllerReadings(nozzleTemperature: 25, nozzleTarget: 0, bedTemperature: 24, bedTarget: 0))])
        #expect(harness.receive("Cap:AUTOREPORT_TEMP:1") == [.capability("AUTOREPORT_TEMP", true)])
        #expect(harness.receive("//action:pause") == [.hostAction("pause")])
        #expect(logs(harness.receive("FIRMWARE_NAME:Marlin 2.1.2")).map(\.0) == [.info])
        #expect(logs(harness.receive("echo:SD card ok")).map(\.0) == [.debug])
        #expect(logs(harness.receive("Error:volume.init failed")).map(\.0) == [.warning])
        #expect(harness.receive("") == [])
        #expect(harness.sender.canSend)
    }

    @Test func garbageLinesNeverBreakTheFlow() {
        var harness = Harness.ready()
        _ = harness.send("G28")
        var state: UInt32 = 12_345
        for length in 0..<300 {
            let noise = (0..<length).map { _ -> UInt8 in
                state = state &* 1_103_515_245 &+ 12_345
                return UInt8(truncatingIfNeeded: state >> 16)
            }
            let actions = harness.receive(bytes: noise)
            #expect(actions.allSatisfy { if case .log = $0 { return true } else { return false } })
        }
        _ = harness.receive(bytes: [UInt8](repeating: 0xFF, count: 10_000))
        #expect(!harness.sender.hasFailed)
        #expect(!harness.sender.canSend)
        #expect(harness.receive("ok") == [])
        #expect(harness.send("G1 X1") == [write(2, "G1 X1")])
    }
}
