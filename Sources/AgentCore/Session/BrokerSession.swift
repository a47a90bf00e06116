/// The broker connection as a state machine (design decision 3): it takes events (started,
/// connected, connection failed or lost, timer fired, publish, stop) and returns the
/// actions the MQTT adapter carries out. It never gives up: every failure, whatever its
/// cause, schedules another attempt after a jittered exponential backoff.
public final class BrokerSession {
    /// Where the connection stands.
    public enum State: Equatable {
        /// Not started yet.
        case idle
        /// An attempt is under way.
        case connecting
        /// Connected and subscribed.
        case connected
        /// Waiting for the backoff timer before the next attempt.
        case waiting
        /// Stopped for good (the agent is shutting down).
        case stopped
    }

    /// What the adapter must do.
    public enum Action: Equatable {
        /// Start a connection attempt (a fresh one: any old socket is closed first).
        case connect
        /// Call back `reconnectDue()` after this many milliseconds.
        case scheduleReconnect(afterMs: Int64)
        /// Subscribe to this filter.
        case subscribe(String)
        /// Publish this.
        case publish(Publication)
        /// Disconnect cleanly (sends MQTT DISCONNECT, so the broker does not send the will).
        case disconnect
        /// Write this line to the log.
        case log(LogLevel, String)
    }

    /// The current state.
    public private(set) var state: State = .idle
    /// Attempts made since the last successful connect (for the log).
    public var failures: Int { backoff.failures }

    private let subscriptions: [String]
    private let brokerName: String
    private var backoff: ReconnectBackoff
    private var queue: OfflineQueue
    private let random: () -> Double

    /// Creates a session that subscribes to `subscriptions` on every connect and names its
    /// broker `brokerName` in the log ("broker", "home broker"). `random` returns numbers in [0, 1) for the backoff's jitter.
    public init(subscriptions: [String], brokerName: String = "broker", backoff: ReconnectBackoff = ReconnectBackoff(),
                queueCapacity: Int, random: @escaping () -> Double) {
        self.subscriptions = subscriptions
        self.brokerName = brokerName
        self.backoff = backoff
        self.queue = OfflineQueue(capacity: queueCapacity)
        self.random = random
    }

    /// How many publications wait for the connection.
    public var queued: Int { queue.count }

    /// The agent starts: make the first attempt.
    public func start() -> [Action] {
        guard state == .idle else { return [] }
        state = .connecting
        return [.connect]
    }

    /// The broker accepted the connection. `announcements` (online state, status, version)
    /// go first, then what waited while offline.
    public func connected(announcements: [Publication]) -> [Action] {
        guard state == .connecting else { return [] }
        state = .connected
        backoff.reset()
        var actions: [Action] = [.log(.info, "connected to the " + brokerName)]
        actions += subscriptions.map { .subscribe($0) }
        actions += announcements.map { .publish($0) }
        let backlog = queue.drain()
        if backlog.dropped > 0 {
            actions.append(.log(.warning, "dropped \(backlog.dropped) reports while offline (the offline queue holds \(queue.capacity))"))
        }
        actions += backlog.publications.map { .publish($0) }
        return actions
    }

    /// An attempt failed, or the connection was lost, for `reason`.
    public func connectionFailed(_ reason: String) -> [Action] {
        switch state {
        case .connecting, .connected:
            let wasConnected = state == .connected
            state = .waiting
            let delay = backoff.nextDelay(unitRandom: random(), afterLoss: wasConnected)
            let what = wasConnected ? "lost the " + brokerName + " connection" : "could not connect to the " + brokerName
            return [.log(.warning, "\(what): \(reason); retrying in \(delay) ms"),
                    .scheduleReconnect(afterMs: delay)]
        case .idle, .waiting, .stopped:
            return []
        }
    }

    /// The backoff timer fired: try again.
    public func reconnectDue() -> [Action] {
        guard state == .waiting else { return [] }
        state = .connecting
        return [.connect]
    }

    /// The agent has `publication` to send: now if connected, else it waits in the queue.
    public func publish(_ publication: Publication) -> [Action] {
        switch state {
        case .connected: return [.publish(publication)]
        case .stopped: return []
        case .idle, .connecting, .waiting:
            queue.push(publication)
            return []
        }
    }

    /// A publish handed to the connection failed (it was lost under it): keep it for later.
    public func publishFailed(_ publication: Publication) {
        if state != .stopped { queue.push(publication) }
    }

    /// The agent stops: say offline (retained, replacing the online state) and disconnect.
    public func stop(offline: Publication) -> [Action] {
        let wasConnected = state == .connected
        state = .stopped
        return wasConnected ? [.publish(offline), .disconnect] : []
    }
}
