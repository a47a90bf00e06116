import AgentJSON

/// Home Assistant's device-based MQTT discovery of the printer: one retained
/// `<prefix>/device/<id>/config` with the device (`dev`), the origin (`o`), availability on
/// the OctoPrint-MQTT will and every component. No `object_id` (deprecated in Home
/// Assistant 2025.10, ignored from 2026.4): entity ids follow from the device and entity names.
public struct HomeAssistantDiscovery {
    /// What the printer is and has.
    public struct Device {
        /// The printer's device id (the discovery id and the entities' unique ids derive from it).
        public var deviceId: String
        /// The name shown for the device.
        public var name: String
        /// The model's name.
        public var model: String
        /// The firmware version, when known.
        public var firmwareVersion: String?
        /// The agent's version.
        public var agentVersion: String
        /// The configured lights.
        public var lights: [LightType]
        /// Whether the G-code console lets `M112` through (the emergency stop button).
        public var emergencyStop: Bool
        /// Whether the firmware entity may install the available update (`home_ota_install`).
        public var firmwareInstall: Bool

        /// Creates the description.
        public init(deviceId: String, name: String, model: String, firmwareVersion: String?, agentVersion: String,
                    lights: [LightType], emergencyStop: Bool, firmwareInstall: Bool) {
            self.deviceId = deviceId
            self.name = name
            self.model = model
            self.firmwareVersion = firmwareVersion
            self.agentVersion = agentVersion
            self.lights = lights
            self.emergencyStop = emergencyStop
            self.firmwareInstall = firmwareInstall
        }
    }

    /// The discovery prefix (`homeassistant`).
    public let prefix: String
    /// The feed whose topics the entities read.
    public let feed: HomeFeed
    /// The printer.
    public let device: Device

    /// The discovery of `device`, whose entities read `feed`'s topics, under `prefix`.
    public init(prefix: String, feed: HomeFeed, device: Device) {
        self.prefix = prefix
        self.feed = feed
        self.device = device
    }

    /// The discovery id: the device id, in the characters discovery ids allow.
    public var discoveryId: String {
        "printer_agent_" + String(decoding: device.deviceId.utf8.map { byte in
            let allowed = (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || byte == 45
            return allowed ? byte : 95
        }, as: UTF8.self)
    }

    /// The config topic.
    public var configTopic: String { prefix + "/device/" + discoveryId + "/config" }

    /// The topic Home Assistant announces itself on (`online` after it starts).
    public var statusTopic: String { prefix + "/status" }

    /// The prefix of the command topics: `<base>hass/set/<command>`.
    public var commandPrefix: String { feed.topics.base + "hass/set/" }

    /// The retained config: the whole device.
    public var config: Publication {
        Publication(topic: configTopic, payload: JSONCodec.print(.object(document)), retain: true)
    }

    /// The retained empty config that removes the device (discovery turned off).
    public var removal: Publication { Publication(topic: configTopic, payload: "", retain: true) }

    /// The discovery document.
    public var document: JSONObject {
        var dev = JSONObject([("ids", .array([.string(discoveryId)])), ("name", .string(device.name)),
                              ("mf", .string("Anycubic")), ("mdl", .string(device.model)), ("sn", .string(device.deviceId))])
        if let firmware = device.firmwareVersion { dev["sw"] = .string(firmware) }
        return JSONObject([
            ("dev", .object(dev)),
            ("o", .object(JSONObject([("name", .string("printer-agent")), ("sw", .string(device.agentVersion))]))),
            ("avty_t", .string(feed.topics.lastWill)),
            ("pl_avail", .string("connected")),
            ("pl_not_avail", .string("disconnected")),
            ("qos", .int(1)),
            ("cmps", .object(components)),
        ])
    }

    /// Every component, keyed by its id within the device.
    var components: JSONObject {
        let state = feed.stateTopic
        var all: [(String, JSONValue)] = [
            component("state", "sensor", "State", state, "state", [
                ("device_class", .string("enum")),
                ("options", .array(["offline", "idle", "downloading", "checking", "preheating", "printing", "pausing",
                                    "paused", "resuming", "stopping"].map { .string($0) })),
            ]),
            component("printing", "binary_sensor", "Printing", state, "printing", [("device_class", .string("running"))]),
            component("progress", "sensor", "Progress", state, "progress", [("unit_of_measurement", .string("%"))]),
            component("file", "sensor", "File", state, "file", [("icon", .string("mdi:file"))]),
            component("time_left", "sensor", "Time left", state, "time_left",
                      [("device_class", .string("duration")), ("unit_of_measurement", .string("s"))]),
            component("completion", "sensor", "Completion time", state, "completion", [("device_class", .string("timestamp"))]),
            component("layer", "sensor", "Current layer", state, "layer", [("icon", .string("mdi:layers"))]),
            component("z", "sensor", "Z height", state, "z", [("device_class", .string("distance")),
                                                             ("unit_of_measurement", .string("mm"))]),
            temperature("nozzle", "Nozzle temperature", "tool0"),
            temperature("bed", "Bed temperature", "bed"),
            target("nozzle_target", "Nozzle target", "tool0", maximum: PrintSettings.maxNozzle),
            target("bed_target", "Bed target", "bed", maximum: PrintSettings.maxBed),
            component("fan", "number", "Fan", state, "fan", [
                ("command_topic", .string(commandPrefix + "fan")), ("min", .int(0)), ("max", .int(100)), ("step", .int(1)),
                ("unit_of_measurement", .string("%")), ("mode", .string("slider")),
            ]),
            ("print_event", .object(JSONObject([
                ("platform", .string("event")), ("name", .string("Print event")), ("unique_id", .string(uniqueId("print_event"))),
                ("state_topic", .string(feed.eventTopic)), ("event_types", .array(HomeFeed.printEvents.map { .string($0) })),
            ]))),
            component("pause", "switch", "Pause", state, "paused", [("command_topic", .string(commandPrefix + "pause"))]),
            button("cancel", "Cancel print", icon: "mdi:stop"),
            ("firmware", .object(firmware)),
        ]
        if device.emergencyStop { all.append(button("emergency_stop", "Emergency stop", icon: "mdi:alert-octagon")) }
        for light in device.lights {
            let key = light.configKey
            all.append((key, .object(JSONObject([
                ("platform", .string("switch")), ("name", .string(Self.lightName(light))), ("unique_id", .string(uniqueId(key))),
                ("command_topic", .string(commandPrefix + key)), ("optimistic", .bool(true)), ("icon", .string("mdi:lightbulb")),
            ]))))
        }
        return JSONObject(all)
    }

    /// The update entity: the OTA state, and the install command when the configuration allows it.
    private var firmware: JSONObject {
        var entity = JSONObject([
            ("platform", .string("update")), ("name", .string("Firmware")), ("unique_id", .string(uniqueId("firmware"))),
            ("state_topic", .string(feed.updateTopic)), ("device_class", .string("firmware")),
        ])
        if device.firmwareInstall {
            entity["command_topic"] = .string(commandPrefix + "install")
            entity["payload_install"] = .string(HomeAssistantCommand.installPayload)
        }
        return entity
    }

    private func uniqueId(_ key: String) -> String { discoveryId + "_" + key }

    /// A component reading `field` of the JSON document on `topic`.
    private func component(_ key: String, _ platform: String, _ name: String, _ topic: String, _ field: String,
                           _ extra: [(String, JSONValue)]) -> (String, JSONValue) {
        (key, .object(JSONObject([
            ("platform", .string(platform)), ("name", .string(name)), ("unique_id", .string(uniqueId(key))),
            ("state_topic", .string(topic)), ("value_template", .string("{{ value_json." + field + " }}")),
        ] + extra)))
    }

    private func temperature(_ key: String, _ name: String, _ tool: String) -> (String, JSONValue) {
        component(key, "sensor", name, feed.topics.temperatureTopic(tool), "actual", [
            ("device_class", .string("temperature")), ("unit_of_measurement", .string("°C")),
            ("state_class", .string("measurement")),
        ])
    }

    private func target(_ key: String, _ name: String, _ tool: String, maximum: Double) -> (String, JSONValue) {
        component(key, "number", name, feed.topics.temperatureTopic(tool), "target", [
            ("command_topic", .string(commandPrefix + key)), ("min", .int(0)), ("max", .number(maximum)), ("step", .int(1)),
            ("device_class", .string("temperature")), ("unit_of_measurement", .string("°C")), ("mode", .string("box")),
        ])
    }

    private func button(_ key: String, _ name: String, icon: String) -> (String, JSONValue) {
        (key, .object(JSONObject([
            ("platform", .string("button")), ("name", .string(name)), ("unique_id", .string(uniqueId(key))),
            ("command_topic", .string(commandPrefix + key)), ("icon", .string(icon)),
        ])))
    }

    private static func lightName(_ light: LightType) -> String {
        switch light {
        case .head: return "Head light"
        case .chamber: return "Chamber light"
        case .camera: return "Camera light"
        }
    }
}
