import AgentCore
import AgentPlatform

/// The running agent: wires the command path (`CommandService`) and the broker session to
/// the platform (reactor, MQTT connection, USB, signals, systemd) and carries out the
/// actions the core returns. Everything happens on the reactor's one thread.
///
/// Lifetimes, here and in the services: a timer holds what its action uses (the reactor
/// lets go of it when it fires, is cancelled, or the reactor closes at the end of `run`).
/// A callback stored on an object that its owner holds privately for its whole life (the
/// connection, the USB watcher, a service's download) refers back to that owner
/// `unowned(unsafe)`: the object, and so the callback, cannot outlive it.
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
    private let commands: CommandService
    private let notifier = SystemdNotifier()
    private let usb: UsbStorage
    /// The LAN handshake and upload server, when `lan_mode` is on.
    private let lan: LanService?
    /// The OctoPrint-compatible API, when `http_api` is on.
    private let octoApi: OctoApiService?
    private var signals: SignalWatcher?
    private var attempt = 0
    private var stopping = false

    /// Creates the agent for a checked configuration and identity.
    init(startup: Startup, logger: Logger) throws(SystemError) {
        config = startup.config
        self.logger = logger
        let identity = startup.identity
        let usb = UsbStorage(options: UsbStorage.Options(config: config))
        self.usb = usb
        commands = CommandService(config: config, identity: identity, usbRoot: { usb.currentMountPoint }, reactor: reactor,
                                  logger: logger)
        let printing = commands.printing
        let uploads = UploadSlot()
        lan = config.lanMode ? try LanService(config: config, identity: identity, printerName: commands.state.printerName,
                                              inUse: { printing.isPrinting($0) }, uploads: uploads, reactor: reactor,
                                              logger: logger) : nil
        octoApi = config.httpApi ? Self.startOctoApi(config, identity, commands, uploads, reactor, logger) : nil
        let topics = commands.encoder.topics
        session = BrokerSession(topics: topics, backoff: ReconnectBackoff(spreadMs: Int64(config.reconnectSpreadSeconds) * 1000),
                                queueCapacity: config.offlineQueueSize, random: HostInfo.unitRandom)
        connection = try MQTTConnection(options: MQTTOptions(
            broker: config.broker,
            clientId: config.clientId ?? "printer-agent-\(topics.deviceId)",
            keepaliveSeconds: config.keepaliveSeconds, version: config.mqttVersion,
            username: config.username ?? identity.lanUsername?.value,
            password: config.password ?? (config.username == nil ? identity.lanPassword?.value : nil),
            caFile: config.tlsCAFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile,
            insecure: config.tlsInsecure,
            will: commands.encoder.publication(PrinterReports.offline(), retain: true)))
    }

    /// The OctoPrint-compatible API, or nil when it cannot start (its port taken, or 80
    /// without the right to bind it): logged, and the agent goes on without it, since the
    /// printer's own clients do not need it.
    private static func startOctoApi(_ config: AgentConfig, _ identity: Identity, _ commands: CommandService,
                                     _ uploads: UploadSlot, _ reactor: Reactor, _ logger: Logger) -> OctoApiService? {
        do {
            return try OctoApiService(config: config, identity: identity, commands: commands, uploads: uploads,
                                      reactor: reactor, logger: logger)
        } catch {
            logger.log(.error, "the OctoPrint-compatible API is off: \(error.message)")
            return nil
        }
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    func run() -> Int32 {
        connection.onConnect = { [unowned(unsafe) self] refusal in
            if let refusal {
                perform(session.connectionFailed(refusal))
            } else {
                commands.state.ip = HostInfo.primaryIPv4()
                commands.state.fileUploadUrl = lanUploadUrl()
                perform(session.connected(announcements: commands.announcements()))
            }
        }
        connection.onDisconnect = { [unowned(unsafe) self] reason in
            if stopping {
                reactor.stop()
            } else {
                perform(session.connectionFailed(reason))
            }
        }
        connection.onMessage = { [unowned(unsafe) self] message in commands.receive(message, now: reactor.now) }
        // What a callback queued is published once it returns, in the order it was queued.
        reactor.afterEachCallback = { [unowned(unsafe) self] in
            for publication in commands.outbox.take() { publish(publication) }
        }
        do {
            signals = try SignalWatcher { [unowned(unsafe) self] number in shutDown(signal: number) }
        } catch {
            logger.log(.error, error.message)
            return 1
        }
        if let signals { reactor.add(signals) }
        reactor.add(connection)
        reactor.every(1_000) { [self] in connection.tick() }
        lan?.onUpload = { [unowned(unsafe) self] _ in commands.localFilesChanged() }
        octoApi?.onUpload = { [unowned(unsafe) self] in commands.localFilesChanged() }
        commands.state.fileUploadUrl = lanUploadUrl()
        usb.log = { [unowned(unsafe) self] level, message in logger.log(level, message) }
        usb.onChange = { [unowned(unsafe) self] state in usbChanged(state) }
        _ = usb.start()
        reactor.add(usb)
        reactor.every(2_000) { [self] in usb.refresh() }
        commands.printing.start()
        commands.ota.start()
        if let interval = notifier.watchdogIntervalMs {
            reactor.every(interval) { [self] in notify("WATCHDOG=1") }
        }
        logger.log(.info, "printer-agent \(AgentVersion.current) for \(commands.state.modelName) (model \(commands.encoder.topics.modelId), device \(commands.encoder.topics.deviceId)), broker \(config.broker.url)")
        perform(session.start())
        notify("READY=1")
        // The reactor lets go of every callback when it is done, and with them of this agent.
        defer { reactor.close() }
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
                reactor.after(delay) { [self] in perform(session.reconnectDue()) }
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
        reactor.after(Self.connectTimeoutMs) { [self] in
            if attempt == thisAttempt, session.state == .connecting {
                perform(session.connectionFailed("no answer within \(Self.connectTimeoutMs / 1000) s"))
            }
        }
    }

    /// The upload URL `info` shows in LAN mode: on the address the LAN server listens on, or
    /// the printer's LAN address when it listens on every interface.
    private func lanUploadUrl() -> String? {
        guard let lan else { return nil }
        let host = config.lanListen == "0.0.0.0" ? commands.state.ip : config.lanListen
        return host.map { lan.uploadUrl(host: $0) }
    }

    /// A stick was inserted, mounted, unmounted or removed: tell the clients.
    private func usbChanged(_ state: UsbState) {
        logger.log(.info, state.mountPoint.map { "USB stick mounted on " + $0 } ?? "no USB stick mounted")
        commands.usbChanged(mounted: state.mountPoint != nil)
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
        let actions = session.stop(offline: commands.encoder.publication(PrinterReports.offline(), retain: true))
        perform(actions)
        if actions.contains(.disconnect) {
            reactor.after(Self.shutdownGraceMs) { [self] in reactor.stop() }
        } else {
            reactor.stop()
        }
    }

    private func notify(_ state: String) {
        if let error = notifier.notify(state) { logger.log(.warning, error.message) }
    }

}
