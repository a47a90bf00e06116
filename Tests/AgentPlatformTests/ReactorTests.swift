import AgentPlatform
import CLibc
import Testing

/// The poll(2) reactor: timers, sources, stop.
@Suite struct ReactorTests {
    @Test func timersFireInDeadlineOrderWhateverOrderTheyWereAddedIn() throws {
        let reactor = Reactor()
        var fired: [Int64] = []
        for delay: Int64 in [60, 0, 40, 20] {
            reactor.after(delay) { fired.append(delay) }
        }
        reactor.stop(after: 80)
        try reactor.runWithSafetyStop()
        #expect(fired == [0, 20, 40, 60])
    }

    /// A handler that overruns (a loaded machine) leaves several timers due in one round:
    /// they still fire in deadline order.
    @Test func timersDueInTheSameRoundFireInDeadlineOrder() throws {
        let reactor = Reactor()
        var fired: [Int64] = []
        let start = Clock.monotonicMs()
        reactor.after(0) {
            // Overruns until the clock shows 50 ms gone: a wait on the clock, which is what
            // this test is about (the usleep only paces the check).
            while Clock.monotonicMs() <= start + 50 { usleep(1_000) }
        }
        for delay: Int64 in [30, 10, 40, 20] {
            reactor.after(delay) { fired.append(delay) }
        }
        reactor.stop(after: 60)
        try reactor.runWithSafetyStop()
        #expect(fired == [10, 20, 30, 40])
    }

    @Test func aCancelledTimerDoesNotFire() throws {
        let reactor = Reactor()
        var fired: [String] = []
        let cancelled = reactor.after(10) { fired.append("cancelled") }
        reactor.after(20) { fired.append("kept") }
        reactor.cancel(cancelled)
        reactor.stop(after: 50)
        try reactor.runWithSafetyStop()
        #expect(fired == ["kept"])
    }

    /// Two timers due in the same round, each cancelling the other: the first to run must
    /// stop the second, which has not fired yet.
    @Test func aTimerCancelledByAnotherTimerOfTheSameRoundDoesNotFire() throws {
        let reactor = Reactor()
        var fired: [String] = []
        var first: Reactor.TimerID? = nil
        var second: Reactor.TimerID? = nil
        first = reactor.after(0) { [unowned reactor] in
            fired.append("first")
            if let second { reactor.cancel(second) }
        }
        second = reactor.after(0) { [unowned reactor] in
            fired.append("second")
            if let first { reactor.cancel(first) }
        }
        reactor.stop(after: 50)
        try reactor.runWithSafetyStop()
        #expect(fired.count == 1, "both fired: \(fired)")
    }

    @Test func everyRepeatsAtItsInterval() throws {
        let reactor = Reactor()
        var firings: [Int64] = []
        reactor.every(20) { [unowned reactor] in
            firings.append(Clock.monotonicMs())
            if firings.count == 3 { reactor.stop() }
        }
        try reactor.runWithSafetyStop()
        #expect(firings.count == 3)
        // A timer never fires early, so each firing is at least an interval after the previous.
        for (earlier, later) in zip(firings, firings.dropFirst()) {
            #expect(later - earlier >= 20)
        }
    }

    @Test func aPipeSourceGetsPOLLINOnceBytesAreWrittenAndNotBefore() throws {
        let pipe = try Pipe()
        let reactor = Reactor()
        let source = RecordingSource(pipe.readEnd)
        source.onEvents = { [unowned reactor] _ in
            pipe.drain()
            reactor.stop()
        }
        reactor.add(source)
        var handledBeforeTheWrite: Int? = nil
        reactor.after(50) {
            handledBeforeTheWrite = source.handled.count
            pipe.write("x")
        }
        try reactor.runWithSafetyStop()
        #expect(handledBeforeTheWrite == 0)
        #expect(source.handled.count == 1)
        let events = try #require(source.handled.first?.events)
        #expect(events & Int16(POLLIN) != 0)
    }

    @Test func aSourceWithoutADescriptorIsNotPolledUntilItNamesOne() throws {
        let quietPipe = try Pipe(), livePipe = try Pipe()
        quietPipe.write("x")
        livePipe.write("y")
        let reactor = Reactor()
        let quiet = RecordingSource(-1)
        let live = RecordingSource(livePipe.readEnd)
        for source in [quiet, live] {
            source.onEvents = { [unowned reactor] _ in reactor.stop() }
            reactor.add(source)
        }
        try reactor.runWithSafetyStop()
        #expect(quiet.handled.isEmpty)
        #expect(live.handled.map(\.descriptor) == [livePipe.readEnd])

        // Asked again before the next poll, it is polled on the descriptor it names now.
        livePipe.drain()
        quiet.pollDescriptor = quietPipe.readEnd
        try reactor.runWithSafetyStop()
        #expect(quiet.handled.map(\.descriptor) == [quietPipe.readEnd])
        #expect(live.handled.count == 1)
    }

    @Test func aRemovedSourceIsNoLongerPolled() throws {
        let removedPipe = try Pipe(), keptPipe = try Pipe()
        removedPipe.write("x")
        keptPipe.write("y")
        let reactor = Reactor()
        let removed = RecordingSource(removedPipe.readEnd)
        let kept = RecordingSource(keptPipe.readEnd)
        kept.onEvents = { [unowned reactor] _ in reactor.stop() }
        reactor.add(removed)
        reactor.add(kept)
        reactor.remove(removed)
        try reactor.runWithSafetyStop()
        #expect(removed.handled.isEmpty)
        #expect(kept.handled.count == 1)
    }

    @Test func stopFromATimerMakesRunReturn() throws {
        let reactor = Reactor()
        var stopped = false
        reactor.after(10) { [unowned reactor] in
            stopped = true
            reactor.stop()
        }
        try reactor.runWithSafetyStop()
        #expect(stopped)
    }

    /// Both pipes are readable and a timer is due in the first round: stopping in the first
    /// handler returns before the second handler and the timer run.
    @Test func stopFromAHandlerReturnsBeforeTheRestOfTheRound() throws {
        let firstPipe = try Pipe(), secondPipe = try Pipe()
        firstPipe.write("x")
        secondPipe.write("y")
        let reactor = Reactor()
        let first = RecordingSource(firstPipe.readEnd)
        let second = RecordingSource(secondPipe.readEnd)
        first.onEvents = { [unowned reactor] _ in reactor.stop() }
        second.onEvents = { [unowned reactor] _ in reactor.stop() }
        reactor.add(first)
        reactor.add(second)
        var timerFired = false
        reactor.after(0) { timerFired = true }
        try reactor.runWithSafetyStop()
        #expect(first.handled.count == 1)
        #expect(second.handled.isEmpty)
        #expect(!timerFired)
    }

    /// The first handler moves the second source to another descriptor: the event poll
    /// returned for the old one must not reach it; events on the new one do.
    @Test func aSourceWhoseDescriptorChangedDuringTheRoundGetsNoStaleEvent() throws {
        let firstPipe = try Pipe(), oldPipe = try Pipe(), newPipe = try Pipe()
        firstPipe.write("x")
        oldPipe.write("y")
        let reactor = Reactor()
        let first = RecordingSource(firstPipe.readEnd)
        let moved = RecordingSource(oldPipe.readEnd)
        first.onEvents = { [unowned reactor] _ in
            firstPipe.drain()
            moved.pollDescriptor = newPipe.readEnd
            reactor.after(20) { newPipe.write("z") }
        }
        var readWhenHandled: [[UInt8]] = []
        moved.onEvents = { [unowned reactor] _ in
            readWhenHandled.append(newPipe.drain())
            reactor.stop()
        }
        reactor.add(first)
        reactor.add(moved)
        try reactor.runWithSafetyStop()
        #expect(first.handled.count == 1)
        #expect(readWhenHandled == [Array("z".utf8)], "handled before its new descriptor was readable")
    }
}
