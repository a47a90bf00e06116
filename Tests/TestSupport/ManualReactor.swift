import AgentPlatform

/// A reactor on virtual time, for tests of the wiring: the code under test gets `reactor`,
/// whose clock moves only when the test calls `advance`, so a 30 s timeout or a 1 s resume
/// wait is crossed at once and always in the same order. Descriptors still work for real
/// (a socket to a server the test started): `run(until:)` turns the loop without moving the
/// clock until a condition holds.
public final class ManualReactor {
    /// The clock the reactor reads, in milliseconds.
    private final class VirtualClock {
        var nowMs: Int64
        init(_ start: Int64) { nowMs = start }
    }

    /// The reactor to give the code under test.
    public let reactor: Reactor
    private let clock: VirtualClock

    /// A reactor whose clock starts at `startMs` (far from 0, as a monotonic clock is).
    public init(startMs: Int64 = 1_000_000) {
        let clock = VirtualClock(startMs)
        self.clock = clock
        reactor = Reactor(clock: { clock.nowMs })
    }

    deinit { reactor.close() }

    /// The virtual time now, in milliseconds.
    public var nowMs: Int64 { clock.nowMs }

    /// Moves the clock on by `ms`, stopping at each timer's deadline on the way to run it (so
    /// timers run in order and at their own time), with ready descriptors handled, never
    /// waited for.
    public func advance(by ms: Int64) throws {
        let target = clock.nowMs + ms
        try reactor.turn(timeoutMs: 0)
        while let next = reactor.nextDeadline, next <= target {
            clock.nowMs = max(clock.nowMs, next)
            try reactor.turn(timeoutMs: 0)
        }
        clock.nowMs = target
        try reactor.turn(timeoutMs: 0)
    }

    /// Turns the loop, waiting up to `pollMs` real milliseconds each time for descriptors and
    /// leaving the clock alone, until `condition` holds; fails after `turns` turns.
    public func run(until what: String, turns: Int = 2_000, pollMs: Int32 = 10,
                    _ condition: () -> Bool) throws {
        for _ in 0..<turns {
            if condition() { return }
            try reactor.turn(timeoutMs: pollMs)
        }
        if !condition() { throw TestFailure("not seen after \(turns) turns: \(what)") }
    }
}
