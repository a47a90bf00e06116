import CMosquitto
import Foundation

/// A message a test client received.
public struct ReceivedMessage {
    public let topic: String
    public let payload: String
    public let retained: Bool

    /// The payload parsed as a JSON object, or nil.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any]
    }
}

/// An MQTT client for tests, on libmosquitto's own thread: it plays the cloud, the app
/// or the slicer, publishing commands and collecting what the agent publishes.
public final class MQTTTestClient {
    private let handle: OpaquePointer
    private let lock = NSLock()
    private var messages: [ReceivedMessage] = []
    private var connected = false
    private var connects = 0
    /// The message ids of the SUBSCRIBEs the broker acknowledged (SUBACK) so far.
    private var subscribed: Set<Int32> = []

    /// Connects to 127.0.0.1:`port` (MQTT 3.1.1, a clean session unless `cleanSession` is
    /// false) and starts the network thread, which reconnects by itself (after 1 s) when the
    /// connection is lost. A persistent session keeps its subscriptions across reconnects.
    public init(port: Int, id: String = "test-\(UUID().uuidString.prefix(8))",
                username: String? = nil, password: String? = nil, cleanSession: Bool = true) throws {
        mosquitto_lib_init()
        guard let client = mosquitto_new(id, cleanSession, nil) else { throw TestFailure("mosquitto_new failed") }
        handle = client
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if username != nil { mosquitto_username_pw_set(handle, username, password) }
        mosquitto_connect_callback_set(handle) { _, context, rc in
            guard let context, rc == 0 else { return }
            let client = Unmanaged<MQTTTestClient>.fromOpaque(context).takeUnretainedValue()
            client.lock.withLock {
                client.connected = true
                client.connects += 1
            }
        }
        mosquitto_disconnect_callback_set(handle) { _, context, _ in
            guard let context else { return }
            let client = Unmanaged<MQTTTestClient>.fromOpaque(context).takeUnretainedValue()
            client.lock.withLock { client.connected = false }
        }
        mosquitto_subscribe_callback_set(handle) { _, context, mid, _, _ in
            guard let context else { return }
            let client = Unmanaged<MQTTTestClient>.fromOpaque(context).takeUnretainedValue()
            client.lock.withLock { _ = client.subscribed.insert(mid) }
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let context, let message, let topic = message.pointee.topic else { return }
            let client = Unmanaged<MQTTTestClient>.fromOpaque(context).takeUnretainedValue()
            let length = Int(message.pointee.payloadlen)
            let bytes = message.pointee.payload.map { Data(bytes: $0, count: length) } ?? Data()
            let received = ReceivedMessage(topic: String(cString: topic),
                                           payload: String(decoding: bytes, as: UTF8.self),
                                           retained: message.pointee.retain)
            client.lock.withLock { client.messages.append(received) }
        }
        guard mosquitto_connect(handle, "127.0.0.1", Int32(port), 30) == MOSQ_ERR_SUCCESS.rawValue else {
            mosquitto_destroy(handle)
            throw TestFailure("test client could not connect to port \(port)")
        }
        mosquitto_loop_start(handle)
        try waitUntil("the test client is connected", timeout: 5) { self.lock.withLock { self.connected } }
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        mosquitto_destroy(handle)
    }

    /// Subscribes to `filter` and waits up to `timeout` seconds for the broker's SUBACK (the
    /// network thread records the acknowledged message ids): from then on the broker sends
    /// this client every matching message, retained ones included.
    public func subscribe(_ filter: String, timeout: TimeInterval = 10) throws {
        var mid: Int32 = 0
        let status = mosquitto_subscribe(handle, &mid, filter, 1)
        guard status == MOSQ_ERR_SUCCESS.rawValue else { throw TestFailure("mosquitto_subscribe \(filter): \(status)") }
        try waitUntil("the SUBACK for \(filter)", timeout: timeout) { lock.withLock { subscribed.contains(mid) } }
    }

    /// Publishes `payload` on `topic` with QoS 1.
    public func publish(_ topic: String, _ payload: String, retain: Bool = false) {
        var text = payload
        text.withUTF8 { bytes in
            _ = mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, 1, retain)
        }
    }

    /// Publishes raw bytes on `topic`.
    public func publish(_ topic: String, bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = mosquitto_publish(handle, nil, topic, Int32(buffer.count), buffer.baseAddress, 1, false)
        }
    }

    /// Whether the client is connected now.
    public var isConnected: Bool { lock.withLock { connected } }

    /// How many times the broker accepted the client's connection so far.
    public var connections: Int { lock.withLock { connects } }

    /// Everything received so far.
    public var received: [ReceivedMessage] { lock.withLock { messages } }

    /// Forgets what was received so far.
    public func clear() { lock.withLock { messages.removeAll() } }

    /// Waits up to `timeout` seconds for a message matching `predicate` and returns it.
    @discardableResult
    public func waitFor(_ what: String, timeout: TimeInterval = 10,
                        _ predicate: @escaping (ReceivedMessage) -> Bool) throws -> ReceivedMessage {
        var found: ReceivedMessage? = nil
        try waitUntil(what, timeout: timeout) {
            found = self.received.first(where: predicate)
            return found != nil
        }
        guard let found else { throw TestFailure("no message: \(what)") }
        return found
    }
}

/// Polls `condition` every 20 ms for up to `timeout` seconds; throws naming `what` if it never holds.
public func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return }
        usleep(20_000)
    }
    if condition() { return }
    throw TestFailure("timed out after \(timeout) s waiting for \(what)")
}
