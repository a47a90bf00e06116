import AgentCore
import AgentJSON
import AgentPlatform

/// The agent's command path without the broker: the intake, the router with the handler of
/// every command, the printer state the reports show and the outbox. A broker message goes
/// in, the publications that answer it come out of the outbox. It holds no socket, so the
/// command fuzzer drives exactly what the agent runs.
public final class CommandService {
    /// Turns reports into publications on the printer's topics.
    let encoder: ReportEncoder
    /// What waits to be published, in order; the agent takes it after each reactor callback.
    public let outbox: Outbox
    /// The printing commands and the print's lifecycle.
    let printing: PrintService
    /// Firmware updates.
    let ota: OtaService
    /// The file commands.
    let files: FileCommands
    /// What the reports show of the printer itself (the print's live values come from the supervisor).
    var state: PrinterState
    /// Where the USB stick is mounted, nil when none is.
    let usbRoot: () -> String?
    private let router = CommandRouter()
    private var intake: CommandIntake
    private let logger: Logger

    /// Creates the handlers of every command for `config` and `identity`, on `reactor`;
    /// `usbRoot()` is where the USB stick is mounted (nil when none is).
    public init(config: AgentConfig, identity: Identity, usbRoot: @escaping () -> String?, reactor: Reactor,
                logger: Logger) {
        let topics = DeviceTopics(modelId: identity.modelId.value, deviceId: identity.deviceId.value)
        self.logger = logger
        self.usbRoot = usbRoot
        encoder = ReportEncoder(topics: topics, wallClockMs: Clock.wallClockMs,
                                newMessageID: { MessageID.uuid(from: HostInfo.randomBytes(16)) })
        outbox = Outbox(encoder: encoder)
        intake = CommandIntake(topics: topics, maxPayload: config.maxPayloadBytes)
        state = PrinterState(
            printerName: config.printerName ?? ModelCatalog.name(of: topics.modelId),
            modelId: topics.modelId, deviceUnionId: identity.deviceUnionId?.value,
            firmwareVersion: Self.firmwareVersion(config.versionFile, logger: logger),
            agentVersion: AgentVersion.current, ip: HostInfo.primaryIPv4())
        state.peripheralVersion = config.peripheralVersionFile.flatMap { Self.firmwareVersion($0, logger: logger) }
        let backend = Self.backend(config, reactor: reactor, logger: logger)
        let printing = PrintService(backend: backend, config: config, kobra2: state.isKobra2, usbRoot: usbRoot,
                                    reactor: reactor, outbox: outbox, logger: logger)
        self.printing = printing
        let versionFile = config.versionFile
        ota = OtaService(config: config, reactor: reactor, outbox: outbox, logger: logger,
                         isPrinting: { printing.supervisor.isActive }, runningVersion: { Self.firmwareVersion(versionFile, logger: logger) })
        files = FileCommands(localRoot: config.storageLocal, usbRoot: usbRoot, inUse: { path in printing.isPrinting(path) })
        PrinterReports.register(in: router, state: { [unowned(unsafe) self] in state }, print: { printing.supervisor },
                                canPrint: backend != nil)
        PeripheralReports.register(in: router, udiskPresent: { usbRoot() != nil })
        files.register(in: router)
        printing.register(in: router)
        ControlService(backend: backend, config: config, modelId: topics.modelId, outbox: outbox, logger: logger,
                       isPrinting: { printing.supervisor.isActive }, readings: { printing.supervisor.readings })
            .register(in: router)
        ota.register(in: router)
    }

    /// Answers `message`, received at monotonic time `now` (milliseconds), in the outbox:
    /// the acknowledgement of its msgid, its report, and what the command caused; nothing
    /// for a message that is ignored (only logged).
    public func receive(_ message: InboundMessage, now: Int64) {
        switch intake.decide(message, now: now) {
        case .execute(let command):
            logger.log(.debug, "\(command.type)/\(command.action) msgid \(command.msgid ?? "none")")
            outbox.answer(msgid: command.msgid) { router.route(command) }
        case .reject(let msgid, let report):
            logger.log(.warning, "rejected a message on \(message.topic): \(report.message)")
            outbox.answer(msgid: msgid) { report }
        case .ignore(let reason):
            logger.log(.info, reason)
        }
    }

    /// Carries out `command` that came another way than the command topics (a Home Assistant
    /// control, the OctoPrint-compatible API): the same handler and checks as from the broker;
    /// with no msgid to answer, its report is published like any report, and returned.
    @discardableResult
    func perform(_ command: Command) -> Report? {
        var answer: Report?
        outbox.answer(msgid: nil) {
            answer = router.route(command)
            return answer
        }
        return answer
    }

    /// A stick was inserted, mounted, unmounted or removed: clients refresh their USB view
    /// from a pushed `peripherie` report and a `file/listUdisk` report of the stick's root.
    func usbChanged(mounted: Bool) {
        let listing = Command(type: "file", action: "listUdisk", data: .object(JSONObject()))
        outbox.send(PeripheralReports.changed(udiskPresent: mounted))
        if let report = router.route(listing) { outbox.send(report) }
    }

    /// A file arrived on local storage (a LAN upload): clients refresh from a pushed
    /// `file/listLocal` report of the storage's root.
    func localFilesChanged() {
        if let report = router.route(Command(type: "file", action: "listLocal", data: .object(JSONObject()))) { outbox.send(report) }
    }

    /// What each new connection announces: online (retained), the status, the version and,
    /// during a print, the print's state as `print/query` gives it: a report the broker took
    /// before it went down may never have reached the cloud (a `paused` would otherwise not
    /// be said again until the print moved on).
    func announcements() -> [Publication] {
        var announcements = [encoder.publication(PrinterReports.online(), retain: true),
                             encoder.publication(PrinterReports.status(print: printing.supervisor, msgid: nil)),
                             encoder.publication(PrinterReports.version(state, msgid: nil))]
        if let report = printing.supervisor.query(Command(type: "print", action: "query")) {
            announcements.append(encoder.publication(report))
        }
        return announcements
    }

    /// The backend the configuration names, or nil for `controller = none`.
    private static func backend(_ config: AgentConfig, reactor: Reactor, logger: Logger) -> (any PrinterBackend)? {
        switch config.controller {
        case .none: return nil
        case .marlin:
            return MarlinBackend(port: config.serialPort, baud: config.serialBaud, config: config, reactor: reactor,
                                 logger: logger)
        case .klipper:
            return KlipperBackend(socketPath: config.klipperSocket, auxFan: config.controls.klipperAuxFan, reactor: reactor,
                                  logger: logger)
        }
    }

    /// The firmware version from `path` (first line, trimmed), or nil when there is none.
    private static func firmwareVersion(_ path: String, logger: Logger) -> String? {
        do {
            let bytes = try FileReader.read(path, limit: 4096)
            let firstLine = bytes.split(separator: UInt8(ascii: "\n")).first.map { Array($0) } ?? []
            let text = ConfigFile.trimmed(Substring(String(decoding: firstLine, as: UTF8.self)))
            return text.isEmpty ? nil : String(text)
        } catch {
            logger.log(.debug, "no firmware version: \(error.message)")
            return nil
        }
    }
}
