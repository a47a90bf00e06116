import AgentCore
import AgentJSON
import Testing

private func discovery(lights: [LightType] = [], emergencyStop: Bool = false, firmwareInstall: Bool = false) -> HomeAssistantDiscovery {
    let feed = HomeFeed(topics: OctoPrintTopics(base: "printers/kobra/"), port: "/tmp/unix_uds1", baudrate: nil)
    return HomeAssistantDiscovery(prefix: "homeassistant", feed: feed, device: HomeAssistantDiscovery.Device(
        deviceId: "0123abc.def", name: "Kobra", model: "Kobra 3", firmwareVersion: "2.3.4", agentVersion: "0.9.0",
        lights: lights, emergencyStop: emergencyStop, firmwareInstall: firmwareInstall))
}

@Suite("Home Assistant discovery")
struct HomeAssistantDiscoveryTests {
    @Test func oneRetainedDeviceConfigWithAvailabilityOnTheWill() throws {
        let config = discovery().config
        #expect(config.topic == "homeassistant/device/printer_agent_0123abc_def/config")
        #expect(config.retain)
        let document = try jsonObject(config.payload)
        let dev = try #require(document["dev"]?.objectValue)
        #expect(dev["ids"] == .array([.string("printer_agent_0123abc_def")]))
        #expect(dev["name"] == .string("Kobra") && dev["mdl"] == .string("Kobra 3") && dev["sw"] == .string("2.3.4"))
        #expect(document["o"]?["name"] == .string("printer-agent"))
        #expect(document["avty_t"] == .string("printers/kobra/mqtt"))
        #expect(document["pl_avail"] == .string("connected") && document["pl_not_avail"] == .string("disconnected"))
    }

    @Test func everyComponentHasAPlatformAUniqueIdAndNoObjectId() throws {
        let components = try #require(try jsonObject(discovery().config.payload)["cmps"]?.objectValue)
        let keys = components.members.map(\.key)
        #expect(keys == ["state", "printing", "progress", "file", "time_left", "completion", "layer", "z", "nozzle", "bed",
                         "nozzle_target", "bed_target", "fan", "print_event", "pause", "cancel", "firmware"])
        var uniqueIds: Set<String> = []
        for member in components.members {
            let component = try #require(member.value.objectValue)
            #expect(component["platform"]?.stringValue != nil, "\(member.key) has a platform")
            #expect(component["object_id"] == nil && component["obj_id"] == nil, "\(member.key) has no object_id")
            let uniqueId = try #require(component["unique_id"]?.stringValue)
            #expect(uniqueIds.insert(uniqueId).inserted, "\(member.key)'s unique id is unique")
        }
        #expect(components["nozzle"]?["state_topic"] == .string("printers/kobra/temperature/tool0"))
        #expect(components["nozzle_target"]?["command_topic"] == .string("printers/kobra/hass/set/nozzle_target"))
        #expect(components["nozzle_target"]?["max"] == .number(PrintSettings.maxNozzle))
        #expect(components["pause"]?["platform"] == .string("switch"))
        #expect(components["firmware"]?["platform"] == .string("update"))
        #expect(components["firmware"]?["command_topic"] == nil, "the update entity installs only when home_ota_install allows it")
        #expect(components["print_event"]?["event_types"] == .array(HomeFeed.printEvents.map { .string($0) }))
    }

    @Test func lightsAndTheEmergencyStopOnlyWhereConfigured() throws {
        let components = try #require(try jsonObject(discovery(lights: [.head, .camera], emergencyStop: true).config.payload)["cmps"]?.objectValue)
        #expect(components["emergency_stop"]?["platform"] == .string("button"))
        #expect(components["light_head"]?["command_topic"] == .string("printers/kobra/hass/set/light_head"))
        #expect(components["light_camera"] != nil && components["light_chamber"] == nil)
    }

    @Test func theFirmwareEntityInstallsWhenAllowed() throws {
        let components = try #require(try jsonObject(discovery(firmwareInstall: true).config.payload)["cmps"]?.objectValue)
        #expect(components["firmware"]?["command_topic"] == .string("printers/kobra/hass/set/install"))
        #expect(components["firmware"]?["payload_install"] == .string("install"))
    }

    @Test func removalIsAnEmptyRetainedConfig() {
        let removal = discovery().removal
        #expect(removal.topic == discovery().configTopic && removal.payload.isEmpty && removal.retain)
    }
}

@Suite("Home Assistant commands")
struct HomeAssistantCommandTests {
    private func command(_ name: String, _ payload: String, installAllowed: Bool = true) throws(CommandFailure) -> Command {
        try HomeAssistantCommand.command(topic: "octoPrint/hass/set/" + name, payload: Array(payload.utf8),
                                         commandPrefix: "octoPrint/hass/set/", installAllowed: installAllowed)
    }

    @Test func controlsBecomeTheCloudsCommands() throws {
        #expect(try command("pause", "ON") == Command(type: "print", action: "pause"))
        #expect(try command("pause", "OFF") == Command(type: "print", action: "resume"))
        #expect(try command("cancel", "PRESS") == Command(type: "print", action: "stop"))
        #expect(try command("emergency_stop", "PRESS").data["gcode"] == .string("M112"))
        #expect(try command("nozzle_target", "210.5") == Command(type: "tempature", action: "set",
                                                                data: .object(JSONObject([("target_nozzle_temp", .number(210.5))]))))
        #expect(try command("bed_target", "60").data["target_hotbed_temp"] == .number(60))
        #expect(try command("fan", "40").data["fan_speed_pct"] == .number(40))
        let light = try command("light_chamber", "ON")
        #expect(light.type == "light" && light.data["type"] == .int(2) && light.data["status"] == .int(1))
        #expect(try command("install", "install") == Command(type: "ota", action: "install"))
    }

    @Test func installingIsRefusedUnlessAllowed() {
        #expect(throws: CommandFailure(.forbidden, "installing firmware from Home Assistant is not allowed (home_ota_install = no)")) {
            try command("install", "install", installAllowed: false)
        }
        #expect(throws: CommandFailure(.badRequest, "install takes \"install\", not \"ON\"")) { try command("install", "ON") }
    }

    @Test func badInputIsRefusedWithAReason() {
        #expect(throws: CommandFailure(.badRequest, "pause takes ON or OFF, not \"yes\"")) { try command("pause", "yes") }
        #expect(throws: CommandFailure(.badRequest, "fan takes a number, not \"fast\"")) { try command("fan", "fast") }
        #expect(throws: CommandFailure(.unknownCommand, "unknown Home Assistant command \"explode\"")) { try command("explode", "1") }
        #expect(throws: CommandFailure(.payloadTooLarge, "fan takes at most 64 bytes, not 65")) {
            try command("fan", String(repeating: "1", count: 65))
        }
    }
}

@Suite("Home configuration")
struct HomeConfigTests {
    @Test func keysAndDefaults() throws {
        var config = AgentConfig()
        #expect(config.home.broker == nil && config.home.topicBase == "octoPrint/" && config.home.discovery)
        try ConfigFile.apply("home_broker = mqtts://ha.local\nhome_topic_base = printers/kobra\nhome_discovery = no\n",
                             path: "t.conf", to: &config)
        #expect(config.home.broker == BrokerAddress(tls: true, host: "ha.local", port: 8883))
        #expect(config.home.topicBase == "printers/kobra/")
        #expect(!config.home.discovery)
        #expect(!config.home.otaInstall && config.otaInstall == .now)
        try ConfigFile.apply("home_ota_install = yes\nota_install = on_request\n", path: "t.conf", to: &config)
        #expect(config.home.otaInstall && config.otaInstall == .onRequest)
        let error = configError { try ConfigFile.apply("ota_install = later\n", path: "u.conf", to: &config) }
        #expect(error?.line.contains("ota_install must be now or on_request, not \"later\"") == true)
    }

    @Test func aWildcardInTheTopicBaseIsRefused() {
        var config = AgentConfig()
        let error = configError { try ConfigFile.apply("home_topic_base = printers/+/\n", path: "t.conf", to: &config) }
        #expect(error?.line.contains("home_topic_base must be MQTT topic levels") == true)
        #expect(configError { try ConfigFile.apply("home_topic_base = a//b\n", path: "t.conf", to: &config) } != nil,
                "an empty level is refused")
        #expect(config.home.topicBase == "octoPrint/")
    }
}
