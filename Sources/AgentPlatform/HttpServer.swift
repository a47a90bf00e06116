import CLibc
import CMicroHTTPD

/// The agent's one HTTP server (design decision 9): GNU libmicrohttpd with no thread of its
/// own, driven by the reactor. The daemon runs in epoll mode; its epoll descriptor is a
/// reactor source, and `MHD_run` is called when it is readable or when the daemon's own
/// timeout (idle connections, data still to process) is due. Requests are dispatched by a
/// small table of routes (method and path); a route answers at once or receives the body as
/// form fields, streamed piece by piece (`HttpFormReceiver`). libmicrohttpd parses the HTTP,
/// the query string and the multipart body: nothing here reads a byte of the wire. The
/// library is opened with dlopen when the first server starts (Sources/CMicroHTTPD/shim.h).
///
/// Why libmicrohttpd: it is made for embedding, is maintained (GNU), is packaged by Debian,
/// Buildroot, Yocto (meta-oe) and OpenWrt, and runs from an external poll loop (its epoll fd
/// and timeout), with multipart decoding included. civetweb and libonion start threads of
/// their own; mongoose (GPL or commercial) and lwan are in none of those distributions as a
/// library; libevhtp and h2o's library need libevent or libuv beside the agent's reactor.
public final class HttpServer: PollSource {
    /// What the server is started with.
    public struct Options {
        /// The IPv4 address to listen on, dotted (`0.0.0.0`: every interface).
        public var address: String
        /// The TCP port; 0 lets the kernel choose (`port` then says which).
        public var port: Int
        /// Connections open at once, over all clients.
        public var connectionLimit: Int = 128
        /// Connections open at once from one address.
        public var connectionsPerAddress: Int = 32
        /// Seconds a connection may stay without traffic (a slow or vanished client).
        public var idleTimeoutSeconds: Int = 30
        /// Bytes per connection for the request line, the headers and the read buffer: a
        /// request whose head does not fit gets 431 from libmicrohttpd. Only what a
        /// connection uses is touched: an idle one costs a few kilobytes.
        public var connectionMemory: Int = 128 * 1024
        /// Bytes the read buffer grows by: a body is read in pieces of up to this size
        /// (libmicrohttpd's default, 1 KiB, makes an upload many small reads).
        public var readIncrement: Int = 64 * 1024

        /// Options for `address` and `port` with the default limits.
        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }
    }

    /// The routes, in the order they are looked up.
    public private(set) var routes: [HttpRoute] = []
    private var daemon: OpaquePointer?
    private var reactor: Reactor?
    private var timer: Reactor.TimerID?
    private var descriptor: Int32 = -1

    /// Starts listening; fails when the address is not this host's or the port is taken.
    public init(options: Options) throws(SystemError) {
        var address = in_addr()
        guard options.address.withCString({ inet_pton(AF_INET, $0, &address) }) == 1 else {
            throw SystemError(call: "inet_pton", message: "\"\(options.address)\" is not an IPv4 address")
        }
        let limits = agent_mhd_limits(connections: UInt32(options.connectionLimit),
                                      connections_per_address: UInt32(options.connectionsPerAddress),
                                      idle_timeout_seconds: UInt32(options.idleTimeoutSeconds),
                                      connection_memory: options.connectionMemory,
                                      read_increment: options.readIncrement)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let started = agent_mhd_start(address.s_addr, UInt16(options.port), limits, { context, connection, url, method, _, data, size, slot in
            guard let context, let connection, let url, let method, let size, let slot else { return .NO }
            let server = Unmanaged<HttpServer>.fromOpaque(context).takeUnretainedValue()
            return server.access(connection, url: String(cString: url), method: String(cString: method), data: data,
                                 size: size, slot: slot)
        }, context, { _, _, slot, _ in
            guard let slot, let stored = slot.pointee else { return }
            slot.pointee = nil
            Unmanaged<HttpExchange>.fromOpaque(stored).takeRetainedValue().end()
        }, nil)
        guard let started else {
            if agent_mhd() == nil {
                let reason = agent_mhd_load_error().map { String(cString: $0) } ?? "not found"
                throw SystemError(call: "dlopen", message: "libmicrohttpd.so.12 cannot be loaded (\(reason)): install libmicrohttpd")
            }
            throw SystemError.fromErrno("listen on \(options.address):\(options.port)")
        }
        daemon = started
        descriptor = agent_mhd_epoll_fd(started)
    }

    deinit { stop() }

    /// The port the server listens on.
    public var port: Int { daemon.map { Int(agent_mhd_port($0)) } ?? 0 }

    /// Answers `method` requests for `path` (exact, without the query string) with `handler`.
    public func route(_ method: String, _ path: String, _ handler: @escaping (HttpRequest) -> HttpRouteAnswer) {
        routes.append(HttpRoute(method: method, path: path, isPrefix: false, handler: handler))
    }

    /// Answers `method` requests for every path below `prefix` (which ends in `/`; the rest
    /// of the path is `request.path` past it, never empty) with `handler`.
    public func route(_ method: String, under prefix: String, _ handler: @escaping (HttpRequest) -> HttpRouteAnswer) {
        routes.append(HttpRoute(method: method, path: prefix, isPrefix: true, handler: handler))
    }

    /// Serves from now on, on `reactor`.
    public func start(on reactor: Reactor) {
        self.reactor = reactor
        reactor.add(self)
        run()
    }

    /// Closes every connection (a body being received is abandoned) and stops listening.
    public func stop() {
        if let timer { reactor?.cancel(timer) }
        timer = nil
        reactor?.remove(self)
        reactor = nil
        if let daemon { agent_mhd_stop(daemon) }
        daemon = nil
    }

    public var pollDescriptor: Int32 { daemon == nil ? -1 : descriptor }
    public var pollEvents: Int16 { Int16(POLLIN) }

    public func handle(events: Int16) { run() }

    /// Lets libmicrohttpd do what is ready, then asks the reactor to come back when its next
    /// timeout is due.
    private func run() {
        guard let daemon else { return }
        agent_mhd_run(daemon)
        if let timer { reactor?.cancel(timer) }
        timer = nil
        let timeout = agent_mhd_timeout(daemon)
        guard timeout >= 0, let reactor else { return }
        timer = reactor.after(timeout) { [unowned(unsafe) self] in
            timer = nil
            run()
        }
    }

    /// The access handler: called once when the head has arrived, then for each piece of
    /// the body, then once with none left.
    fileprivate func access(_ connection: OpaquePointer, url: String, method: String, data: UnsafePointer<CChar>?,
                            size: UnsafeMutablePointer<Int>, slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        if let stored = slot.pointee {
            let exchange = Unmanaged<HttpExchange>.fromOpaque(stored).takeUnretainedValue()
            if size.pointee > 0 {
                let keep = exchange.take(UnsafeRawBufferPointer(start: data, count: size.pointee))
                size.pointee = 0
                return keep ? .YES : .NO
            }
            return exchange.finish().queue(on: connection)
        }
        let url = Self.mergingSlashes(url)
        let request = HttpRequest(connection: connection, method: method, path: url)
        guard let route = routes.first(where: { $0.matches(url) && $0.method == method }) else {
            let known = routes.contains { $0.matches(url) }
            return (known ? HttpResponse.text(405, "\(method) is not allowed on \(url)\n")
                          : HttpResponse.text(404, "no such page: \(url)\n")).queue(on: connection)
        }
        switch route.handler(request) {
        case .respond(let response):
            return response.queue(on: connection)
        case .receiveForm(let receiver):
            let exchange = HttpExchange(receiver: receiver, bounded: request.header("Content-Length") != nil)
            guard exchange.open(connection) else {
                return receiver.refuse(status: 415, message: "the body must be multipart/form-data").queue(on: connection)
            }
            slot.pointee = Unmanaged.passRetained(exchange).toOpaque()
            return .YES
        case .receiveBody(let limit, let tooLarge, let answer):
            let receiver = HttpBodyBuffer(limit: limit, tooLarge: tooLarge, answer: answer)
            if let announced = request.header("Content-Length").flatMap(Int64.init), announced > Int64(limit) {
                return receiver.refuse(status: 413, message: "").queue(on: connection)
            }
            let bounded = request.header("Content-Length") != nil
            slot.pointee = Unmanaged.passRetained(HttpExchange(buffer: receiver, bounded: bounded)).toOpaque()
            return .YES
        }
    }
}

extension HttpServer {
    /// `path` with each run of `/` made one, as Flask (werkzeug) reads a path: a client that
    /// joins a base URL ending in `/` to a path starting with one (pyoctoprintapi's bed
    /// command) reaches the route it means.
    static func mergingSlashes(_ path: String) -> String {
        var merged: [UInt8] = []
        for byte in path.utf8 where !(byte == UInt8(ascii: "/") && merged.last == UInt8(ascii: "/")) { merged.append(byte) }
        return merged.count == path.utf8.count ? path : String(decoding: merged, as: UTF8.self)
    }
}

/// One route of the table: a method, an exact path or a prefix, and what answers it.
public struct HttpRoute {
    public let method: String
    public let path: String
    /// Whether `path` is a prefix (ending in `/`) that every longer path below it matches.
    public let isPrefix: Bool
    public let handler: (HttpRequest) -> HttpRouteAnswer

    /// Whether this route serves `url`.
    func matches(_ url: String) -> Bool {
        isPrefix ? url.utf8.count > path.utf8.count && url.utf8.starts(with: path.utf8) : url == path
    }
}

/// How a route answers a request whose head has arrived.
public enum HttpRouteAnswer {
    /// At once, with this response; a body the client sends is not read.
    case respond(HttpResponse)
    /// By receiving the body as form fields; the receiver answers when it has ended.
    case receiveForm(any HttpFormReceiver)
    /// By reading the whole body (a small JSON document) into memory, at most `limit` bytes,
    /// then answering it with `answer`; a longer body is dropped and answered `tooLarge`.
    case receiveBody(limit: Int, tooLarge: HttpResponse, answer: ([UInt8]) -> HttpResponse)
}

/// Takes a request body as form fields (multipart/form-data or urlencoded), piece by piece,
/// as libmicrohttpd's post processor decodes them, so a large file is never held in memory.
public protocol HttpFormReceiver: AnyObject {
    /// A piece of `field` (`filename` is set for a file part) starting at `offset` in the
    /// field's value. Returns false to refuse the rest: it is then read and dropped, and
    /// `finish` says why.
    func receive(field: String, filename: String?, offset: Int64, bytes: UnsafeRawBufferPointer) -> Bool
    /// The body has ended; `malformed` says libmicrohttpd stopped decoding it (after a refusal,
    /// or on a body that is not a well-formed form). The answer.
    func finish(malformed: Bool) -> HttpResponse
    /// The request ended before its body did: the client went away or went quiet for the idle
    /// timeout, or the server stopped.
    func abandon()
    /// The server refuses the body before reading it (`status`, `message`): the receiver lets
    /// go of what it prepared and answers in its own format.
    func refuse(status: Int, message: String) -> HttpResponse
}

/// An HTTP request as a route sees it: valid only during the call that hands it over.
public struct HttpRequest {
    fileprivate let connection: OpaquePointer
    /// `GET`, `POST`, ...
    public let method: String
    /// The path, without the query string.
    public let path: String

    /// The path past `prefix` (the route's, for a prefix route), counted in bytes: the
    /// device's String has no Unicode tables to count characters with.
    public func path(below prefix: String) -> String {
        String(decoding: path.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    /// The query argument `name`, decoded, or nil.
    public func query(_ name: String) -> String? { value(header: false, name) }

    /// The header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? { value(header: true, name) }

    /// This host's address on the interface the request came in on.
    public var localAddress: String? { address(local: true) }

    /// The client's address.
    public var peerAddress: String? { address(local: false) }

    /// The hardware address (`AA-BB-CC-DD-EE-FF`) of the interface the request came in on.
    public var localHardwareAddress: String? { localAddress.flatMap(HostInfo.hardwareAddress(of:)) }

    private func value(header: Bool, _ name: String) -> String? {
        name.withCString { agent_mhd_value(connection, header ? 1 : 0, $0) }.map { String(cString: $0) }
    }

    private func address(local: Bool) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let found = buffer.withUnsafeMutableBufferPointer { agent_mhd_address(connection, local ? 1 : 0, $0.baseAddress, $0.count) }
        guard found == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } }
    }
}

/// An HTTP response: a status, a content type and a body held whole (the agent's answers
/// are small documents).
public struct HttpResponse: Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// The `Location` header (a created resource), when there is one.
    public var location: String?

    /// A response of `status` with `body` of `contentType`.
    public init(status: Int, contentType: String, body: [UInt8], location: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.location = location
    }

    /// A plain-text response.
    public static func text(_ status: Int, _ text: String) -> HttpResponse {
        HttpResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// A JSON response.
    public static func json(_ status: Int, _ text: String) -> HttpResponse {
        HttpResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    /// Hands the response to libmicrohttpd, which sends it when the socket is writable.
    fileprivate func queue(on connection: OpaquePointer) -> MHD_Result {
        body.withUnsafeBytes { bytes in
            guard let location else { return agent_mhd_respond(connection, UInt32(status), contentType, bytes.baseAddress, bytes.count, nil) }
            return agent_mhd_respond(connection, UInt32(status), contentType, bytes.baseAddress, bytes.count, location)
        }
    }
}

/// A request whose body a `HttpFormReceiver` takes: decoded by libmicrohttpd's post
/// processor (a form), or handed over as it comes (`HttpBodyBuffer`); and what happened so
/// far. libmicrohttpd holds it (retained) from the head to the request's end.
private final class HttpExchange {
    /// Bytes of body read and dropped after a refusal when the client announced no length:
    /// past this the connection is closed instead.
    static let unboundedDiscardLimit = 1 << 20

    private let receiver: any HttpFormReceiver
    /// Whether the client announced the body's length (a refused body is then read to its end).
    private let bounded: Bool
    private var processor: OpaquePointer?
    /// Set when the post processor stopped: the receiver refused, or the body is not a form.
    private var malformed = false
    private var discarded = 0
    private var finished = false
    /// Whether the body goes to the receiver as it comes (one unnamed field), not decoded as a form.
    private let raw: Bool
    private var offset: Int64 = 0

    init(receiver: any HttpFormReceiver, bounded: Bool) {
        self.receiver = receiver
        self.bounded = bounded
        raw = false
    }

    /// An exchange that hands the body, undecoded, to `buffer`.
    init(buffer: HttpBodyBuffer, bounded: Bool) {
        receiver = buffer
        self.bounded = bounded
        raw = true
    }

    /// Makes the post processor; false when the body's content type is not a form.
    func open(_ connection: OpaquePointer) -> Bool {
        let context = Unmanaged.passUnretained(self).toOpaque()
        processor = agent_mhd_post_processor(connection, 64 * 1024, { context, _, key, filename, _, _, data, offset, size in
            guard let context, let key else { return .NO }
            let exchange = Unmanaged<HttpExchange>.fromOpaque(context).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
            return exchange.receiver.receive(field: String(cString: key), filename: filename.map { String(cString: $0) },
                                             offset: Int64(offset), bytes: bytes) ? .YES : .NO
        }, context)
        return processor != nil
    }

    /// A piece of the body; false closes the connection.
    func take(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if malformed {
            discarded += bytes.count
            return bounded || discarded <= Self.unboundedDiscardLimit
        }
        if raw {
            malformed = !receiver.receive(field: "", filename: nil, offset: offset, bytes: bytes)
            offset += Int64(bytes.count)
            return true
        }
        guard let processor, let base = bytes.baseAddress else { return true }
        if agent_mhd_post_process(processor, base.assumingMemoryBound(to: CChar.self), bytes.count) != .YES {
            malformed = true
        }
        return true
    }

    /// The body has ended: the receiver's answer.
    func finish() -> HttpResponse {
        finished = true
        if let processor, agent_mhd_destroy_post_processor(processor) != .YES { malformed = true }
        processor = nil
        return receiver.finish(malformed: malformed)
    }

    /// The request is over; the receiver hears of it unless it answered.
    func end() {
        if let processor { _ = agent_mhd_destroy_post_processor(processor) }
        processor = nil
        if !finished { receiver.abandon() }
    }
}

/// A small body read whole into memory (`HttpRouteAnswer.receiveBody`), then answered.
private final class HttpBodyBuffer: HttpFormReceiver {
    private let limit: Int
    private let tooLarge: HttpResponse
    private let answer: ([UInt8]) -> HttpResponse
    private var bytes: [UInt8] = []

    init(limit: Int, tooLarge: HttpResponse, answer: @escaping ([UInt8]) -> HttpResponse) {
        self.limit = limit
        self.tooLarge = tooLarge
        self.answer = answer
    }

    func receive(field: String, filename: String?, offset: Int64, bytes piece: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + piece.count <= limit else { return false }
        bytes.append(contentsOf: piece)
        return true
    }

    /// `malformed` here means only that the body was longer than the limit.
    func finish(malformed: Bool) -> HttpResponse { malformed ? tooLarge : answer(bytes) }

    func abandon() {}

    func refuse(status: Int, message: String) -> HttpResponse { tooLarge }
}
