import AgentCore
import AgentPlatform
import CLibc
import TestSupport

/// An MQTTConnection added to its own reactor with the agent's one-second tick, recording
/// what it reports.
final class DrivenConnection {
    let reactor = Reactor()
    let connection: MQTTConnection
    private(set) var connects: [String?] = []
    private(set) var disconnects: [String] = []
    private(set) var messages: [InboundMessage] = []
    private(set) var ticks = 0

    init(port: Int, version: MQTTVersion = .v311,
         will: Publication = Publication(topic: "platform-test/will", payload: "gone")) throws {
        // As the agent (SignalWatcher) does: a write to a closed socket is an error, not a death.
        agent_ignore_signal(SIGPIPE)
        connection = try MQTTConnection(options: MQTTOptions(
            broker: BrokerAddress(tls: false, host: "127.0.0.1", port: port),
            clientId: uniqueName("platform-test"), keepaliveSeconds: 10, version: version,
            username: nil, password: nil, caFile: nil, certFile: nil, keyFile: nil, insecure: false, will: will))
        connection.onConnect = { [unowned self] in connects.append($0) }
        connection.onDisconnect = { [unowned self] in disconnects.append($0) }
        connection.onMessage = { [unowned self] in messages.append($0) }
        reactor.add(connection)
        reactor.every(1_000) { [unowned self] in
            connection.tick()
            ticks += 1
        }
    }

    /// Starts an attempt and runs until onConnect reports success.
    func connect() throws {
        let connectsBefore = connects.count, disconnectsBefore = disconnects.count
        if let reason = connection.connect() { throw TestFailure("connect() failed at once: \(reason)") }
        try reactor.run(until: "onConnect") {
            self.connects.count > connectsBefore || self.disconnects.count > disconnectsBefore
        }
        guard connects.count > connectsBefore, let outcome = connects.last, outcome == nil else {
            throw TestFailure("not connected: onConnect \(connects), onDisconnect \(disconnects)")
        }
    }

    /// Subscribes and runs until the subscription is known to be in force: a probe published
    /// on it afterwards has come back (the broker handles one client's packets in order).
    func subscribe(_ filter: String) throws {
        if let reason = connection.subscribe(filter) { throw TestFailure("subscribe \(filter): \(reason)") }
        let probe = filter.replacingLastComponent(with: "probe")
        if let reason = connection.publish(Publication(topic: probe, payload: "probe")) { throw TestFailure("publish: \(reason)") }
        _ = try waitForMessage(on: probe)
    }

    /// Runs until a message on `topic` has arrived, and returns the first.
    func waitForMessage(on topic: String) throws -> InboundMessage {
        try reactor.run(until: "a message on \(topic)") { self.messages.contains { $0.topic == topic } }
        return messages.first { $0.topic == topic }!
    }
}

/// A loopback TCP port that is bound but not listening: connections to it are refused, and
/// no other test's server can take it while the test holds it.
final class RefusingPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(SystemError.describe(agent_errno()))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TestFailure("bind: \(SystemError.describe(agent_errno()))")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

private extension String {
    /// The topic with its last level (here a `#`) replaced.
    func replacingLastComponent(with last: String) -> String {
        (split(separator: "/").dropLast() + [Substring(last)]).joined(separator: "/")
    }
}
