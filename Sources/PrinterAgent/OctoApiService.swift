import AgentCore
import AgentJSON
import AgentPlatform

/// The OctoPrint-compatible API (docs/octoprint-api.md) on its own HTTP server, when
/// `http_api` is on: slicers upload and print, Home Assistant follows the printer. Every
/// request maps onto the agent's own services: prints, pauses, deletes and the console go
/// through the command router as the broker's commands do (so the Anycubic clients see them
/// in the reports), uploads through `FileUpload` into the same sandbox. The USB stick is
/// OctoPrint's `sdcard` origin: listed, printed from and deleted, never written. Every route but
/// `/api/version`, an application's side of the app-key flow and the web page's files
/// (`WebPageFiles`) needs the API key (`X-Api-Key`, `Authorization: Bearer` or `?apikey=`);
/// a wrong or missing key is answered 403 before anything is done.
final class OctoApiService {
    /// The file in the state directory that keeps the API key.
    static let keyFileName = "api-key"
    /// The length of the API key, in letters and digits.
    static let keyLength = 32
    /// The file `printer-agent --approve-app <code>` writes the code to.
    static let approvalFileName = "app-approval"
    /// The largest JSON body a route reads.
    static let maxJsonBytes = 64 * 1024
    /// How deep a recursive listing goes below the folder asked for.
    static let maxListingDepth = 8

    private let server: HttpServer
    /// The file the key is kept in, read again at each request that needs the key.
    private let keyFile: StateFile
    /// The key as last read from `keyFile`.
    private var key: String
    private let commands: CommandService
    private let storage: StorageRoot
    private let approvals: StateFile
    private let logger: Logger
    private let reactor: Reactor
    private let uuid: String
    /// The controller's serial port or Klipper socket, and the serial speed (`/api/connection`).
    private let controllerPort: String?
    private let baudrate: Int?
    private var appKeys: AppKeyRequests
    /// The upload under way, one at a time, shared with LAN mode.
    private let uploads: UploadSlot
    /// The file `POST /api/job` `start` prints: the last one selected, and its storage.
    private var selected: (path: String, source: PrintSource)?
    /// Called after each upload stored a file, with its path in the local storage.
    var onUpload: (String) -> Void = { _ in }

    /// Reads or makes the key, and starts listening on `http_api_listen`:`http_api_port`.
    init(config: AgentConfig, identity: Identity, commands: CommandService, uploads: UploadSlot, reactor: Reactor,
         logger: Logger) throws(SystemError) {
        key = try Self.key(config)
        keyFile = StateFile(directory: config.stateDirectory, name: Self.keyFileName)
        self.uploads = uploads
        self.commands = commands
        storage = StorageRoot(path: config.storageLocal, label: "the printer's storage")
        approvals = StateFile(directory: config.stateDirectory, name: Self.approvalFileName)
        approvals.remove()
        self.logger = logger
        self.reactor = reactor
        uuid = Self.uuid(identity)
        switch config.controller {
        case .none: (controllerPort, baudrate) = (nil, nil)
        case .marlin: (controllerPort, baudrate) = (config.serialPort, config.serialBaud)
        case .klipper: (controllerPort, baudrate) = (config.klipperSocket, nil)
        }
        appKeys = AppKeyRequests(autoApprove: config.httpApiAutoApprove)
        server = try HttpServer(options: HttpServer.Options(address: config.httpApiListen, port: config.httpApiPort))
        registerRoutes()
        let page = WebPageFiles(folder: config.httpApiWww)
        page.register(on: server)
        server.start(on: reactor)
        logger.log(.info, "OctoPrint-compatible API on http://\(config.httpApiListen):\(server.port)")
        if !page.files.contains(where: { $0.name == "index.html" }) {
            logger.log(.warning, "no web page at / : \(config.httpApiWww)/index.html is missing (http_api_www)")
        }
    }

    /// Stops the server while this service is still whole (an upload it abandons calls back).
    deinit { server.stop() }

    /// The API key kept in the state directory, made there when missing.
    static func key(_ config: AgentConfig) throws(SystemError) -> String {
        try StateFile(directory: config.stateDirectory, name: keyFileName).keptWord(length: keyLength)
    }

    /// Replaces the kept key with a new random one, written as `StateFile.rewrite` does (the
    /// same owner and permissions, atomically), and returns it with the file's path. A running
    /// agent reads the file at each request (`currentKey`), so the old key is refused at once.
    /// Refused when there is no key yet: the agent makes the first one, as its own user.
    static func rotateKey(_ config: AgentConfig) throws(SystemError) -> (key: String, file: String) {
        let file = StateFile(directory: config.stateDirectory, name: keyFileName)
        guard file.word(length: keyLength) != nil else {
            throw SystemError(call: "rotate " + file.path, message: "there is no API key in \(file.path) to replace: the agent makes the first one when it starts with http_api on")
        }
        let made = LanCrypto.randomWord(keyLength)
        try file.rewrite(made + "\n")
        return (made, file.path)
    }

    /// The key in force: the file's as it is now (`--rotate-api-key` may have replaced it), or
    /// the last one read while the file cannot be read (removed, say: the agent makes a new
    /// one at its next start).
    private func currentKey() -> String {
        if let kept = keyFile.word(length: Self.keyLength) { key = kept }
        return key
    }

    /// The UUID the API and the discovery announce for the printer of `identity`.
    static func uuid(_ identity: Identity) -> String {
        OctoDocuments.uuid(deviceIdMD5: LanCrypto.md5(Array(identity.deviceId.value.utf8)))
    }

    /// The lines `--print-identity` adds when the API is on: the key and where it is kept,
    /// the port, the UUID and the model's name (what the discovery announces). The key is
    /// only read: made by whoever runs the command (root, say), it would be a file the agent's
    /// user could not read, and the agent would replace it.
    static func identityLines(_ config: AgentConfig, _ identity: Identity) -> [String] {
        let file = StateFile(directory: config.stateDirectory, name: keyFileName)
        let key = file.word(length: keyLength) ?? "none yet: the agent makes it when it starts with http_api on"
        return ["http_api_key = \(key)    (\(file.path))", "http_api_port = \(config.httpApiPort)",
                "http_api_uuid = \(uuid(identity))", "http_api_model = \(ModelCatalog.name(of: identity.modelId.value))"]
    }

    // MARK: Routes

    /// The route table: the version and the app-key flow open, everything else (the owner's
    /// decisions on app-key requests too) behind the key.
    private func registerRoutes() {
        server.route("GET", "/api/version") { _ in .respond(Self.json(200, OctoDocuments.version())) }
        server.route("GET", "/plugin/appkeys/probe") { _ in .respond(HttpResponse(status: 204, contentType: "text/plain", body: [])) }
        server.route("POST", "/plugin/appkeys/request") { [unowned(unsafe) self] request in
            let base = base(request)
            return body { [unowned(unsafe) self] bytes throws(CommandFailure) in try requestAppKey(bytes, base: base) }
        }
        server.route("GET", under: "/plugin/appkeys/request/") { [unowned(unsafe) self] request in
            .respond(pollAppKey(request.path(below: "/plugin/appkeys/request/")))
        }
        keyed("GET", "/api/plugin/appkeys") { [unowned(unsafe) self] _ in
            takeApprovalFile()
            return .respond(Self.json(200, OctoDocuments.appKeys(waiting: appKeys.waiting(now: reactor.now), now: reactor.now)))
        }
        keyed("POST", "/plugin/appkeys/decision/", prefix: true) { [unowned(unsafe) self] request in
            let code = request.path(below: "/plugin/appkeys/decision/")
            return body { [unowned(unsafe) self] bytes throws(CommandFailure) in
                let approve = try OctoRequest.decision(bytes)
                guard decide(code: code, approve: approve, by: "with the API key") else {
                    throw CommandFailure(ReplyCode(404), "no application waits with the code \(StoragePath.quoted(code)): none was made with it, it was decided already or it timed out")
                }
                return Self.noContent
            }
        }
        keyed("GET", "/api/server") { [unowned(unsafe) self] _ in .respond(Self.json(200, OctoDocuments.server(commands.state, ota: commands.ota.pending))) }
        keyed("POST", "/api/login") { _ in .respond(Self.json(200, OctoDocuments.login(session: LanCrypto.randomWord(32)))) }
        keyed("GET", "/api/settings") { [unowned(unsafe) self] _ in
            .respond(Self.json(200, OctoDocuments.settings(name: commands.state.printerName, uuid: uuid)))
        }
        keyed("GET", "/api/printerprofiles") { [unowned(unsafe) self] _ in
            .respond(Self.json(200, OctoDocuments.printerProfiles(name: commands.state.printerName,
                                                                   model: commands.state.modelName)))
        }
        keyed("GET", "/api/printer") { [unowned(unsafe) self] _ in .respond(printer()) }
        keyed("POST", "/api/printer/command") { [unowned(unsafe) self] _ in
            body { [unowned(unsafe) self] bytes throws(CommandFailure) in try console(bytes) }
        }
        for (path, bed) in [("/api/printer/tool", false), ("/api/printer/bed", true)] {
            keyed("POST", path) { [unowned(unsafe) self] _ in
                body { [unowned(unsafe) self] bytes throws(CommandFailure) in
                    try perform(Command(type: "tempature", action: "set", data: OctoRequest.heaterTarget(bytes, bed: bed)))
                    return Self.noContent
                }
            }
        }
        keyed("GET", "/api/connection") { [unowned(unsafe) self] _ in
            .respond(Self.json(200, OctoDocuments.connection(state: state, port: controllerPort, baudrate: baudrate)))
        }
        keyed("GET", "/api/job") { [unowned(unsafe) self] _ in .respond(job()) }
        keyed("POST", "/api/job") { [unowned(unsafe) self] _ in
            body { [unowned(unsafe) self] bytes throws(CommandFailure) in try jobCommand(bytes) }
        }
        keyed("GET", "/api/files") { [unowned(unsafe) self] request in .respond(list(request, [.local, .udisk])) }
        keyed("POST", "/api/files/local") { [unowned(unsafe) self] request in startUpload(request) }
        keyed("POST", "/api/files/sdcard") { [unowned(unsafe) self] _ in
            .respond(Self.error(409, commands.usbRoot() == nil
                ? "cannot upload to the USB stick (sdcard): none is inserted; upload to local"
                : "uploads go to the printer's storage (local): the USB stick (sdcard) is read, printed from and cleaned, not written"))
        }
        for source in [PrintSource.local, .udisk] {
            let prefix = "/api/files/" + OctoDocuments.origin(source)
            keyed("GET", prefix) { [unowned(unsafe) self] request in .respond(list(request, [source])) }
            keyed("GET", prefix + "/", prefix: true) { [unowned(unsafe) self] request in
                .respond(fileInfo(request.path(below: prefix + "/"), source, base: base(request)))
            }
            keyed("POST", prefix + "/", prefix: true) { [unowned(unsafe) self] request in
                let path = request.path(below: prefix + "/")
                return body { [unowned(unsafe) self] bytes throws(CommandFailure) in
                    try select(path, source, print: OctoRequest.fileCommand(bytes))
                }
            }
            keyed("DELETE", prefix + "/", prefix: true) { [unowned(unsafe) self] request in
                .respond(delete(request.path(below: prefix + "/"), source))
            }
        }
    }

    /// Adds a route for `path` (every path below it when `prefix`) that answers 403, doing
    /// nothing, without the right key.
    private func keyed(_ method: String, _ path: String, prefix: Bool = false,
                       _ handler: @escaping (HttpRequest) -> HttpRouteAnswer) {
        let checked: (HttpRequest) -> HttpRouteAnswer = { [unowned(unsafe) self] request in
            let given = request.header("X-Api-Key") ?? Self.bearer(request.header("Authorization")) ?? request.query("apikey")
            guard let given else {
                return .respond(Self.error(403, "this request needs the API key (header X-Api-Key): printer-agent --print-identity shows it"))
            }
            guard AsciiText.equalInConstantTime(Array(given.utf8), Array(currentKey().utf8)) else {
                logger.log(.warning, "API request with a wrong key from \(request.peerAddress ?? "unknown"): \(request.method) \(request.path)")
                return .respond(Self.error(403, "wrong API key: printer-agent --print-identity shows the right one"))
            }
            return handler(request)
        }
        if prefix { server.route(method, under: path, checked) } else { server.route(method, path, checked) }
    }

    /// The token of an `Authorization: Bearer <key>` header (OctoPrint takes the key so too).
    private static func bearer(_ header: String?) -> String? {
        guard let header, header.utf8.starts(with: "Bearer ".utf8) else { return nil }
        return String(decoding: header.utf8.dropFirst(7), as: UTF8.self)
    }

    /// Reads a JSON body and answers it with `handle`; a failure is a JSON error of its status.
    private func body(_ handle: @escaping ([UInt8]) throws(CommandFailure) -> HttpResponse) -> HttpRouteAnswer {
        .receiveBody(limit: Self.maxJsonBytes,
                     tooLarge: Self.error(413, "the body is larger than \(Self.maxJsonBytes) bytes"),
                     answer: { bytes in
                         do throws(CommandFailure) {
                             return try handle(bytes)
                         } catch {
                             return Self.error(OctoRequest.status(error.code), error.message)
                         }
                     })
    }

    // MARK: Printer and job

    /// The state as OctoPrint names it.
    private var state: OctoState {
        OctoState(connected: commands.printing.controllerConnected, phase: commands.printing.supervisor.job?.phase,
                  sdReady: commands.usbRoot() != nil)
    }

    /// `GET /api/printer`: 409 while the controller is not connected, as OctoPrint answers.
    private func printer() -> HttpResponse {
        let state = state
        guard state.operational else { return Self.error(409, "the printer is not operational: its controller is not connected") }
        return Self.json(200, OctoDocuments.printer(commands.printing.supervisor.readings, state: state))
    }

    /// `GET /api/job`.
    private func job() -> HttpResponse {
        let job = commands.printing.supervisor.job
        var entry: FileEntry?
        if let job, let root = storage(job.source) { entry = try? lookUp(Self.checked(job.relativePath), in: root) }
        return Self.json(200, OctoDocuments.job(job, state: state, size: entry?.size, dateSeconds: entry.map { $0.modifiedMs / 1000 }))
    }

    /// `POST /api/job`: start the selected file, cancel, pause, resume or toggle.
    private func jobCommand(_ bytes: [UInt8]) throws(CommandFailure) -> HttpResponse {
        switch try OctoRequest.jobCommand(bytes) {
        case .start:
            guard let selected else { throw CommandFailure(.conflict, "no file is selected: upload or select one first") }
            try startPrint(selected.path, selected.source)
        case .cancel:
            try perform(Command(type: "print", action: "stop"))
        case .pause(let action):
            let paused = commands.printing.supervisor.job.map { $0.phase == .paused || $0.phase == .pausing } ?? false
            let resume = action == .resume || (action == .toggle && paused)
            try perform(Command(type: "print", action: resume ? "resume" : "pause"))
        }
        return Self.noContent
    }

    /// `POST /api/printer/command`: the lines through the G-code console's allow-list.
    private func console(_ bytes: [UInt8]) throws(CommandFailure) -> HttpResponse {
        let lines = try OctoRequest.printerCommands(bytes)
        try perform(Command(type: "gcode", action: "send",
                            data: .object(JSONObject([("gcode", .string(lines.joined(separator: "\n")))]))))
        return Self.noContent
    }

    /// Prints the file at `path` below the root of `source`'s storage, as `print/start` does
    /// (`filetype` 1 local, 2 the USB stick).
    private func startPrint(_ path: String, _ source: PrintSource) throws(CommandFailure) {
        try perform(Command(type: "print", action: "start",
                            data: .object(JSONObject([("filename", .string(path)), ("filetype", .int(source.fileType))]))))
    }

    /// Routes `command`; a failed answer is thrown.
    private func perform(_ command: Command) throws(CommandFailure) {
        guard let report = commands.perform(command), report.code != .ok else { return }
        throw CommandFailure(report.code, report.message)
    }

    // MARK: Files

    /// The storage of `source`: the local one, or the USB stick's while one is mounted (nil
    /// without: OctoPrint's SD card that is not ready).
    private func storage(_ source: PrintSource) -> StorageRoot? {
        switch source {
        case .local: return storage
        case .udisk: return commands.usbRoot().map(StorageRoot.usbStick)
        }
    }

    /// `GET /api/files` (both storages), `/api/files/local`, `/api/files/sdcard`: the local
    /// root's entries (every level with `?recursive=true`) and the free space; the USB stick's
    /// G-code files at every level, flat, as OctoPrint lists an SD card's (none without a
    /// stick; a stick that cannot be read is left out of the combined list).
    private func list(_ request: HttpRequest, _ sources: [PrintSource]) -> HttpResponse {
        let base = base(request)
        do throws(StorageError) {
            var entries: [JSONValue] = []
            if sources.contains(.local) {
                entries = try listing(.root, in: storage, .local, base: base,
                                      depth: OctoRequest.flag(request.query("recursive")) ? Self.maxListingDepth : 0)
            }
            if sources.contains(.udisk), let stick = storage(.udisk) {
                do throws(StorageError) {
                    entries += try listing(.root, in: stick, .udisk, base: base, depth: Self.maxListingDepth)
                } catch {
                    if sources.count == 1 { throw error }
                    logger.log(.warning, "the USB stick's files are left out of /api/files: \(error.message)")
                }
            }
            let local = sources.contains(.local)
            return Self.json(200, OctoDocuments.files(entries, freeBytes: local ? (try? storage.availableBytes()) : nil, withFree: local))
        } catch {
            return Self.error(OctoRequest.status(error.code), error.message)
        }
    }

    /// The entries of `directory` in `root` (no hidden ones). Local: each folder's listed too
    /// while `depth` > 0. The USB stick: its G-code files only, those of its folders
    /// (while `depth` > 0) beside them.
    private func listing(_ directory: StoragePath, in root: StorageRoot, _ source: PrintSource, base: String,
                         depth: Int) throws(StorageError) -> [JSONValue] {
        var entries: [JSONValue] = []
        for entry in try root.list(directory) where !entry.isHidden {
            let path = directory.isRoot ? entry.name : directory.relativeText + "/" + entry.name
            let below = entry.isDirectory && depth > 0 ? try listing(try Self.checked(path), in: root, source, base: base,
                                                                     depth: depth - 1) : nil
            if source == .udisk {
                if let below { entries += below }
                if !entry.isDirectory, PrintService.isPrintable(entry.name) {
                    entries.append(OctoDocuments.fileEntry(entry, path: path, base: base, source: .udisk))
                }
            } else {
                entries.append(OctoDocuments.fileEntry(entry, path: path, base: base, children: below))
            }
        }
        return entries
    }

    /// `GET /api/files/<origin>/<path>`: one file's entry, or a local folder's with its entries.
    private func fileInfo(_ path: String, _ source: PrintSource, base: String) -> HttpResponse {
        do throws(StorageError) {
            let (checked, entry) = try lookUp(path, source)
            let children = entry.isDirectory ? try listing(checked, in: storage, .local, base: base, depth: 0) : nil
            return Self.json(200, OctoDocuments.fileEntry(entry, path: checked.relativeText, base: base, source: source,
                                                          children: children))
        } catch {
            return Self.error(OctoRequest.status(error.code), error.message)
        }
    }

    /// The file or folder at `path` in `source`'s storage, checked, and its entry: 404 when
    /// there is none, on the USB stick for anything but a G-code file (OctoPrint's SD card
    /// has no folders) and without a stick.
    private func lookUp(_ path: String, _ source: PrintSource) throws(StorageError) -> (StoragePath, FileEntry) {
        let checked = try Self.checked(path)
        guard let root = storage(source) else {
            throw StorageError(StorageError.notFoundCode, "no USB stick is inserted: the sdcard origin has no files")
        }
        let entry = try lookUp(checked, in: root)
        if source == .udisk, entry.isDirectory || !PrintService.isPrintable(entry.name) {
            throw StorageError(StorageError.notFoundCode, StoragePath.quoted(checked.displayText) + " is not a G-code file on the USB stick")
        }
        return (checked, entry)
    }

    /// The entry of the file or folder at `path` in `root`: 404 when there is none.
    private func lookUp(_ path: StoragePath, in root: StorageRoot) throws(StorageError) -> FileEntry {
        guard let parent = path.parent, let name = path.lastComponent else {
            throw StorageError(.badRequest, "name a file below the storage root")
        }
        guard let entry = try root.list(parent).first(where: { $0.name == name }), !entry.isHidden else {
            throw StorageError(StorageError.notFoundCode, StoragePath.quoted(path.displayText) + " does not exist")
        }
        return entry
    }

    /// `path` checked by the sandbox's rules.
    private static func checked(_ path: String) throws(StorageError) -> StoragePath {
        do throws(CommandFailure) {
            return try StoragePath(validating: path)
        } catch {
            throw StorageError(error)
        }
    }

    /// `POST /api/files/<origin>/<path>` `select`: selects the file, and prints it when asked.
    private func select(_ path: String, _ source: PrintSource, print: Bool) throws(CommandFailure) -> HttpResponse {
        let entry: FileEntry
        do throws(StorageError) {
            entry = try lookUp(path, source).1
        } catch {
            throw error.failure
        }
        guard !entry.isDirectory else { throw CommandFailure(.conflict, StoragePath.quoted(path) + " is a folder, not a file") }
        selected = (path, source)
        if print { try startPrint(path, source) }
        return Self.noContent
    }

    /// `DELETE /api/files/<origin>/<path>`, as `file/deleteLocal` and `deleteUdisk` do (the
    /// file being printed is refused with 409); on the USB stick only what its listing shows.
    private func delete(_ path: String, _ source: PrintSource) -> HttpResponse {
        do throws(CommandFailure) {
            let checked = try StoragePath(validating: path)
            guard let parent = checked.parent, let name = checked.lastComponent else {
                throw CommandFailure(.badRequest, "the storage root itself is never deleted")
            }
            if source == .udisk {
                do throws(StorageError) { _ = try lookUp(path, source) } catch { throw error.failure }
            }
            try perform(Command(type: "file", action: source == .local ? "deleteLocal" : "deleteUdisk",
                                data: .object(JSONObject([("path", .string(parent.displayText)), ("filename", .string(name))]))))
        } catch {
            return Self.error(OctoRequest.status(error.code), error.message)
        }
        if let selected, selected.path == path, selected.source == source { self.selected = nil }
        return Self.noContent
    }

    /// `POST /api/files/local`: the multipart upload of slicers (`file`, `path`, `select`,
    /// `print`), streamed to storage; then selected or printed as asked.
    private func startUpload(_ request: HttpRequest) -> HttpRouteAnswer {
        if uploads.isBusy { return .respond(Self.error(409, "another upload is under way: try again when it has finished")) }
        let base = base(request)
        do throws(UploadError) {
            let started = try FileUpload(Self.uploadForm, announced: nil, body: request.header("Content-Length"),
                                         storage: storage, inUse: { [unowned(unsafe) self] in commands.printing.isPrinting($0) },
                                         logger: logger)
            started.onEnd = { [unowned(unsafe) self] outcome in
                uploads.release()
                switch outcome {
                case .success(let stored): return uploaded(stored, base: base)
                case .failure(let failure): return Self.error(failure.status, failure.message)
                }
            }
            uploads.hold(started)
            return .receiveForm(started)
        } catch {
            return .respond(Self.error(error.status, error.message))
        }
    }

    /// The form of `POST /api/files/local`.
    static let uploadForm = UploadForm(fileField: "file", nameField: nil, directoryField: "path",
                                       textFields: ["path", "select", "print"], label: "API upload")

    /// The answer to a stored upload: 201 with its place, once selected or printed as asked;
    /// a print that cannot start is 409, saying that the file was stored.
    private func uploaded(_ stored: StoredUpload, base: String) -> HttpResponse {
        let path = stored.relativePath
        onUpload(path)
        let print = OctoRequest.flag(stored.fields["print"])
        let select = print || OctoRequest.flag(stored.fields["select"])
        if select { selected = (path, .local) }
        if print {
            do throws(CommandFailure) {
                try startPrint(path, .local)
            } catch {
                return Self.error(409, "/" + path + " was stored, but its print did not start: " + error.message)
            }
        }
        var response = Self.json(201, OctoDocuments.uploaded(name: stored.name, path: path, base: base,
                                                              selected: select, printed: print))
        response.location = OctoDocuments.resource(path, base: base)
        return response
    }

    // MARK: Application keys

    /// `POST /plugin/appkeys/request`: a request recorded, 201 with its poll URL; the
    /// owner is told in the log how to approve it (the web page lists it too).
    private func requestAppKey(_ bytes: [UInt8], base: String) throws(CommandFailure) -> HttpResponse {
        let app = try OctoRequest.appName(bytes)
        let token = LanCrypto.randomWord(32)
        let code = LanCrypto.randomWord(8)
        try appKeys.request(app: app, token: token, code: code, now: reactor.now)
        if appKeys.autoApprove {
            logger.log(.info, "application \(StoragePath.quoted(app)) asked for the API key: approved (http_api_auto_approve)")
        } else {
            logger.log(.warning, "application \(StoragePath.quoted(app)) asks for the API key: approve it on the printer with printer-agent --approve-app \(code) within 5 minutes")
        }
        var response = Self.json(201, .object(JSONObject([("app_token", .string(token))])))
        response.location = base + "/plugin/appkeys/request/" + token
        return response
    }

    /// `GET /plugin/appkeys/request/<token>`: 202 while waiting, the key once approved, 404
    /// for an unknown or timed-out request.
    private func pollAppKey(_ token: String) -> HttpResponse {
        takeApprovalFile()
        switch appKeys.poll(token: token, now: reactor.now) {
        case .waiting: return Self.json(202, .object(JSONObject([("message", .string("Awaiting decision"))])))
        case .approved: return Self.json(200, .object(JSONObject([("api_key", .string(currentKey()))])))
        case .unknown: return Self.error(404, "no such request: it was never made, was denied or timed out")
        }
    }

    /// Approves the request whose code `printer-agent --approve-app <code>` left in the
    /// approval file, if it did, and removes the file.
    private func takeApprovalFile() {
        guard let bytes = approvals.read(limit: 64) else { return }
        approvals.remove()
        let code = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        if !decide(code: code, approve: true, by: "on the printer") {
            logger.log(.warning, "--approve-app \(StoragePath.quoted(code)): no application waits with that code")
        }
    }

    /// The owner's decision on the request waiting with `code`, made `by` the printer's
    /// command or the API (the web page): approved, its next poll gets the key; denied, it
    /// ends (its poll answers 404). Logged; false when no request waits with that code.
    private func decide(code: String, approve: Bool, by: String) -> Bool {
        guard let app = appKeys.decide(code: code, approve: approve, now: reactor.now) else { return false }
        logger.log(.info, "application \(StoragePath.quoted(app)) \(approve ? "approved" : "denied") \(by)")
        return true
    }

    // MARK: Helpers

    /// The API's URL as the client reached it: the address the request came in on.
    private func base(_ request: HttpRequest) -> String {
        "http://" + (request.localAddress ?? "127.0.0.1") + ":" + String(server.port)
    }

    /// 204 with no body.
    private static let noContent = HttpResponse(status: 204, contentType: "text/plain", body: [])

    /// A JSON answer.
    private static func json(_ status: Int, _ value: JSONValue) -> HttpResponse { .json(status, JSONCodec.print(value)) }

    /// A JSON error answer, `{"error": message}`.
    private static func error(_ status: Int, _ message: String) -> HttpResponse { json(status, OctoDocuments.error(message)) }
}
