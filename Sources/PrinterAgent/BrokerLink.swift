import AgentCore
import AgentPlatform

/// One broker session carried out on the reactor: the MQTT connection, the session's state
/// machine (`BrokerSession`) and the connect timeout. The agent's main session and the
/// optional home session are each one; neither waits for the other.
final class BrokerLink {
    /// How long a connection attempt may take before it counts as failed.
    static let connectTimeoutMs: Int64 = 30_000

    /// The publications a new connection starts with (online state, status, ...).
    var announcements: () -> [Publication] = { [] }
    /// A message arrived.
    var onMessage: (InboundMessage) -> Void = { _ in }
    /// The connection ended after `stop` (the offline state is written).
    var onStopped: () -> Void = {}

    private let connection: MQTTConnection
    private let session: BrokerSession
    private let reactor: Reactor
    private let logger: Logger
    private let url: String
    private var attempt = 0
    private var stopping = false

    /// A link to the broker of `options`, subscribing to `subscriptions`, named `name` in the log.
    init(options: MQTTOptions, subscriptions: [String], name: String, spreadMs: Int64, queueCapacity: Int,
         reactor: Reactor, logger: Logger) throws(SystemError) {
        connection = try MQTTConnection(options: options)
        session = BrokerSession(subscriptions: subscriptions, brokerName: name, backoff: ReconnectBackoff(spreadMs: spreadMs),
                                queueCapacity: queueCapacity, random: HostInfo.unitRandom)
        self.reactor = reactor
        self.logger = logger
        url = options.broker.url
    }

    /// Whether the session is connected now.
    var isConnected: Bool { session.state == .connected }

    /// Puts the connection on the reactor and makes the first attempt.
    func start() {
        connection.onConnect = { [unowned(unsafe) self] refusal in
            if let refusal {
                perform(session.connectionFailed(refusal))
            } else {
                perform(session.connected(announcements: announcements()))
            }
        }
        connection.onDisconnect = { [unowned(unsafe) self] reason in
            if stopping {
                onStopped()
            } else {
                perform(session.connectionFailed(reason))
            }
        }
        connection.onMessage = { [unowned(unsafe) self] message in onMessage(message) }
        reactor.add(connection)
        reactor.every(1_000) { [self] in connection.tick() }
        perform(session.start())
    }

    /// Publishes `publication` now, or when the connection is back (bounded: the oldest is dropped).
    func publish(_ publication: Publication) {
        perform(session.publish(publication))
    }

    /// Says `offline` and disconnects; returns whether `onStopped` will follow (false when
    /// there was no connection to close).
    func stop(offline: Publication) -> Bool {
        stopping = true
        let actions = session.stop(offline: offline)
        perform(actions)
        return actions.contains(.disconnect)
    }

    private func perform(_ actions: [BrokerSession.Action]) {
        for action in actions {
            switch action {
            case .connect:
                startAttempt()
            case .scheduleReconnect(let delay):
                reactor.after(delay) { [self] in perform(session.reconnectDue()) }
            case .subscribe(let filter):
                if let reason = connection.subscribe(filter) {
                    logger.log(.error, "cannot subscribe to \(filter): \(reason)")
                }
            case .publish(let publication):
                if let reason = connection.publish(publication) {
                    logger.log(.warning, "publish on \(publication.topic) failed (\(reason)); kept for the next connection")
                    session.publishFailed(publication)
                }
            case .disconnect:
                connection.disconnect()
            case .log(let level, let message):
                logger.log(level, message)
            }
        }
    }

    private func startAttempt() {
        attempt += 1
        let thisAttempt = attempt
        logger.log(.debug, "connecting to \(url) (attempt \(session.failures + 1))")
        if let reason = connection.connect() {
            perform(session.connectionFailed(reason))
            return
        }
        reactor.after(Self.connectTimeoutMs) { [self] in
            if attempt == thisAttempt, session.state == .connecting {
                perform(session.connectionFailed("no answer within \(Self.connectTimeoutMs / 1000) s"))
            }
        }
    }
}
