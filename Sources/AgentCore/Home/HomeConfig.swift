/// The optional second MQTT session to the user's own broker (Home Assistant, Node-RED):
/// where it is, how to log in, the OctoPrint-MQTT topic base and Home Assistant discovery.
/// Each has a configuration key (`keys`); without `home_broker` the session is off.
public struct HomeConfig: Equatable {
    /// The user's broker, or nil when the home session is off.
    public var broker: BrokerAddress? = nil
    /// The login name on the home broker, or nil for none.
    public var username: String? = nil
    /// The file whose first line is the home broker's password, or nil for none.
    public var passwordFile: String? = nil
    /// The CA file that signs the home broker's certificate (`mqtts://`); nil: the system's store.
    public var tlsCAFile: String? = nil
    /// Skip verification of the home broker's certificate (explicit opt-in only).
    public var tlsInsecure = false
    /// The prefix of every OctoPrint-MQTT topic, ending in `/` (the plugin's `octoPrint/`).
    public var topicBase = "octoPrint/"
    /// Whether the printer announces itself to Home Assistant.
    public var discovery = true
    /// Home Assistant's discovery prefix.
    public var discoveryPrefix = "homeassistant"
    /// Whether Home Assistant's firmware entity may install the available update (`ota/install`).
    public var otaInstall = false

    /// The session off, the plugin's topic base, discovery on under `homeassistant`.
    public init() {}

    /// The configuration keys of the home session, in the order the default file documents them.
    static let keys: [(name: String, apply: ConfigKeys.Apply)] = [
        ("home_broker", { config, value throws(ConfigError) in config.home.broker = try BrokerAddress.parse(value) }),
        ("home_username", { config, value throws(ConfigError) in config.home.username = value }),
        ("home_password_file", { config, value throws(ConfigError) in config.home.passwordFile = try ConfigKeys.directory(value) }),
        ("home_tls_ca_file", { config, value throws(ConfigError) in config.home.tlsCAFile = try ConfigKeys.directory(value) }),
        ("home_tls_insecure", { config, value throws(ConfigError) in config.home.tlsInsecure = try ConfigKeys.boolean(value) }),
        ("home_topic_base", { config, value throws(ConfigError) in config.home.topicBase = try topicBase(value) }),
        ("home_discovery", { config, value throws(ConfigError) in config.home.discovery = try ConfigKeys.boolean(value) }),
        ("home_discovery_prefix", { config, value throws(ConfigError) in
            config.home.discoveryPrefix = try topicLevels(value, key: "home_discovery_prefix")
        }),
        ("home_ota_install", { config, value throws(ConfigError) in config.home.otaInstall = try ConfigKeys.boolean(value) }),
    ]

    /// A topic base: topic levels ending in `/` (one is added when missing).
    static func topicBase(_ text: String) throws(ConfigError) -> String {
        let trimmed = text.hasSuffix("/") ? String(decoding: text.utf8.dropLast(), as: UTF8.self) : text
        return try topicLevels(trimmed, key: "home_topic_base") + "/"
    }

    /// Topic levels to publish under: not empty, no wildcard (`+`, `#`), no empty level,
    /// no NUL, at most 200 bytes.
    static func topicLevels(_ text: String, key: String) throws(ConfigError) -> String {
        let bytes = Array(text.utf8)
        let slash = UInt8(ascii: "/")
        let valid = !bytes.isEmpty && bytes.count <= 200 && bytes.first != slash
            && !bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") || $0 < 0x20 })
            && !zip(bytes, bytes.dropFirst()).contains(where: { $0 == slash && $1 == slash })
        guard valid else {
            throw ConfigError("", key + " must be MQTT topic levels such as octoPrint/ or printers/kobra/ (no +, #, empty level or control character), not \"" + text + "\"")
        }
        return text
    }
}
