import AgentPlatform
import Testing
import TestSupport

/// The reactor's timers on a virtual clock: what runs, in which order and at which time,
/// with no real time passing.
struct ReactorVirtualTimeTests {
    @Test func timersRunInDeadlineOrderAtTheirOwnTime() throws {
        let time = ManualReactor()
        let start = time.nowMs
        var fired: [(String, Int64)] = []
        time.reactor.after(300) { fired.append(("b", time.nowMs - start)) }
        time.reactor.after(100) { fired.append(("a", time.nowMs - start)) }
        try time.advance(by: 299)
        #expect(fired.map(\.0) == ["a"])
        try time.advance(by: 1)
        #expect(fired.map(\.0) == ["a", "b"])
        #expect(fired.map(\.1) == [100, 300])
    }

    @Test func aRepeatingTimerRunsEveryIntervalUntilCancelled() throws {
        let time = ManualReactor()
        var count = 0
        let timer = time.reactor.every(250) { count += 1 }
        try time.advance(by: 1_000)
        #expect(count == 4)
        time.reactor.cancel(timer)
        try time.advance(by: 10_000)
        #expect(count == 4)
        #expect(time.reactor.nextDeadline == nil, "a cancelled repeating timer is gone")
    }

    @Test func aTimerCancelledByAnEarlierOneOfTheSameTurnDoesNotRun() throws {
        let time = ManualReactor()
        var ran: [String] = []
        var second: Reactor.TimerID?
        time.reactor.after(10) { ran.append("first"); if let second { time.reactor.cancel(second) } }
        second = time.reactor.after(10) { ran.append("second") }
        try time.advance(by: 10)
        #expect(ran == ["first"])
    }

    @Test func everyCallbackIsFollowedByTheAfterEachCallbackHook() throws {
        let time = ManualReactor()
        var log: [String] = []
        time.reactor.afterEachCallback = { log.append("drain") }
        time.reactor.after(5) { log.append("timer 1") }
        time.reactor.after(5) { log.append("timer 2") }
        try time.advance(by: 5)
        #expect(log == ["timer 1", "drain", "timer 2", "drain"])
    }

    @Test func closingLetsGoOfEveryCallback() throws {
        final class Held {}
        var held: Held? = Held()
        weak var watched = held
        let time = ManualReactor()
        if let object = held { time.reactor.every(100) { _ = object } }
        held = nil
        #expect(watched != nil, "the timer holds what it captured")
        time.reactor.close()
        #expect(watched == nil)
    }
}
