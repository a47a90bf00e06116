import CMosquitto
import Foundation

/// A message the printer published.
struct PrinterMessage {
    let topic: String
    let payload: [String: Any]
}

/// printerctl's MQTT client: libmosquitto on its own network thread (a command-line tool
/// has no reactor to drive it), collecting every message of its subscriptions for the
/// caller to wait on. TLS never checks the broker's certificate: the LAN broker's is
/// self-signed, as on the stock firmware, and its clients check none.
final class BrokerClient {
    private let handle: OpaquePointer
    private let condition = NSCondition()
    private var messages: [PrinterMessage] = []
    private var connectResult: Int32?
    private var lost: String?
    private var subscribed: Set<Int32> = []

    /// Connects to `url` (`mqtt://` or `mqtts://`, port 1883 or 8883 by default) with the
    /// login given, waiting at most `timeout` seconds for the broker's answer.
    init(url: BrokerURL, username: String?, password: String?, timeout: TimeInterval) throws {
        mosquitto_lib_init()
        guard let client = mosquitto_new("printerctl-\(UUID().uuidString.prefix(8))", true, nil) else {
            throw CtlError.connection("cannot create an MQTT client")
        }
        handle = client
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if username != nil || password != nil { mosquitto_username_pw_set(handle, username, password) }
        if url.tls {
            mosquitto_tls_set(handle, nil, "/etc/ssl/certs", nil, nil, nil)
            mosquitto_tls_opts_set(handle, 0, nil, nil)
            mosquitto_tls_insecure_set(handle, true)
        }
        installCallbacks()
        let status = mosquitto_connect_async(handle, url.host, Int32(url.port), 30)
        guard status == MOSQ_ERR_SUCCESS.rawValue, mosquitto_loop_start(handle) == MOSQ_ERR_SUCCESS.rawValue else {
            mosquitto_destroy(handle)
            throw CtlError.connection("cannot reach the broker \(url): \(Self.describe(status))")
        }
        let result = wait(timeout: timeout) { $0.connectResult ?? ($0.lost != nil ? -1 : nil) }
        guard let result else {
            close()
            throw CtlError.connection("the broker \(url) did not answer within \(Int(timeout)) s")
        }
        guard result == 0 else {
            let why = result > 0 ? String(cString: mosquitto_connack_string(result)) : (lost ?? "connection lost")
            close()
            throw CtlError.connection("the broker \(url) refused the connection: \(why)")
        }
    }

    deinit { close() }

    private var closed = false

    /// Disconnects and stops the network thread (once).
    func close() {
        condition.lock()
        let already = closed
        closed = true
        condition.unlock()
        guard !already else { return }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        mosquitto_destroy(handle)
    }

    /// Routes libmosquitto's callbacks (on its network thread) into the state under the lock.
    private func installCallbacks() {
        mosquitto_connect_callback_set(handle) { _, context, rc in
            BrokerClient.from(context)?.update { $0.connectResult = rc }
        }
        mosquitto_disconnect_callback_set(handle) { _, context, rc in
            BrokerClient.from(context)?.update { $0.lost = BrokerClient.describe(rc) }
        }
        mosquitto_subscribe_callback_set(handle) { _, context, mid, _, _ in
            BrokerClient.from(context)?.update { _ = $0.subscribed.insert(mid) }
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let message, let topic = message.pointee.topic else { return }
            let length = Int(message.pointee.payloadlen)
            let bytes = message.pointee.payload.map { Data(bytes: $0, count: length) } ?? Data()
            guard let json = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else { return }
            let received = PrinterMessage(topic: String(cString: topic), payload: json)
            BrokerClient.from(context)?.update { $0.messages.append(received) }
        }
    }

    /// The client a callback's user data points at.
    private static func from(_ context: UnsafeMutableRawPointer?) -> BrokerClient? {
        context.map { Unmanaged<BrokerClient>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Changes the state under the lock and wakes every waiter.
    private func update(_ change: (BrokerClient) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds (forever when nil) until `check` returns a value.
    private func wait<T>(timeout: TimeInterval?, _ check: (BrokerClient) -> T?) -> T? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = check(self) { return value }
            // (Foundation's wait(until: .distantFuture) traps on Linux: no deadline, no date.)
            guard let deadline else {
                condition.wait()
                continue
            }
            if !condition.wait(until: deadline) { return check(self) }
        }
    }

    /// Subscribes to `filter` and waits for the broker's acknowledgement.
    func subscribe(_ filter: String, timeout: TimeInterval) throws {
        var mid: Int32 = 0
        let status = mosquitto_subscribe(handle, &mid, filter, 0)
        guard status == MOSQ_ERR_SUCCESS.rawValue,
              wait(timeout: timeout, { $0.subscribed.contains(mid) ? true : nil }) != nil else {
            throw CtlError.connection("the broker did not accept the subscription to \(filter)")
        }
    }

    /// Publishes `payload` on `topic` (QoS 0, as the LAN clients do).
    func publish(_ topic: String, _ payload: Data) throws {
        let status = payload.withUnsafeBytes {
            mosquitto_publish(handle, nil, topic, Int32($0.count), $0.baseAddress, 0, false)
        }
        guard status == MOSQ_ERR_SUCCESS.rawValue else {
            throw CtlError.connection("cannot send to the broker: \(Self.describe(status))")
        }
    }

    /// Waits up to `timeout` seconds (forever when nil) for the first message from index
    /// `after` on that `matches`; returns it with the index after it. Throws when the
    /// connection is lost first.
    func next(after: Int, timeout: TimeInterval?, _ matches: (PrinterMessage) -> Bool) throws -> (PrinterMessage, Int)? {
        var lostReason: String?
        let found: (PrinterMessage, Int)?? = wait(timeout: timeout) { client in
            if let index = client.messages[min(after, client.messages.count)...].firstIndex(where: matches) {
                return .some((client.messages[index], index + 1))
            }
            if let lost = client.lost { lostReason = lost; return .some(nil) }
            return nil
        }
        if let lostReason { throw CtlError.connection("lost the broker: \(lostReason)") }
        return found ?? nil
    }

    /// How many messages arrived so far (the index the next one will have).
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return messages.count
    }

    /// libmosquitto's words for a status code.
    private static func describe(_ status: Int32) -> String {
        status == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(status))
    }
}
