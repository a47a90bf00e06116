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
/// descriptor and a set of monotonic timers, run on one thread. Handlers must not block.
public final class Reactor {
    /// A timer's handle, for cancelling it.
    public struct TimerID: Equatable {
        fileprivate let value: Int
    }

    private struct Timer {
        var id: Int
        var deadline: Int64
        var action: () -> Void
    }

    private var sources: [any PollSource] = []
    private var timers: [Timer] = []
    private var nextTimerID = 1
    private var running = false

    /// Creates a reactor with no sources and no timers.
    public init() {}

    /// Polls `source` from now on.
    public func add(_ source: any PollSource) { sources.append(source) }

    /// Stops polling `source`.
    public func remove(_ source: any PollSource) { sources.removeAll { $0 === source } }

    /// Runs `action` once, `delayMs` milliseconds from now.
    @discardableResult
    public func after(_ delayMs: Int64, _ action: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        timers.append(Timer(id: id, deadline: Clock.monotonicMs() + max(0, delayMs), action: action))
        return TimerID(value: id)
    }

    /// Runs `action` every `intervalMs` milliseconds until the reactor stops.
    public func every(_ intervalMs: Int64, _ action: @escaping () -> Void) {
        after(intervalMs) { [unowned(unsafe) self] in
            action()
            self.every(intervalMs, action)
        }
    }

    /// Cancels a timer that has not fired yet.
    public func cancel(_ timer: TimerID) { timers.removeAll { $0.id == timer.value } }

    /// Runs until `stop()` is called. Returns an error only if poll itself fails.
    public func run() throws(SystemError) {
        running = true
        var descriptors: [pollfd] = []
        var owners: [any PollSource] = []
        while running {
            descriptors.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            for source in sources {
                let fd = source.pollDescriptor
                if fd < 0 { continue }
                descriptors.append(pollfd(fd: fd, events: source.pollEvents, revents: 0))
                owners.append(source)
            }
            let timeout = pollTimeout()
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if agent_errno() == EINTR { continue }
                throw SystemError.fromErrno("poll")
            }
            if ready > 0 {
                for index in descriptors.indices where descriptors[index].revents != 0 && running {
                    // A handler may have changed the source's descriptor: skip stale events.
                    guard owners[index].pollDescriptor == descriptors[index].fd else { continue }
                    owners[index].handle(events: descriptors[index].revents)
                }
            }
            fireDueTimers()
        }
    }

    /// Makes `run()` return after the current handler.
    public func stop() { running = false }

    /// The earliest timer deadline, if any (no allocation: this runs on every loop turn).
    private var nextDeadline: Int64? {
        var earliest: Int64? = nil
        for timer in timers where earliest.map({ timer.deadline < $0 }) ?? true { earliest = timer.deadline }
        return earliest
    }

    private func pollTimeout() -> Int32 {
        guard let next = nextDeadline else { return 1000 }
        let wait = next - Clock.monotonicMs()
        return Int32(min(max(wait, 0), 1000))
    }

    private func fireDueTimers() {
        let now = Clock.monotonicMs()
        guard let next = nextDeadline, next <= now else { return }
        let due = timers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
        for timer in due where running {
            // An earlier action of this round may have cancelled it.
            guard let index = timers.firstIndex(where: { $0.id == timer.id }) else { continue }
            timers.remove(at: index)
            timer.action()
        }
    }
}
