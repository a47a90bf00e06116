import AgentCore
import AgentPlatform

/// The optional session to the user's own broker (`home_broker`): the OctoPrint-MQTT topics
/// and Home Assistant's discovery and controls, on the agent's reactor. What it publishes
/// derives from the printer's facts after each reactor callback (`HomeFeed`); what Home
/// Assistant asks becomes the same command the cloud would send. A home broker that is down
/// costs a bounded queue and a reconnect timer, nothing else: the main session and the print
/// never wait for it.
final class HomeService {
    private let link: BrokerLink
    private var feed: HomeFeed
    private let discovery: HomeAssistantDiscovery
    private let discoveryOn: Bool
    /// Whether Home Assistant may install the available firmware update (`home_ota_install`).
    private let installAllowed: Bool
    private let commands: CommandService
    private let reactor: Reactor
    private let logger: Logger
    /// The active job's file and its size, read once per job.
    private var sizedFile: (path: String, size: Int64?)?

    /// The session `config.home` describes, for the printer of `identity`, whose facts and
    /// command path are `commands`'.
    init(config: AgentConfig, identity: Identity, commands: CommandService, reactor: Reactor, logger: Logger) throws(SystemError) {
        let home = config.home
        guard let broker = home.broker else { throw SystemError(call: "home_broker", message: "home_broker is not set") }
        let topics = OctoPrintTopics(base: home.topicBase)
        let marlin = config.controller == .marlin
        feed = HomeFeed(topics: topics, port: marlin ? config.serialPort : config.klipperSocket,
                        baudrate: marlin ? config.serialBaud : nil)
        let state = commands.state
        discovery = HomeAssistantDiscovery(prefix: home.discoveryPrefix, feed: feed, device: HomeAssistantDiscovery.Device(
            deviceId: identity.deviceId.value, name: state.printerName, model: state.modelName,
            firmwareVersion: state.firmwareVersion, agentVersion: AgentVersion.current,
            lights: LightType.allCases.filter { config.controls.light($0) != nil },
            emergencyStop: config.controls.consoleAllowed.contains("M112"), firmwareInstall: home.otaInstall))
        installAllowed = home.otaInstall
        discoveryOn = home.discovery
        var password: String? = nil
        if let file = home.passwordFile { password = try FileReader.firstLine(file) }
        var subscriptions = [discovery.commandPrefix + "+"]
        if home.discovery { subscriptions.append(discovery.statusTopic) }
        link = try BrokerLink(options: MQTTOptions(
            broker: broker, clientId: "printer-agent-home-" + identity.deviceId.value,
            keepaliveSeconds: config.keepaliveSeconds, version: config.mqttVersion,
            username: home.username, password: password, caFile: home.tlsCAFile, certFile: nil, keyFile: nil,
            insecure: home.tlsInsecure, will: topics.disconnected),
            subscriptions: subscriptions, name: "home broker", spreadMs: Int64(config.reconnectSpreadSeconds) * 1000,
            queueCapacity: config.offlineQueueSize, reactor: reactor, logger: logger)
        self.commands = commands
        self.reactor = reactor
        self.logger = logger
    }

    /// Starts connecting to the home broker.
    func start() {
        link.announcements = { [unowned(unsafe) self] in
            feed.announcements(nowMs: reactor.now, epochSeconds: Self.epochSeconds) + [discoveryConfig]
        }
        link.onMessage = { [unowned(unsafe) self] message in receive(message) }
        commands.files.onRemoved = { [unowned(unsafe) self] path, source in
            link.publish(feed.removed(path, source: source, epochSeconds: Self.epochSeconds))
        }
        _ = feed.update(snapshot(), nowMs: reactor.now, epochSeconds: Self.epochSeconds)
        logger.log(.info, "home broker topics under " + feed.topics.base + (discoveryOn ? ", with" : ", without") + " Home Assistant discovery")
        link.start()
    }

    /// Publishes what changed since the last call (after each reactor callback).
    func refresh() {
        for publication in feed.update(snapshot(), nowMs: reactor.now, epochSeconds: Self.epochSeconds) {
            link.publish(publication)
        }
    }

    /// A file arrived through the LAN upload (`path` below the local storage).
    func uploaded(_ path: String) {
        for publication in feed.uploaded(path, epochSeconds: Self.epochSeconds) { link.publish(publication) }
    }

    /// Says `disconnected` and closes; returns whether `closed` will be called once it has.
    func stop(closed: @escaping () -> Void) -> Bool {
        link.onStopped = closed
        return link.stop(offline: feed.topics.disconnected)
    }

    /// The discovery config, or its removal when discovery is off.
    private var discoveryConfig: Publication { discoveryOn ? discovery.config : discovery.removal }

    private func receive(_ message: InboundMessage) {
        if message.topic == discovery.statusTopic {
            // Home Assistant (re)started: it forgot non-retained state, so say everything again.
            if message.payload.elementsEqual("online".utf8) {
                logger.log(.info, "Home Assistant is online: sending the discovery again")
                link.publish(discoveryConfig)
            }
            return
        }
        guard !message.retained else {
            logger.log(.warning, "ignored a retained message on \(message.topic): commands are never taken from retained messages")
            return
        }
        do {
            let command = try HomeAssistantCommand.command(topic: message.topic, payload: message.payload,
                                                           commandPrefix: discovery.commandPrefix, installAllowed: installAllowed)
            logger.log(.info, "Home Assistant asks \(command.type)/\(command.action)")
            if let report = commands.perform(command), report.code != .ok {
                logger.log(.warning, "Home Assistant's \(command.type)/\(command.action) refused (\(report.code.rawValue)): \(report.message)")
            }
        } catch {
            logger.log(.warning, "ignored \(message.topic): \(error.message)")
        }
    }

    /// The printer now, from the facts' owners.
    private func snapshot() -> HomeSnapshot {
        let supervisor = commands.printing.supervisor
        var snapshot = HomeSnapshot()
        snapshot.controllerReady = commands.printing.controllerReady
        snapshot.job = supervisor.job
        snapshot.lastJob = supervisor.lastJob
        snapshot.lastFailure = supervisor.lastFailure
        snapshot.readings = supervisor.readings
        snapshot.installedVersion = commands.ota.installed ?? commands.state.firmwareVersion ?? AgentVersion.current
        snapshot.availableVersion = commands.ota.available
        snapshot.update = commands.ota.pending
        if let job = supervisor.job {
            if sizedFile?.path != job.absolutePath { sizedFile = (job.absolutePath, FileReader.size(job.absolutePath)) }
            snapshot.fileSize = sizedFile?.size
        } else if let last = supervisor.lastJob, sizedFile?.path == last.absolutePath {
            snapshot.fileSize = sizedFile?.size
        }
        return snapshot
    }

    private static var epochSeconds: Int64 { Clock.wallClockMs() / 1000 }
}
