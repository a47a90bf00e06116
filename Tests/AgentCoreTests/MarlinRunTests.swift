import AgentCore
import Testing

/// Runs of the agent's own G-code whose outcome is awaited (moves, the console): one line in
/// flight at a time, the board's words collected, the outcome after the last ok.
@Suite struct MarlinRunTests {
    @Test func linesGoOneAtATimeAndTheOutcomeHasWhatTheBoardSaid() {
        var harness = SessionHarness.ready(setup: SessionHarness.windowed)
        harness.run(["M114", "M503"], id: 7)
        #expect(harness.written == ["M114"], "the next line waits for this one's ok")
        harness.receive("X:10.00 Y:0.00 Z:5.00 E:0.00 Count X:800 Y:0 Z:2000")
        harness.receive("ok")
        #expect(harness.written == ["M114", "M503"])
        #expect(harness.ran.isEmpty)
        harness.receive("echo:  M92 X80.00 Y80.00")
        harness.receive("echo:busy: processing")
        harness.receive(" T:20.0 /0.0 B:21.0 /0.0 @:0 B@:0")
        harness.receive("ok N2 P15 B3")
        #expect(harness.ran.count == 1)
        #expect(harness.ran.first?.id == 7)
        #expect(harness.ran.first?.outcome == .success(["X:10.00 Y:0.00 Z:5.00 E:0.00 Count X:800 Y:0 Z:2000", "echo:  M92 X80.00 Y80.00"]))
    }

    @Test func aRunWaitsForTheLinesInFlightThenHoldsTheFileBack() {
        var harness = SessionHarness.ready(setup: SessionHarness.windowed)
        harness.start(moves(20))
        let streamed = harness.written.count
        #expect(streamed > 1, "lines are sent ahead")
        harness.run(["M114"], id: 1)
        #expect(harness.written.count == streamed, "nothing new while lines are in flight")
        var oks = 0
        while harness.written.last != "M114", oks < 40 {
            harness.ok()
            oks += 1
        }
        #expect(fileLines(harness.written).count <= streamed + 1, "at most the line the sender held went after the run was asked")
        #expect(oks == fileLines(harness.written).count, "sent alone once everything before it was acknowledged")
        let atM114 = harness.written.count
        harness.receive("X:1.00 Y:0.00 Z:0.00 E:0.00 Count X:80 Y:0 Z:0")
        #expect(harness.written.count == atM114)
        harness.ok()
        #expect(harness.ran.first?.outcome == .success(["X:1.00 Y:0.00 Z:0.00 E:0.00 Count X:80 Y:0 Z:0"]))
        #expect(harness.written.count > streamed + 1, "the file goes on")
    }

    @Test func theAgentsQueuedCommandsGoBeforeAndPollsWaitBehind() {
        var harness = SessionHarness.ready()
        harness.take(harness.session.apply(PrintSettings(nozzleTarget: 200), now: 0))
        harness.run(["G28", "M400"], id: 2)
        #expect(harness.written == ["M104 S200.00"])
        harness.ok()
        #expect(harness.written == ["M104 S200.00", "G28"])
        harness.tick(at: 2_000)
        #expect(harness.written == ["M104 S200.00", "G28"], "the temperature poll waits for the move")
        harness.ok()
        #expect(harness.written == ["M104 S200.00", "G28", "M400"], "the run's lines go together")
        harness.ok()
        #expect(harness.written == ["M104 S200.00", "G28", "M400", "M105"])
        #expect(harness.ran.first?.outcome == .success([]))
    }

    @Test func aRunFailsWhenTheBoardRestartsOrTheLineCloses() {
        var harness = SessionHarness.ready()
        harness.run(["G28"], id: 3)
        harness.receive("start")
        #expect(harness.ran.first?.outcome
            == .failure(CommandFailure(.controllerFailed, "the board restarted (a reset or a power loss) before the command was done")))
        var closing = SessionHarness.ready()
        closing.run(["G28"], id: 4)
        closing.take(closing.session.closed("unplugged"))
        #expect(closing.ran.first?.outcome == .failure(CommandFailure(.controllerFailed, "the serial connection closed: unplugged")))
    }

    @Test func aRunThatIsNeverDoneTimesOut() {
        var harness = SessionHarness.ready()
        harness.run(["G28"], id: 5)
        for second in 1...119 {
            harness.receive("echo:busy: processing")
            harness.tick(at: Int64(second) * 1_000)
        }
        #expect(harness.ran.isEmpty)
        harness.tick(at: MarlinSetup.runTimeoutMs)
        #expect(harness.ran.first?.outcome
            == .failure(CommandFailure(.controllerFailed, "the printer did not finish the command within 120 s")))
    }
}
