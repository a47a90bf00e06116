import AgentCore
import Testing

/// The Marlin session's connection: the handshake, temperatures, the agent's commands, the
/// board going away or restarting.
@Suite struct MarlinSessionTests {
    @Test func handshakeLearnsAutoReportBeforeTheBoardIsReady() {
        var harness = SessionHarness()
        #expect(harness.session.unavailableReason(linkProblem: "no such port")
            == "the motion controller is not connected (no such port)")
        harness.take(harness.session.opened(now: 0))
        #expect(harness.written == ["M110 N0"])
        #expect(harness.session.unavailableReason(linkProblem: "") == "the motion controller does not answer yet")
        harness.receive("ok")
        #expect(harness.written == ["M110 N0", "M115"])
        harness.receive("Cap:AUTOREPORT_TEMP:1")
        harness.receive("ok")
        #expect(harness.written == ["M110 N0", "M115", "M155 S2"])
        #expect(harness.session.unavailableReason(linkProblem: "") == nil)
        harness.tick(at: 10_000)
        #expect(harness.written.count == 3, "an auto-reporting board is not polled")
    }

    @Test func aBoardWithKeepaliveIsAskedItsIntervalBeforeItIsReady() {
        var harness = SessionHarness()
        harness.take(harness.session.opened(now: 0))
        harness.receive("ok")
        harness.receive("Cap:HOST_KEEPALIVE:1")
        harness.receive("ok")
        #expect(harness.written == ["M110 N0", "M115", "M113"])
        #expect(harness.session.unavailableReason(linkProblem: "") != nil)
        harness.receive("echo:M113 S2")
        harness.receive("ok")
        #expect(harness.session.unavailableReason(linkProblem: "") == nil)
    }

    @Test func boardWithoutAutoReportIsPolledEveryTwoSeconds() {
        var harness = SessionHarness.ready()
        harness.tick(at: 1_999)
        #expect(harness.written.isEmpty)
        harness.tick(at: 2_000)
        #expect(harness.written == ["M105"])
        harness.receive("ok T:200.0 /210.0 B:60.0 /60.0")
        #expect(harness.events == [.readings(ControllerReadings(nozzleTemperature: 200, nozzleTarget: 210,
                                                                bedTemperature: 60, bedTarget: 60))])
        harness.tick(at: 3_000)
        harness.tick(at: 4_000)
        #expect(harness.written == ["M105", "M105"])
    }

    @Test func readingsAreMergedAndToldWhenTheyChange() {
        var harness = SessionHarness.ready(autoReport: true)
        harness.receive(" T:20.0 /0.0 B:21.0 /0.0 @:0 B@:0")
        harness.receive(" T:20.0 /0.0 B:21.0 /0.0 @:0 B@:0")
        harness.take(harness.session.apply(PrintSettings(fanPercent: 50), now: 0))
        #expect(harness.written == ["M106 S128"])
        let temperatures = ControllerReadings(nozzleTemperature: 20, nozzleTarget: 0, bedTemperature: 21, bedTarget: 0)
        var withFan = temperatures
        withFan.fanSpeedPercent = 50
        #expect(harness.events == [.readings(temperatures), .readings(withFan)])
    }

    @Test func settingsBabystepTheChangeOfTheZOffset() {
        var harness = SessionHarness.ready()
        harness.start(moves(10))
        harness.take(harness.session.apply(PrintSettings(nozzleTarget: 215, zOffset: 0.1), now: 0))
        harness.ok(3)
        harness.take(harness.session.apply(PrintSettings(speedMode: 3, zOffset: 0.25), now: 0))
        harness.ok(3)
        #expect(harness.written.filter { !$0.hasPrefix("G1 X") } == ["M104 S215.00", "M290 Z0.10", "M220 S150", "M290 Z0.15"])
    }

    @Test func boardResetFailsThePrintAndIdentifiesAgainOnceSettled() {
        var harness = SessionHarness.ready()
        harness.start(moves(10))
        harness.clear()
        harness.receive("start")
        #expect(harness.lifecycle == [.failed("the board restarted (a reset or a power loss) during the print; the print cannot continue")])
        #expect(harness.session.unavailableReason(linkProblem: "") == "the motion controller does not answer yet")
        harness.tick(at: 999)
        #expect(harness.written.isEmpty)
        harness.tick(at: 1_000)
        #expect(harness.written == ["M110 N0"])
        harness.ok(2)
        #expect(harness.written == ["M110 N0", "M115"])
        #expect(harness.session.unavailableReason(linkProblem: "") == nil)
        #expect(harness.session.progress == nil)
    }

    @Test func closedPortFailsThePrint() {
        var harness = SessionHarness.ready()
        harness.start(moves(3))
        harness.take(harness.session.closed("end of file on the port"))
        #expect(harness.lifecycle == [.failed("the serial connection closed: end of file on the port")])
        #expect(harness.session.unavailableReason(linkProblem: "gone") == "the motion controller is not connected (gone)")
    }

    @Test func haltedBoardFailsThePrintAndClosesThePort() {
        var harness = SessionHarness.ready()
        harness.start(moves(3))
        harness.receive("!! Printer halted. kill() called!")
        #expect(harness.lifecycle.count == 1)
        #expect(harness.closes.count == 1)
        if case .failed(let reason) = harness.lifecycle.first { #expect(harness.closes == [reason]) }
    }

    @Test func unreadableFileFailsThePrint() {
        var harness = SessionHarness.ready()
        harness.start(LinesFile(["G28", "G1 X1"], failingAt: 1))
        #expect(harness.written == ["G28"])
        harness.ok()
        #expect(harness.lifecycle == [.failed("cannot read the file: read: Input/output error")])
    }

    @Test func windowSendsAheadWhileTheLinesFit() {
        var harness = SessionHarness.ready(setup: SessionHarness.windowed)
        harness.start(moves(40))
        let ahead = harness.written.count
        #expect(ahead > 1 && ahead < 40)
        harness.ok(2)
        #expect(harness.written.count > ahead, "oks make room for the next lines")
        #expect(fileLines(harness.written) == Array(moves(40).prefix(harness.written.count)))
    }
}
