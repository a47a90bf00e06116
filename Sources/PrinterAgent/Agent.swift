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
    /// How long a clean shutdown waits for the offline report to be written.
    static let shutdownGraceMs: Int64 = 3_000

    private let config: AgentConfig
    private let logger: Logger
    private let reactor = Reactor()
    private let link: BrokerLink
    /// The session to the user's own broker, when `home_broker` is set.
    private let home: HomeService?
    private let commands: CommandService
    private let notifier = SystemdNotifier()
    private let usb: UsbStorage
    /// The LAN handshake and upload server, when `lan_mode` is on.
    private let lan: LanService?
    /// The OctoPrint-compatible API, when `http_api` is on.
    private let octoApi: OctoApiService?
    private var signals: SignalWatcher?
    private var stopping = false
    /// The sessions still writing their offline state during a shutdown.
    private var closing = 0

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
        link = try BrokerLink(options: MQTTOptions(
            broker: config.broker,
            clientId: config.clientId ?? "printer-agent-\(topics.deviceId)",
            keepaliveSeconds: config.keepaliveSeconds, version: config.mqttVersion,
            username: config.username ?? identity.lanUsername?.value,
            password: config.password ?? (config.username == nil ? identity.lanPassword?.value : nil),
            caFile: config.tlsCAFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile,
            insecure: config.tlsInsecure,
            will: commands.encoder.publication(PrinterReports.offline(), retain: true)),
            subscriptions: [topics.commandFilter], name: "broker", spreadMs: Int64(config.reconnectSpreadSeconds) * 1000,
            queueCapacity: config.offlineQueueSize, reactor: reactor, logger: logger)
        home = config.home.broker == nil ? nil
            : try HomeService(config: config, identity: identity, commands: commands, reactor: reactor, logger: logger)
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
        link.announcements = { [unowned(unsafe) self] in
            commands.state.ip = HostInfo.primaryIPv4()
            commands.state.fileUploadUrl = lanUploadUrl()
            return commands.announcements()
        }
        link.onMessage = { [unowned(unsafe) self] message in commands.receive(message, now: reactor.now) }
        link.onStopped = { [unowned(unsafe) self] in sessionClosed() }
        // What a callback queued is published once it returns, in the order it was queued.
        reactor.afterEachCallback = { [unowned(unsafe) self] in
            for publication in commands.outbox.take() { link.publish(publication) }
            home?.refresh()
        }
        do {
            signals = try SignalWatcher { [unowned(unsafe) self] number in shutDown(signal: number) }
        } catch {
            logger.log(.error, error.message)
            return 1
        }
        if let signals { reactor.add(signals) }
        lan?.onUpload = { [unowned(unsafe) self] path in stored(path) }
        octoApi?.onUpload = { [unowned(unsafe) self] path in stored(path) }
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
        link.start()
        home?.start()
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

    /// The upload URL `info` shows in LAN mode: on the address the LAN server listens on, or
    /// the printer's LAN address when it listens on every interface.
    private func lanUploadUrl() -> String? {
        guard let lan else { return nil }
        let host = config.lanListen == "0.0.0.0" ? commands.state.ip : config.lanListen
        return host.map { lan.uploadUrl(host: $0) }
    }

    /// A file an upload (LAN mode or the API) stored in the local storage: the clients are told
    /// to list again, and the home broker hears of it.
    private func stored(_ path: String) {
        commands.localFilesChanged()
        home?.uploaded(path)
    }

    /// A stick was inserted, mounted, unmounted or removed: tell the clients.
    private func usbChanged(_ state: UsbState) {
        logger.log(.info, state.mountPoint.map { "USB stick mounted on " + $0 } ?? "no USB stick mounted")
        commands.usbChanged(mounted: state.mountPoint != nil)
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
        closing = 0
        if link.stop(offline: commands.encoder.publication(PrinterReports.offline(), retain: true)) { closing += 1 }
        if let home, home.stop(closed: { [unowned(unsafe) self] in sessionClosed() }) { closing += 1 }
        if closing > 0 {
            reactor.after(Self.shutdownGraceMs) { [self] in reactor.stop() }
        } else {
            reactor.stop()
        }
    }

    /// A session wrote its offline state and closed: the agent stops once every one has.
    private func sessionClosed() {
        closing -= 1
        if closing <= 0 { reactor.stop() }
    }

    private func notify(_ state: String) {
        if let error = notifier.notify(state) { logger.log(.warning, error.message) }
    }

}
