import AgentCore
import CLibc
import CMosquitto

/// How to reach and log in to the broker.
public struct MQTTOptions {
    public var broker: BrokerAddress
    public var clientId: String
    public var keepaliveSeconds: Int
    public var version: MQTTVersion
    public var username: String?
    public var password: String?
    /// CA file that signs the broker's certificate; nil trusts the system's CA store.
    public var caFile: String?
    /// Client certificate and key, for mutual TLS.
    public var certFile: String?
    public var keyFile: String?
    /// Skip verification of the broker's certificate (explicit opt-in only).
    public var insecure: Bool
    /// The will: published by the broker if the agent vanishes without disconnecting.
    public var will: Publication

    /// Creates options.
    public init(broker: BrokerAddress, clientId: String, keepaliveSeconds: Int, version: MQTTVersion,
                username: String?, password: String?, caFile: String?, certFile: String?, keyFile: String?,
                insecure: Bool, will: Publication) {
        self.broker = broker
        self.clientId = clientId
        self.keepaliveSeconds = keepaliveSeconds
        self.version = version
        self.username = username
        self.password = password
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.insecure = insecure
        self.will = will
    }
}

/// One libmosquitto client driven by the agent's reactor: its socket is polled like any
/// other descriptor and served with `mosquitto_loop_read/write/misc` (never libmosquitto's
/// own thread). It reports what happens through three callbacks and does no policy of its
/// own: when to reconnect is `BrokerSession`'s decision.
public final class MQTTConnection: PollSource {
    /// The broker answered CONNECT: nil on success, else why it refused.
    public var onConnect: (String?) -> Void = { _ in }
    /// The connection ended (or an attempt failed after it started), with the reason.
    public var onDisconnect: (String) -> Void = { _ in }
    /// A message arrived.
    public var onMessage: (InboundMessage) -> Void = { _ in }

    private let handle: OpaquePointer
    private let options: MQTTOptions
    /// Asks the reactor for one round of writability. libmosquitto's `want_write` is not
    /// enough to drive it from outside: while a TLS connection is set up (and after a
    /// handshake that finished inside a read) it answers false although a packet waits.
    /// Its own loop wakes itself through a socket pair after every queued packet; this
    /// flag does the same after each call that queues one, each read and each tick.
    private var writeKick = false
    /// Whether an attempt or connection is under way whose end has not been reported yet.
    /// libmosquitto does not call its disconnect callback on every path that closes the
    /// socket (a failed TLS handshake inside a read, for one), so the end is also detected
    /// here, from the socket being gone after a loop call, and reported exactly once.
    private var open = false
    /// libmosquitto's latest error line of the current attempt (for a TLS failure, OpenSSL's
    /// reason, such as `certificate verify failed`), which its return codes do not carry.
    private var libraryError: String?
    /// The broker's host name being looked up before the attempt, nil when none is.
    /// libmosquitto resolves the name inside its connect call, on the caller's thread; the
    /// name is therefore looked up first off the reactor (`HostLookup`), and libmosquitto is
    /// called once it resolves, when its own lookup finds the answer at once. The name itself
    /// is still what libmosquitto gets, so TLS checks the certificate against it.
    private var lookup: HostLookup?
    private static var libraryReady = false

    /// QoS of everything the agent publishes and subscribes to.
    public static let qos: Int32 = 1

    /// Creates the client and applies the options (credentials, TLS, protocol version).
    public init(options: MQTTOptions) throws(SystemError) {
        if !Self.libraryReady {
            mosquitto_lib_init()
            Self.libraryReady = true
        }
        guard let client = mosquitto_new(options.clientId, true, nil) else {
            throw SystemError.fromErrno("mosquitto_new")
        }
        handle = client
        self.options = options
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        try configure()
        installCallbacks()
    }

    deinit {
        mosquitto_destroy(handle)
    }

    private func configure() throws(SystemError) {
        let version = options.version == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(version)), "protocol version")
        // An acknowledgement and its report go out back to back: with Nagle's algorithm the
        // second waits for the peer's delayed ACK of the first (40 ms on Linux).
        try check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        if options.username != nil || options.password != nil {
            try check(mosquitto_username_pw_set(handle, options.username, options.password), "credentials")
        }
        guard options.broker.tls else { return }
        if options.caFile == nil {
            try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "system CA store")
        }
        if options.caFile != nil || options.certFile != nil {
            let capath: String? = options.caFile == nil ? "/etc/ssl/certs" : nil
            try check(mosquitto_tls_set(handle, options.caFile, capath, options.certFile, options.keyFile, nil), "TLS files")
        }
        if options.insecure {
            try check(mosquitto_tls_opts_set(handle, 0, nil, nil), "TLS verification off")
            try check(mosquitto_tls_insecure_set(handle, true), "TLS host name check off")
        }
    }

    private func check(_ rc: Int32, _ what: String) throws(SystemError) {
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            throw SystemError(call: "mosquitto \(what)", message: "MQTT \(what): \(Self.describe(rc))")
        }
    }

    private func installCallbacks() {
        mosquitto_connect_callback_set(handle) { _, context, rc in
            guard let context else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            connection.onConnect(rc == 0 ? nil : "the broker refused the connection: \(MQTTConnection.refusal(rc))")
        }
        mosquitto_disconnect_callback_set(handle) { _, context, rc in
            guard let context else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            connection.ended(rc == 0 ? "disconnected" : connection.reason(rc))
        }
        mosquitto_log_callback_set(handle) { _, context, level, text in
            guard let context, let text, level & Int32(MOSQ_LOG_ERR) != 0 else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            connection.libraryError = String(cString: text)
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let context, let message, let topic = message.pointee.topic else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            let length = Int(max(message.pointee.payloadlen, 0))
            var payload: [UInt8] = []
            if let bytes = message.pointee.payload, length > 0 {
                payload = Array(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            connection.onMessage(InboundMessage(topic: String(cString: topic), payload: payload,
                                                retained: message.pointee.retain))
        }
    }

    /// The sentence for a CONNACK refusal: MQTT 5 reason codes (128 and up) and the
    /// 3.1.1 return codes (1 to 5) have separate tables.
    static func refusal(_ rc: Int32) -> String {
        String(cString: rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc))
    }

    /// libmosquitto's sentence for `rc` (strerror for errno errors).
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return SystemError.describe(agent_errno()) }
        return String(cString: mosquitto_strerror(rc))
    }

    /// The sentence for `rc`; a TLS error gets OpenSSL's reason as libmosquitto logged it
    /// (`A TLS error occurred. (OpenSSL Error[0]: error:0A000086:SSL routines::certificate
    /// verify failed)`), without which "TLS error" cannot be told from a wrong CA file.
    func reason(_ rc: Int32) -> String {
        guard rc == MOSQ_ERR_TLS.rawValue, let detail = libraryError else { return Self.describe(rc) }
        return Self.describe(rc) + " (" + detail + ")"
    }

    /// Starts an attempt (closing any old socket, and leaving any lookup of an earlier one).
    /// Returns the reason when it failed at once (an immediately refused connection);
    /// otherwise the outcome comes through `onConnect` or `onDisconnect`, a host name that
    /// does not resolve included.
    public func connect() -> String? {
        let will = options.will
        let willRC = will.payload.utf8.withContiguousStorageIfAvailable { bytes in
            mosquitto_will_set(handle, will.topic, Int32(bytes.count), bytes.baseAddress, Self.qos, will.retain)
        } ?? MOSQ_ERR_INVAL.rawValue
        if willRC != MOSQ_ERR_SUCCESS.rawValue { return "cannot set the will: \(Self.describe(willRC))" }
        libraryError = nil
        lookup = nil
        if HostLookup.isAddress(options.broker.host) { return connectNow() }
        do {
            lookup = try HostLookup(options.broker.host)
        } catch {
            return error.message
        }
        open = true
        return nil
    }

    /// Hands the attempt to libmosquitto; the reason when it failed at once.
    private func connectNow() -> String? {
        let rc = mosquitto_connect_async(handle, options.broker.host, Int32(options.broker.port),
                                         Int32(options.keepaliveSeconds))
        let failure = queued(rc)
        if failure == nil { open = true }
        return failure
    }

    /// The lookup answered: the attempt goes on to libmosquitto, or ends with the reason.
    private func lookupAnswered(_ lookup: HostLookup) {
        self.lookup = nil
        if let reason = lookup.answer() {
            return ended("cannot resolve \(options.broker.host): \(reason)")
        }
        if let reason = connectNow() { ended(reason) }
    }

    /// Subscribes to `filter`; returns the reason on failure.
    public func subscribe(_ filter: String) -> String? {
        let rc = mosquitto_subscribe(handle, nil, filter, Self.qos)
        return queued(rc)
    }

    /// Hands `publication` to libmosquitto; returns the reason when it could not.
    public func publish(_ publication: Publication) -> String? {
        var payload = publication.payload
        let rc = payload.withUTF8 { bytes in
            mosquitto_publish(handle, nil, publication.topic, Int32(bytes.count), bytes.baseAddress,
                              Self.qos, publication.retain)
        }
        return queued(rc)
    }

    /// Sends DISCONNECT (the broker then does not publish the will) and closes the socket
    /// once it is written; `onDisconnect` follows.
    public func disconnect() {
        if lookup != nil {
            lookup = nil
            return ended("disconnected")
        }
        _ = mosquitto_disconnect(handle)
        writeKick = true
    }

    /// Keepalive pings and timeouts: call about once a second.
    public func tick() {
        guard lookup == nil else { return }
        checkClosed(mosquitto_loop_misc(handle))
        writeKick = true
    }

    /// After a call that queues a packet: nil and a write kick on success, else the reason
    /// (a TLS handshake that fails inside the connect call is reported here).
    private func queued(_ rc: Int32) -> String? {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return reason(rc) }
        writeKick = true
        return nil
    }

    /// Reports the end of the attempt or connection, once.
    private func ended(_ reason: String) {
        guard open else { return }
        open = false
        onDisconnect(reason)
    }

    /// After a loop call that returned `rc`: a socket that is gone means the connection ended.
    private func checkClosed(_ rc: Int32) {
        if open, mosquitto_socket(handle) < 0 {
            ended(rc == MOSQ_ERR_SUCCESS.rawValue ? "connection closed" : reason(rc))
        }
    }

    /// Whether libmosquitto still has bytes to write.
    public var wantsWrite: Bool { mosquitto_want_write(handle) }

    public var pollDescriptor: Int32 { lookup?.descriptor ?? mosquitto_socket(handle) }

    public var pollEvents: Int16 {
        lookup != nil ? Int16(POLLIN) : Int16(POLLIN) | (wantsWrite || writeKick ? Int16(POLLOUT) : 0)
    }

    public func handle(events: Int16) {
        if let lookup { return lookupAnswered(lookup) }
        if events & Int16(POLLIN | POLLERR | POLLHUP) != 0 {
            checkClosed(mosquitto_loop_read(handle, 1))
            writeKick = true
        }
        if events & Int16(POLLOUT) != 0, mosquitto_socket(handle) >= 0 {
            writeKick = false
            checkClosed(mosquitto_loop_write(handle, 1))
        }
    }
}
