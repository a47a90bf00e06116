import AgentJSON

/// Klipper's API server (as Anycubic's gklib exposes it on /tmp/unix_uds1): JSON requests
/// ended by byte 0x03 on a Unix stream socket, many clients at once, replies by request id,
/// and status pushes to subscribers every `--update-interval` with only what changed.
final class KlipperSimulator: Simulator {
    /// The byte that ends every frame.
    private static let frameEnd: UInt8 = 0x03
    /// The longest frame taken; a client sending a longer one is disconnected.
    private static let maximumFrameLength = 1 << 20
    /// The cause of the `error` fault's shutdown, with the hint Klippy adds to it.
    static let mcuShutdown = """
        MCU 'mcu' shutdown: Timer too close
        This often indicates the host computer is overloaded. Check
        for other processes consuming excessive CPU time, high swap
        usage, disk errors, overheating, unstable voltage, or
        similar system problems on the host computer.
        """
    /// How long `--reorder` holds every `gcode/script` reply.
    private static let reorderDelay = 0.3

    let address: String
    private let options: KlipperOptions
    private let loop: EventLoop
    private let transcript: Transcript
    private let printer: KlipperPrinter
    private var server: UnixSocketServer?
    private var clients: [Int: KlipperClient] = [:]
    private var nextClientID = 1
    /// After the `silence` fault: no reply or push is sent any more.
    private var silent = false

    /// Listens on the socket and starts the push timer.
    init(options: KlipperOptions, loop: EventLoop, transcript: Transcript) throws {
        self.options = options
        self.loop = loop
        self.transcript = transcript
        address = options.socket
        printer = KlipperPrinter(options: options, loop: loop)
        server = try UnixSocketServer(path: options.socket, loop: loop) { [unowned self] in accept($0) }
        printer.onMove = { [unowned self] in applyFaults(atMove: $0) }
        printer.onOutput = { [unowned self] in sendOutput($0) }
        printer.onRestart = { [unowned self] in
            // After the reply to the request that asked for it, as Klippy's host restarts.
            loop.after(0) { [unowned self] in dropClients() }
        }
        loop.every(options.updateInterval) { [unowned self] in pushUpdates() }
    }

    /// Stops listening and removes the socket.
    func stop() {
        server?.close()
        server = nil
    }

    /// Takes a new connection.
    private func accept(_ fd: Int32) {
        let id = nextClientID
        nextClientID += 1
        let channel = ByteChannel(fd: fd, loop: loop, limit: 16 << 20, overflow: .close)
        let client = KlipperClient(id: id, channel: channel)
        clients[id] = client
        channel.onBytes = { [unowned self] in received($0, from: id) }
        channel.onClose = { [unowned self] in clients[id] = nil }
    }

    /// Cuts the bytes into frames and handles each.
    private func received(_ bytes: [UInt8], from id: Int) {
        for byte in bytes {
            guard let client = clients[id] else { return }
            if byte == Self.frameEnd {
                let frame = client.partialFrame
                client.partialFrame = []
                handle(frame, from: client)
            } else if client.partialFrame.count < Self.maximumFrameLength {
                client.partialFrame.append(byte)
            } else {
                client.channel.close()
                clients[id] = nil
            }
        }
    }

    /// Parses one request and answers it (or, for a frame that is no request, answers an
    /// error without an id and keeps the connection).
    private func handle(_ frame: [UInt8], from client: KlipperClient) {
        transcript.received(String(decoding: frame, as: UTF8.self))
        let request: JSONObject
        do {
            guard let object = try JSONCodec.parse(frame).objectValue else {
                return refuse(client, id: nil, "Request is not a JSON object")
            }
            request = object
        } catch {
            return refuse(client, id: nil, "Malformed request: \(error.message)")
        }
        let id = request["id"]
        guard let method = request["method"]?.stringValue else {
            return refuse(client, id: id, "Request has no method")
        }
        let params: JSONObject
        switch request["params"] {
        case nil: params = JSONObject()
        case .object(let object)?: params = object
        default: return refuse(client, id: id, "Invalid Argument Type [params]")
        }
        dispatch(method, params, id: id, client: client)
    }

    /// Runs an endpoint. A request without an id runs but gets no reply, as in Klipper.
    private func dispatch(_ method: String, _ params: JSONObject, id: JSONValue?, client: KlipperClient) {
        let answer: (String?) -> Void = { [unowned self] error in
            if let error {
                reply(to: client, id: id, error: error)
            } else {
                reply(to: client, id: id, result: JSONObject())
            }
        }
        switch method {
        case "info":
            reply(to: client, id: id, result: info())
        case "objects/list":
            reply(to: client, id: id, result: JSONObject([("objects", .array(KlipperPrinter.objectNames.map(JSONValue.string)))]))
        case "objects/query", "objects/subscribe":
            do {
                let objects = try requestedObjects(params)
                let now = loop.now
                let status = currentStatus(objects, now: now)
                if method == "objects/subscribe" {
                    let template = try responseTemplate(params)
                    client.subscription = KlipperClient.Subscription(objects: objects, template: template, lastSent: status)
                }
                reply(to: client, id: id, result: JSONObject([("eventtime", .number(now)), ("status", .object(status))]))
            } catch {
                reply(to: client, id: id, error: error.message)
            }
        case "gcode/subscribe_output":
            do {
                client.outputTemplate = try responseTemplate(params)
                reply(to: client, id: id, result: JSONObject())
            } catch {
                reply(to: client, id: id, error: error.message)
            }
        case "gcode/script":
            guard let script = params["script"]?.stringValue else {
                return reply(to: client, id: id, error: "Missing Argument [script]")
            }
            printer.runScript(script) { [unowned self] error in
                guard options.reorder else { return answer(error) }
                loop.after(Self.reorderDelay) { answer(error) }
            }
        case "pause_resume/pause":
            printer.pause(completion: answer)
        case "pause_resume/resume":
            answer(printer.resume())
        case "pause_resume/cancel":
            answer(printer.cancel())
        case "emergency_stop":
            printer.shutdown("Shutdown due to webhooks request")
            answer(nil)
        case "gcode/restart", "gcode/firmware_restart":
            printer.restart()
            answer(nil)
        default:
            answer("Unknown endpoint \(method)")
        }
    }

    /// The `info` result.
    private func info() -> JSONObject {
        JSONObject([
            ("state", .string(printer.webhooksState)),
            ("state_message", .string(printer.webhooksMessage)),
            ("hostname", .string("printer-sim")),
            ("software_version", .string("v0.12.0-sim")),
            ("cpu_info", .string("sim")),
            ("klipper_path", .string("/sim")),
            ("python_path", .string("/sim")),
            ("log_file", .string("/sim/klippy.log")),
            ("config_file", .string("/sim/printer.cfg")),
        ])
    }

    /// The `objects` parameter: object names, each with its field list or nil for all fields.
    private func requestedObjects(_ params: JSONObject) throws(RequestError) -> [(name: String, fields: [String]?)] {
        guard let value = params["objects"] else { throw RequestError(message: "Missing Argument [objects]") }
        guard case .object(let objects) = value else { throw RequestError(message: "Invalid Argument Type [objects]") }
        var result: [(name: String, fields: [String]?)] = []
        for member in objects.members {
            switch member.value {
            case .null:
                result.append((member.key, nil))
            case .array(let items):
                let fields = items.compactMap(\.stringValue)
                guard fields.count == items.count else { throw RequestError(message: "Invalid Argument Type [objects]") }
                result.append((member.key, fields))
            default:
                throw RequestError(message: "Invalid Argument Type [objects]")
            }
        }
        return result
    }

    /// The `response_template` parameter of a subscription (`{}` when absent).
    private func responseTemplate(_ params: JSONObject) throws(RequestError) -> JSONObject {
        switch params["response_template"] {
        case nil: return JSONObject()
        case .object(let template)?: return template
        default: throw RequestError(message: "Invalid Argument Type [response_template]")
        }
    }

    /// The status of `objects`, each limited to its fields (an unknown object is `{}`).
    private func currentStatus(_ objects: [(name: String, fields: [String]?)], now: Double) -> JSONObject {
        var status = JSONObject()
        for (name, fields) in objects {
            let full = printer.status(of: name, now: now) ?? JSONObject()
            guard let fields else {
                status[name] = .object(full)
                continue
            }
            status[name] = .object(JSONObject(fields.compactMap { field in full[field].map { (field, $0) } }))
        }
        return status
    }

    /// Sends every subscriber the fields that changed since its last push, if any.
    private func pushUpdates() {
        let now = loop.now
        for client in clients.values.sorted(by: { $0.id < $1.id }) {
            guard var subscription = client.subscription else { continue }
            let status = currentStatus(subscription.objects, now: now)
            let changes = subscription.changes(to: status)
            guard !changes.isEmpty else { continue }
            client.subscription = subscription
            var message = subscription.template
            message["params"] = .object(JSONObject([("eventtime", .number(now)), ("status", .object(changes))]))
            send(message, to: client)
        }
    }

    /// Sends a line of G-code output to every client subscribed to it, on its template with
    /// `params: {response: line}`, as Klipper's `gcode/subscribe_output` does.
    private func sendOutput(_ line: String) {
        for client in clients.values.sorted(by: { $0.id < $1.id }) {
            guard var message = client.outputTemplate else { continue }
            message["params"] = .object(JSONObject([("response", .string(line))]))
            send(message, to: client)
        }
    }

    /// Applies the faults due at the Nth move.
    private func applyFaults(atMove move: Int) {
        for fault in options.faults where fault.move == move {
            switch fault.kind {
            case .close:
                dropClients()
            case .silence:
                silent = true
            case .error:
                printer.shutdown(Self.mcuShutdown)
            }
        }
    }

    /// Closes every client's connection.
    private func dropClients() {
        clients.values.forEach { $0.channel.close() }
        clients.removeAll()
    }

    /// Sends a result reply (none for a request without an id).
    private func reply(to client: KlipperClient, id: JSONValue?, result: JSONObject) {
        guard let id else { return }
        send(JSONObject([("id", id), ("result", .object(result))]), to: client)
    }

    /// Sends an error reply (none for a request without an id).
    private func reply(to client: KlipperClient, id: JSONValue?, error message: String) {
        guard let id else { return }
        refuse(client, id: id, message)
    }

    /// Sends an error reply; `id` nil leaves the id out (a frame that was no request).
    private func refuse(_ client: KlipperClient, id: JSONValue?, _ message: String) {
        var object = JSONObject()
        if let id { object["id"] = id }
        object["error"] = .object(JSONObject([("error", .string("WebRequestError")), ("message", .string(message))]))
        send(object, to: client)
    }

    /// Sends one frame, records it, unless silenced or the client is gone.
    private func send(_ object: JSONObject, to client: KlipperClient) {
        guard !silent, client.channel.isOpen else { return }
        let text = JSONCodec.print(.object(object))
        transcript.sent(text)
        client.channel.send(Array(text.utf8) + [Self.frameEnd])
    }
}

/// A request Klipper refuses before running it: a missing or mistyped argument.
private struct RequestError: Error {
    let message: String
}
