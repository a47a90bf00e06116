import Glibc

/// A single-threaded poll(2) loop with timers: every simulator event (bytes on a
/// descriptor, the end of a move, a heater report, a push to subscribers) runs on it, one
/// at a time, so simulator state needs no locks.
final class EventLoop {
    /// Identifies a timer for `cancel(_:)`.
    typealias TimerID = Int

    /// A watched descriptor: the events waited for and who handles them.
    private struct Watch {
        var events: Int16
        let handler: (Int16) -> Void
    }

    /// A timer: when it runs next, every how many seconds (nil: once), and what it does.
    private struct Timer {
        var deadline: Double
        let interval: Double?
        let action: () -> Void
    }

    private var watches: [Int32: Watch] = [:]
    private var timers: [TimerID: Timer] = [:]
    private var nextTimerID = 1
    private var running = false

    /// The current time on the monotonic clock, in seconds.
    var now: Double { monotonicSeconds() }

    /// Calls `handler` with the returned events whenever `fd` is ready for `events`
    /// (replacing an earlier watch of the same descriptor).
    func watch(_ fd: Int32, events: Int16 = Int16(POLLIN), _ handler: @escaping (Int16) -> Void) {
        watches[fd] = Watch(events: events, handler: handler)
    }

    /// Changes the events a watched descriptor waits for.
    func setEvents(_ fd: Int32, _ events: Int16) {
        watches[fd]?.events = events
    }

    /// Stops watching `fd`.
    func unwatch(_ fd: Int32) {
        watches[fd] = nil
    }

    /// Runs `action` once, `seconds` from now.
    @discardableResult
    func after(_ seconds: Double, _ action: @escaping () -> Void) -> TimerID {
        add(Timer(deadline: now + max(0, seconds), interval: nil, action: action))
    }

    /// Runs `action` every `interval` seconds, the first time one interval from now.
    @discardableResult
    func every(_ interval: Double, _ action: @escaping () -> Void) -> TimerID {
        add(Timer(deadline: now + interval, interval: interval, action: action))
    }

    /// Cancels a timer (nothing happens for nil or a timer that already ran).
    func cancel(_ id: TimerID?) {
        if let id { timers[id] = nil }
    }

    /// Runs until `stop()` is called.
    func run() {
        running = true
        while running {
            fireDueTimers()
            guard running else { break }
            waitForDescriptors(timeoutMilliseconds: nextTimeout())
        }
    }

    /// Makes `run()` return after the current event.
    func stop() {
        running = false
    }

    /// Registers `timer` under a fresh id.
    private func add(_ timer: Timer) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        timers[id] = timer
        return id
    }

    /// Runs every timer whose deadline has passed, earliest first; a timer cancelled by an
    /// earlier one in the same round does not run.
    private func fireDueTimers() {
        let time = now
        let due = timers.filter { $0.value.deadline <= time }
            .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
        for (id, _) in due {
            guard let timer = timers[id] else { continue }
            if let interval = timer.interval {
                timers[id]?.deadline = max(timer.deadline + interval, time)
            } else {
                timers[id] = nil
            }
            timer.action()
            guard running else { return }
        }
    }

    /// Milliseconds until the next timer is due (-1: none, wait for descriptors only).
    private func nextTimeout() -> Int32 {
        guard let deadline = timers.values.map(\.deadline).min() else { return -1 }
        let milliseconds = ((deadline - now) * 1000).rounded(.up)
        return Int32(min(max(milliseconds, 0), 60_000))
    }

    /// Polls the watched descriptors and calls the handlers of those that are ready.
    private func waitForDescriptors(timeoutMilliseconds: Int32) {
        var descriptors = watches.map { pollfd(fd: $0.key, events: $0.value.events, revents: 0) }
        let count = poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
        guard count > 0 else { return }
        for descriptor in descriptors where descriptor.revents != 0 {
            // An earlier handler of this round may have closed and unwatched this one.
            watches[descriptor.fd]?.handler(descriptor.revents)
        }
    }
}
