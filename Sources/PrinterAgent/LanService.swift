import AgentCore
import AgentJSON
import AgentPlatform

/// LAN mode (docs/lan-mode.md): the stock firmware's HTTP endpoints on the agent's HTTP
/// server. `GET /info` gives the discovery document with the LAN token; `POST /ctrl` checks
/// the signed request (`LanControlGate`) and answers the LAN broker's login, encrypted with
/// the token; `POST /gcode_upload?s=<token>` stores a file on local storage (`FileUpload`).
/// The token is 32 random letters and digits kept in the state directory (`lan-token`):
/// removing that file and restarting the agent makes a new one.
final class LanService {
    /// The file in the state directory that keeps the token.
    static let tokenFileName = "lan-token"

    private let server: HttpServer
    /// The SSDP responder, unless `lan_ssdp_port` is 0 or its port could not be had.
    private var ssdp: SsdpResponder?
    private let token: String
    private let printer: LanDocuments.Printer
    private let login: (username: String, password: String)
    private let deviceId: String
    private let brokerPort: Int
    private let storage: StorageRoot
    private let inUse: (String) -> Bool
    private let logger: Logger
    private let reactor: Reactor
    private var gate = LanControlGate()
    /// The upload under way, one at a time, shared with the OctoPrint API.
    private let uploads: UploadSlot
    /// Called with the name of each file an upload stored.
    var onUpload: (String) -> Void = { _ in }

    /// Sets up LAN mode for `config` and `identity` (the token read or made, the broker login
    /// read) and starts listening; fails with a sentence naming what is missing.
    init(config: AgentConfig, identity: Identity, printerName: String, inUse: @escaping (String) -> Bool,
         uploads: UploadSlot, reactor: Reactor, logger: Logger) throws(SystemError) {
        self.uploads = uploads
        if let missing = Self.missingLogin(config, identity) { throw SystemError(call: "lan_mode", message: missing) }
        let username = config.lanUsername ?? identity.lanUsername?.value ?? ""
        var password = identity.lanPassword?.value ?? ""
        if let file = config.lanPasswordFile {
            password = try FileReader.firstLine(file)
            if password.isEmpty { throw SystemError(call: "lan_mode", message: "lan_password_file \(file): the first line (the LAN broker password) is empty") }
        }
        login = (username, password)
        token = try StateFile(directory: config.stateDirectory, name: Self.tokenFileName).keptWord(length: 32)
        let modelId = identity.modelId.value
        let modelName = ModelCatalog.name(of: modelId)
        printer = LanDocuments.Printer(modelId: modelId,
                                       modelName: modelName.hasPrefix("Anycubic") ? modelName : "Anycubic " + modelName,
                                       deviceName: printerName, serial: identity.deviceId.value)
        deviceId = identity.deviceId.value
        brokerPort = config.lanBrokerPort
        storage = StorageRoot(path: config.storageLocal, label: "the printer's storage")
        self.inUse = inUse
        self.logger = logger
        self.reactor = reactor
        server = try HttpServer(options: HttpServer.Options(address: config.lanListen, port: config.lanPort))
        server.route("GET", "/info") { [unowned(unsafe) self] in .respond(discovery($0)) }
        server.route("POST", "/ctrl") { [unowned(unsafe) self] in .respond(control($0)) }
        server.route("POST", "/gcode_upload") { [unowned(unsafe) self] in startUpload($0) }
        for stale in storage.removeStaleTemporaries() { logger.log(.info, "removed \(stale), left by an interrupted transfer") }
        server.start(on: reactor)
        logger.log(.info, "LAN mode: handshake and uploads on http://\(config.lanListen):\(server.port)")
        if config.lanSsdpPort != 0 { startDiscovery(port: config.lanSsdpPort, interface: config.lanListen) }
    }

    /// Answers SSDP searches on UDP `port`; a port that cannot be had is logged, and LAN mode
    /// goes on without discovery.
    private func startDiscovery(port: Int, interface: String) {
        let printer = printer, lanPort = server.port, reactor = reactor
        do {
            let responder = try SsdpResponder(port: port, interface: interface, clock: { reactor.now }) { host in
                SsdpDiscovery.reply(printer, host: host, port: lanPort, mac: HostInfo.hardwareAddress(of: host))
            }
            if !responder.joinedGroup {
                logger.log(.warning, "SSDP: cannot join 239.255.255.250: only searches sent to this host are answered")
            }
            reactor.add(responder)
            ssdp = responder
        } catch {
            logger.log(.warning, "SSDP discovery is off: \(error.message)")
        }
    }

    /// Stops the server while this service is still whole (an upload it abandons calls back),
    /// and the SSDP responder.
    deinit {
        server.stop()
        if let ssdp { reactor.remove(ssdp) }
    }

    /// Why LAN mode cannot hand out a broker login with `config` and `identity`, or nil when it can.
    static func missingLogin(_ config: AgentConfig, _ identity: Identity) -> String? {
        if config.lanUsername == nil && identity.lanUsername == nil {
            return "lan_mode needs the LAN broker login: set lan_username and lan_password_file, or identity = gen-b with a device_account.json"
        }
        if config.lanPasswordFile == nil && identity.lanPassword == nil {
            return "lan_mode needs the LAN broker password: set lan_password_file"
        }
        return nil
    }

    /// The upload URL for clients that reach the printer at `host`.
    func uploadUrl(host: String) -> String {
        LanDocuments.uploadUrl(host: host, port: server.port, token: token)
    }

    /// `GET /info`: the discovery document, for the address the request came in on.
    private func discovery(_ request: HttpRequest) -> HttpResponse {
        let host = request.localAddress ?? "127.0.0.1"
        let document = LanDocuments.discovery(printer, token: token, host: host, port: server.port,
                                              mac: request.localHardwareAddress)
        return .json(200, JSONCodec.print(.object(document)))
    }

    /// `POST /ctrl?ts&nonce&sign&did`: the broker login, encrypted, or a JSON error.
    private func control(_ request: HttpRequest) -> HttpResponse {
        let arguments = LanControlGate.Request(ts: request.query("ts"), nonce: request.query("nonce"),
                                               sign: request.query("sign"), did: request.query("did"))
        let peer = request.peerAddress ?? "unknown"
        let verdict = gate.check(arguments, token: token, address: peer, wallMs: Clock.wallClockMs(),
                                 monotonicMs: reactor.now, md5Hex: LanCrypto.md5Hex)
        if case .refuse(let status, let message) = verdict {
            logger.log(.warning, "LAN handshake from \(peer) refused (\(status)): \(message)")
            return Self.refusal(status, message)
        }
        let host = request.localAddress ?? "127.0.0.1"
        let credentials = LanDocuments.credentials(broker: "mqtts://\(host):\(brokerPort)", username: login.username,
                                                   password: login.password, deviceId: deviceId,
                                                   modelId: printer.modelId, host: host)
        let ivSource = LanCrypto.randomWord(16)
        guard let sealed = LanCrypto.aes128CbcEncrypt(Array(JSONCodec.print(.object(credentials)).utf8),
                                                      key: Array(token.utf8.dropFirst(16)), iv: Array(ivSource.utf8)) else {
            return Self.refusal(500, "the credentials could not be encrypted")
        }
        logger.log(.info, "LAN handshake from \(peer) (did \(arguments.did ?? "")): broker login handed out")
        return .json(200, JSONCodec.print(.object(LanDocuments.granted(ivSource: ivSource, info: LanCrypto.base64(sealed)))))
    }

    /// `POST /gcode_upload?s=<token>`: checks the head, then receives the file.
    private func startUpload(_ request: HttpRequest) -> HttpRouteAnswer {
        guard let given = request.query("s"), given == token else {
            return .respond(Self.refusal(403, "the upload URL's token is wrong: take fileUploadurl from /info again"))
        }
        if uploads.isBusy { return .respond(Self.refusal(409, "another upload is under way: try again when it has finished")) }
        do throws(UploadError) {
            let started = try FileUpload(.lan, announced: request.header("X-File-Length"), body: request.header("Content-Length"),
                                         storage: storage, inUse: inUse, logger: logger)
            started.onEnd = { [unowned(unsafe) self] outcome in
                uploads.release()
                switch outcome {
                case .success(let stored):
                    onUpload(stored.name)
                    return .json(200, "{\"code\":200,\"message\":\"success\"}")
                case .failure(let failure):
                    return Self.refusal(failure.status, failure.message)
                }
            }
            uploads.hold(started)
            return .receiveForm(started)
        } catch {
            return .respond(Self.refusal(error.status, error.message))
        }
    }

    /// A JSON error answer with `status` as both the HTTP status and the `code`.
    static func refusal(_ status: Int, _ message: String) -> HttpResponse {
        .json(status, JSONCodec.print(.object(LanDocuments.refused(code: status, message: message))))
    }
}
