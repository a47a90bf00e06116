import CLibc

/// A file descriptor the reactor polls. Sources are asked for their descriptor and the
/// events they want before every poll, so a source whose descriptor changes (the MQTT
/// socket after a reconnect) or that wants to write only sometimes needs no bookkeeping.
public protocol PollSource: AnyObject {
    /// The descriptor to poll now, or -1 for none.
    var pollDescriptor: Int32 { get }
    /// The events wanted now (POLLIN, POLLOUT).
    var pollEvents: Int16 { get }
    /// Called with the events poll returned for the descriptor.
    func handle(events: Int16)
}

/// The agent's one event loop (design decision 2): a `poll(2)` reactor over every
/// descriptor and a set of timers, run on one thread. Handlers must not block.
///
/// Time comes from the clock given at creation (the monotonic clock on the device), so
/// tests run the same code on virtual time: they set the clock and call `turn`.
/// The reactor keeps every callback it is given until the timer fires or is cancelled,
/// or the source is removed; `close()` lets go of them all.
public final class Reactor {
    /// A timer's handle, for cancelling it.
    public struct TimerID: Equatable {
        fileprivate let value: Int
    }

    private struct Timer {
        var id: Int
        var deadline: Int64
        /// For a repeating timer, the time between two runs.
        var interval: Int64?
        var action: () -> Void
    }

    /// Called after every handler and every timer action: the agent publishes what the
    /// callback queued.
    public var afterEachCallback: () -> Void = {}

    private let clock: () -> Int64
    private var sources: [any PollSource] = []
    /// The poll set of the turn under way and the source of each entry, kept between turns
    /// so that a turn allocates nothing (the loop turns once per line streamed to a board).
    private var descriptors: [pollfd] = []
    private var owners: [any PollSource] = []
    private var timers: [Timer] = []
    private var nextTimerID = 1
    /// Set by `stop()`: the current turn runs no further handler and `run()` returns.
    private var stopped = false

    /// Creates a reactor with no sources and no timers, on `clock` (milliseconds, never
    /// going back; CLOCK_MONOTONIC unless a test gives its own).
    public init(clock: @escaping () -> Int64 = Clock.monotonicMs) {
        self.clock = clock
    }

    /// The clock's time now, in milliseconds: what every timer and window of the agent reads.
    public var now: Int64 { clock() }

    /// Polls `source` from now on.
    public func add(_ source: any PollSource) { sources.append(source) }

    /// Stops polling `source`.
    public func remove(_ source: any PollSource) { sources.removeAll { $0 === source } }

    /// Runs `action` once, `delayMs` milliseconds from now.
    @discardableResult
    public func after(_ delayMs: Int64, _ action: @escaping () -> Void) -> TimerID {
        schedule(delayMs, interval: nil, action)
    }

    /// Runs `action` every `intervalMs` milliseconds until the timer is cancelled.
    @discardableResult
    public func every(_ intervalMs: Int64, _ action: @escaping () -> Void) -> TimerID {
        schedule(intervalMs, interval: max(1, intervalMs), action)
    }

    /// Cancels a timer (a repeating one included) that is still waiting; its action is
    /// released.
    public func cancel(_ timer: TimerID) { timers.removeAll { $0.id == timer.value } }

    /// The earliest timer deadline, if any (no allocation: this runs on every loop turn).
    public var nextDeadline: Int64? {
        var earliest: Int64? = nil
        for timer in timers where earliest.map({ timer.deadline < $0 }) ?? true { earliest = timer.deadline }
        return earliest
    }

    /// Runs until `stop()` is called. Returns an error only if poll itself fails.
    public func run() throws(SystemError) {
        stopped = false
        while !stopped {
            try turn(timeoutMs: pollTimeout())
        }
    }

    /// One turn of the loop: polls the sources for up to `timeoutMs` milliseconds, runs the
    /// handlers of those that are ready, then the timers that are due.
    public func turn(timeoutMs: Int32) throws(SystemError) {
        descriptors.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        defer { owners.removeAll(keepingCapacity: true) }
        for source in sources {
            let fd = source.pollDescriptor
            if fd < 0 { continue }
            descriptors.append(pollfd(fd: fd, events: source.pollEvents, revents: 0))
            owners.append(source)
        }
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeoutMs)
        if ready < 0 {
            if agent_errno() == EINTR { return }
            throw SystemError.fromErrno("poll")
        }
        if ready > 0 {
            for index in descriptors.indices where descriptors[index].revents != 0 {
                // A handler may have changed the source's descriptor: skip stale events.
                guard owners[index].pollDescriptor == descriptors[index].fd else { continue }
                owners[index].handle(events: descriptors[index].revents)
                afterEachCallback()
                if stopped { return }
            }
        }
        fireDueTimers()
    }

    /// Makes `run()` return after the current handler.
    public func stop() { stopped = true }

    /// Lets go of every source and timer, and so of the objects their callbacks hold.
    public func close() {
        stopped = true
        sources.removeAll()
        timers.removeAll()
        afterEachCallback = {}
    }

    private func schedule(_ delayMs: Int64, interval: Int64?, _ action: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        timers.append(Timer(id: id, deadline: now + max(0, delayMs), interval: interval, action: action))
        return TimerID(value: id)
    }

    private func pollTimeout() -> Int32 {
        guard let next = nextDeadline else { return 1000 }
        return Int32(min(max(next - now, 0), 1000))
    }

    private func fireDueTimers() {
        let now = self.now
        guard let next = nextDeadline, next <= now else { return }
        let due = timers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
        for timer in due where !stopped {
            // An earlier action of this round may have cancelled it.
            guard let index = timers.firstIndex(where: { $0.id == timer.id }) else { continue }
            guard let interval = timer.interval else {
                timers.remove(at: index)
                timer.action()
                afterEachCallback()
                continue
            }
            // A repeating timer stays listed while its action runs (which may cancel it), and
            // is due again an interval after the action: never sooner than that, however
            // long the action or the turn took.
            timers[index].deadline = Int64.max
            timer.action()
            if let again = timers.firstIndex(where: { $0.id == timer.id }) { timers[again].deadline = self.now + interval }
            afterEachCallback()
        }
    }
}
