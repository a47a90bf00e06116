import AgentCore
import AgentJSON
import AgentPlatform
import CLibc

/// The running agent: wires the pure core (intake, router, broker session) to the
/// platform (reactor, MQTT connection, signals, systemd) and carries out the actions the
/// core returns. Everything happens on the reactor's one thread.
final class Agent {
    /// How long a connection attempt may take before it counts as failed.
    static let connectTimeoutMs: Int64 = 30_000
    /// How long a clean shutdown waits for the offline report to be written.
    static let shutdownGraceMs: Int64 = 3_000

    private let config: AgentConfig
    private let logger: Logger
    private let reactor = Reactor()
    private let connection: MQTTConnection
    private let session: BrokerSession
    private let encoder: ReportEncoder
    private let router = CommandRouter()
    private let notifier = SystemdNotifier()
    private let usb: UsbStorage
    private let printing: PrintService
    private let ota: OtaService
    private var intake: CommandIntake
    private var state: PrinterState
    private var signals: SignalWatcher?
    private var attempt = 0
    private var stopping = false

    /// Creates the agent for a checked configuration and identity.
    init(startup: Startup, logger: Logger) throws(SystemError) {
        config = startup.config
        self.logger = logger
        let identity = startup.identity
        let topics = DeviceTopics(modelId: identity.modelId.value, deviceId: identity.deviceId.value)
        encoder = ReportEncoder(topics: topics, wallClockMs: Clock.wallClockMs,
                                newMessageID: { MessageID.uuid(from: HostInfo.randomBytes(16)) })
        intake = CommandIntake(topics: topics, maxPayload: config.maxPayloadBytes)
        session = BrokerSession(topics: topics, queueCapacity: config.offlineQueueSize, random: HostInfo.unitRandom)
        state = PrinterState(
            printerName: config.printerName ?? ModelCatalog.name(of: topics.modelId),
            modelId: topics.modelId, deviceUnionId: identity.deviceUnionId?.value,
            firmwareVersion: Self.firmwareVersion(config.versionFile, logger: logger),
            agentVersion: AgentVersion.current, ip: HostInfo.primaryIPv4())
        connection = try MQTTConnection(options: MQTTOptions(
            broker: config.broker,
            clientId: config.clientId ?? "printer-agent-\(topics.deviceId)",
            keepaliveSeconds: config.keepaliveSeconds, version: config.mqttVersion,
            username: config.username ?? identity.lanUsername?.value,
            password: config.password ?? (config.username == nil ? identity.lanPassword?.value : nil),
            caFile: config.tlsCAFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile,
            insecure: config.tlsInsecure,
            will: encoder.publication(PrinterReports.offline(), retain: true)))
        let usb = UsbStorage(options: UsbStorage.Options(config: config))
        self.usb = usb
        let printing = PrintService(backend: Self.backend(config, logger: logger), config: config,
                                    usbRoot: { usb.currentMountPoint }, logger: logger)
        self.printing = printing
        let versionFile = config.versionFile
        ota = OtaService(config: config, logger: logger, isPrinting: { printing.supervisor.isActive },
                         runningVersion: { Self.firmwareVersion(versionFile, logger: logger) })
        state.peripheralVersion = config.peripheralVersionFile.flatMap { Self.firmwareVersion($0, logger: logger) }
        PrinterReports.register(in: router, state: { [unowned(unsafe) self] in currentState() })
        PeripheralReports.register(in: router, udiskPresent: { usb.currentMountPoint != nil })
        FileCommands(localRoot: config.storageLocal,
                     usbRoot: { usb.currentMountPoint },
                     inUse: { path in printing.isPrinting(path) })
            .register(in: router)
        printing.register(in: router)
        ota.register(in: router)
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    func run() -> Int32 {
        connection.onConnect = { [unowned(unsafe) self] refusal in
            if let refusal {
                perform(session.connectionFailed(refusal))
            } else {
                state.ip = HostInfo.primaryIPv4()
                perform(session.connected(announcements: announcements()))
            }
        }
        connection.onDisconnect = { [unowned(unsafe) self] reason in
            if stopping {
                reactor.stop()
            } else {
                perform(session.connectionFailed(reason))
            }
        }
        connection.onMessage = { [unowned(unsafe) self] message in receive(message) }
        do {
            signals = try SignalWatcher { [unowned(unsafe) self] number in shutDown(signal: number) }
        } catch {
            logger.log(.error, error.message)
            return 1
        }
        if let signals { reactor.add(signals) }
        reactor.add(connection)
        reactor.every(1_000) { [unowned(unsafe) self] in connection.tick() }
        usb.log = { [unowned(unsafe) self] level, message in logger.log(level, message) }
        usb.onChange = { [unowned(unsafe) self] state in usbChanged(state) }
        _ = usb.start()
        reactor.add(usb)
        reactor.every(2_000) { [unowned(unsafe) self] in usb.refresh() }
        printing.publish = { [unowned(unsafe) self] report in publish(encoder.publication(report)) }
        printing.start(on: reactor)
        ota.publish = { [unowned(unsafe) self] report in publish(encoder.publication(report)) }
        ota.start(on: reactor)
        if let interval = notifier.watchdogIntervalMs {
            reactor.every(interval) { [unowned(unsafe) self] in notify("WATCHDOG=1") }
        }
        logger.log(.info, "printer-agent \(AgentVersion.current) for \(state.modelName) (model \(encoder.topics.modelId), device \(encoder.topics.deviceId)), broker \(config.broker.url)")
        perform(session.start())
        notify("READY=1")
        do {
            try reactor.run()
        } catch {
            logger.log(.error, error.message)
            return 1
        }
        logger.log(.info, "stopped")
        return 0
    }

    private func perform(_ actions: [BrokerSession.Action]) {
        for action in actions {
            switch action {
            case .connect:
                startAttempt()
            case .scheduleReconnect(let delay):
                reactor.after(delay) { [unowned(unsafe) self] in perform(session.reconnectDue()) }
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
        logger.log(.debug, "connecting to \(config.broker.url) (attempt \(session.failures + 1))")
        if let reason = connection.connect() {
            perform(session.connectionFailed(reason))
            return
        }
        reactor.after(Self.connectTimeoutMs) { [unowned(unsafe) self] in
            if attempt == thisAttempt, session.state == .connecting {
                perform(session.connectionFailed("no answer within \(Self.connectTimeoutMs / 1000) s"))
            }
        }
    }

    private func announcements() -> [Publication] {
        [encoder.publication(PrinterReports.online(), retain: true),
         encoder.publication(PrinterReports.status(currentState(), msgid: nil)),
         encoder.publication(PrinterReports.version(state, msgid: nil))]
    }

    /// The printer's state with the print's live values.
    private func currentState() -> PrinterState {
        var current = state
        let supervisor = printing.supervisor
        current.readings = supervisor.readings
        current.busy = supervisor.isActive
        current.project = supervisor.job.map { .object($0.projectData) } ?? .null
        current.printSpeedMode = supervisor.speedMode
        return current
    }

    /// The backend the configuration names, or nil for `controller = none`.
    private static func backend(_ config: AgentConfig, logger: Logger) -> (any PrinterBackend)? {
        switch config.controller {
        case .none: return nil
        case .marlin: return MarlinBackend(port: config.serialPort, baud: config.serialBaud, config: config, logger: logger)
        case .klipper: return KlipperBackend(socketPath: config.klipperSocket, logger: logger)
        }
    }

    private func receive(_ message: InboundMessage) {
        switch intake.decide(message, now: Clock.monotonicMs()) {
        case .execute(let command):
            logger.log(.debug, "\(command.type)/\(command.action) msgid \(command.msgid ?? "none")")
            if let msgid = command.msgid { publish(encoder.acknowledgement(msgid)) }
            publish(encoder.publication(router.route(command)))
            for report in printing.takeDeferred() { publish(encoder.publication(report)) }
        case .reject(let msgid, let report):
            logger.log(.warning, "rejected a message on \(message.topic): \(report.message)")
            if let msgid { publish(encoder.acknowledgement(msgid)) }
            publish(encoder.publication(report))
        case .ignore(let reason):
            logger.log(.info, reason)
        }
    }

    /// A stick was inserted, mounted, unmounted or removed: clients refresh their USB view
    /// from a pushed `peripherie` report and a `file/listUdisk` report of the stick's root.
    private func usbChanged(_ state: UsbState) {
        logger.log(.info, state.mountPoint.map { "USB stick mounted on " + $0 } ?? "no USB stick mounted")
        publish(encoder.publication(PeripheralReports.changed(udiskPresent: state.mountPoint != nil)))
        let listing = Command(type: "file", action: "listUdisk", data: .object(JSONObject()))
        publish(encoder.publication(router.route(listing)))
    }

    private func publish(_ publication: Publication) {
        perform(session.publish(publication))
    }

    private func shutDown(signal number: Int32) {
        if stopping {
            logger.log(.warning, "second signal \(number): stopping now")
            reactor.stop()
            return
        }
        stopping = true
        logger.log(.info, "signal \(number): going offline")
        notify("STOPPING=1")
        let actions = session.stop(offline: encoder.publication(PrinterReports.offline(), retain: true))
        perform(actions)
        if actions.contains(.disconnect) {
            reactor.after(Self.shutdownGraceMs) { [unowned(unsafe) self] in reactor.stop() }
        } else {
            reactor.stop()
        }
    }

    private func notify(_ state: String) {
        if let error = notifier.notify(state) { logger.log(.warning, error.message) }
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
