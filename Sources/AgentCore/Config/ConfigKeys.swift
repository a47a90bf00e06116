/// Every configuration key: its name and how its text value is applied. The same table
/// reads the file and the command line, and a test checks that `etc/printer-agent.conf`
/// documents exactly these keys.
public enum ConfigKeys {
    /// Applies a value to a configuration; the error is the sentence to show.
    public typealias Apply = (inout AgentConfig, String) throws(ConfigError) -> Void

    /// The keys, in the order the default file documents them.
    public static let all: [(name: String, apply: Apply)] = [
        ("broker", { config, value throws(ConfigError) in
            let keptPort = config.origins["port"] == nil ? nil : config.broker.port
            config.broker = try BrokerAddress.parse(value)
            if let keptPort { config.broker.port = keptPort }
        }),
        ("port", { config, value throws(ConfigError) in config.broker.port = try integer(value, in: 1...65535) }),
        ("tls_ca_file", { config, value throws(ConfigError) in config.tlsCAFile = value }),
        ("tls_cert_file", { config, value throws(ConfigError) in config.tlsCertFile = value }),
        ("tls_key_file", { config, value throws(ConfigError) in config.tlsKeyFile = value }),
        ("tls_insecure", { config, value throws(ConfigError) in config.tlsInsecure = try boolean(value) }),
        ("username", { config, value throws(ConfigError) in config.username = value }),
        ("password", { config, value throws(ConfigError) in config.password = value }),
        ("client_id", { config, value throws(ConfigError) in config.clientId = try clientId(value) }),
        ("keepalive", { config, value throws(ConfigError) in config.keepaliveSeconds = try integer(value, in: 5...3600) }),
        ("reconnect_spread", { config, value throws(ConfigError) in config.reconnectSpreadSeconds = try integer(value, in: 1...600) }),
        ("mqtt_version", { config, value throws(ConfigError) in
            guard let version = MQTTVersion(rawValue: value) else { throw ConfigError("", "mqtt_version must be 3.1.1 or 5, not \"\(value)\"") }
            config.mqttVersion = version
        }),
        ("identity", { config, value throws(ConfigError) in
            guard let source = IdentitySource(rawValue: value) else { throw ConfigError("", "identity must be config, gen-a or gen-b, not \"\(value)\"") }
            config.identity = source
        }),
        ("model_id", { config, value throws(ConfigError) in config.modelId = try IdentityRules.modelId(value) }),
        ("device_id", { config, value throws(ConfigError) in config.deviceId = try IdentityRules.deviceId(value) }),
        ("gen_a_identity_file", { config, value throws(ConfigError) in config.genAIdentityFile = value }),
        ("gen_a_id_offset", { config, value throws(ConfigError) in config.genAIdOffset = try integer(value, in: 0...65536) }),
        ("gen_b_device_ini", { config, value throws(ConfigError) in config.genBDeviceIni = value }),
        ("gen_b_account_file", { config, value throws(ConfigError) in config.genBAccountFile = value }),
        ("gen_b_api_cfg", { config, value throws(ConfigError) in config.genBApiConfig = value }),
        ("printer_name", { config, value throws(ConfigError) in config.printerName = value }),
        ("version_file", { config, value throws(ConfigError) in config.versionFile = value }),
        ("storage_local", { config, value throws(ConfigError) in config.storageLocal = try directory(value) }),
        ("usb_automount", { config, value throws(ConfigError) in config.usbAutomount = try boolean(value) }),
        ("storage_usb", { config, value throws(ConfigError) in config.storageUSB = try mountDirectory(value, key: "storage_usb") }),
        ("controller", { config, value throws(ConfigError) in
            guard let kind = ControllerKind(rawValue: value) else { throw ConfigError("", "controller must be none, marlin or klipper, not \"\(value)\"") }
            config.controller = kind
        }),
        ("serial_port", { config, value throws(ConfigError) in config.serialPort = try directory(value) }),
        ("serial_baud", { config, value throws(ConfigError) in config.serialBaud = try baudRate(value) }),
        ("serial_rx_buffer", { config, value throws(ConfigError) in config.serialReceiveBuffer = try integer(value, in: 0...65_536) }),
        ("klipper_socket", { config, value throws(ConfigError) in config.klipperSocket = try directory(value) }),
        ("pause_gcode", { config, value throws(ConfigError) in config.pauseGcode = try gcodeLines(value) }),
        ("resume_gcode", { config, value throws(ConfigError) in config.resumeGcode = try gcodeLines(value) }),
        ("cancel_gcode", { config, value throws(ConfigError) in config.cancelGcode = try gcodeLines(value) }),
        ("state_dir", { config, value throws(ConfigError) in config.stateDirectory = try mountDirectory(value, key: "state_dir") }),
        ("download_ca_file", { config, value throws(ConfigError) in config.downloadCAFile = try directory(value) }),
        ("download_stall_timeout", { config, value throws(ConfigError) in config.downloadStallSeconds = try integer(value, in: 5...3600) }),
        ("ota_installer", { config, value throws(ConfigError) in config.otaInstaller = value }),
        ("ota_public_key", { config, value throws(ConfigError) in config.otaPublicKey = try directory(value) }),
        ("ota_allow_force", { config, value throws(ConfigError) in config.otaAllowForce = try boolean(value) }),
        ("ota_install", { config, value throws(ConfigError) in
            guard let mode = OtaInstallMode(rawValue: value) else { throw ConfigError("", "ota_install must be now or on_request, not \"\(value)\"") }
            config.otaInstall = mode
        }),
        ("peripheral_version_file", { config, value throws(ConfigError) in config.peripheralVersionFile = try directory(value) }),
        ("lan_mode", { config, value throws(ConfigError) in config.lanMode = try boolean(value) }),
        ("lan_listen", { config, value throws(ConfigError) in config.lanListen = try ipv4(value) }),
        ("lan_port", { config, value throws(ConfigError) in config.lanPort = try integer(value, in: 1...65535) }),
        ("lan_ssdp_port", { config, value throws(ConfigError) in config.lanSsdpPort = try integer(value, in: 0...65535) }),
        ("lan_broker_port", { config, value throws(ConfigError) in config.lanBrokerPort = try integer(value, in: 1...65535) }),
        ("lan_username", { config, value throws(ConfigError) in config.lanUsername = value }),
        ("lan_password_file", { config, value throws(ConfigError) in config.lanPasswordFile = try directory(value) }),
        ("http_api", { config, value throws(ConfigError) in config.httpApi = try boolean(value) }),
        ("http_api_listen", { config, value throws(ConfigError) in config.httpApiListen = try ipv4(value) }),
        ("http_api_port", { config, value throws(ConfigError) in config.httpApiPort = try integer(value, in: 1...65535) }),
        ("http_api_auto_approve", { config, value throws(ConfigError) in config.httpApiAutoApprove = try boolean(value) }),
        ("http_api_www", { config, value throws(ConfigError) in config.httpApiWww = try directory(value) }),
        ("log_level", { config, value throws(ConfigError) in
            guard let level = LogLevel(name: value) else { throw ConfigError("", "log_level must be error, warn, info or debug, not \"\(value)\"") }
            config.logLevel = level
        }),
        ("max_payload", { config, value throws(ConfigError) in config.maxPayloadBytes = try integer(value, in: 1024...16_777_216) }),
        ("offline_queue", { config, value throws(ConfigError) in config.offlineQueueSize = try integer(value, in: 0...10_000) }),
    ] + ControlConfig.keys + HomeConfig.keys

    /// Applies `value` to `key`, recording `origin`; the error names the origin.
    public static func apply(_ key: String, _ value: String, origin: String,
                             to config: inout AgentConfig) throws(ConfigError) {
        guard let entry = all.first(where: { $0.name == key }) else {
            throw ConfigError(origin, "unknown key \"\(key)\"")
        }
        do {
            try entry.apply(&config, value)
        } catch {
            throw ConfigError(origin, error.message)
        }
        config.origins[key] = origin
    }

    static func integer(_ text: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError("", "expected a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    /// A dotted IPv4 address: four numbers from 0 to 255.
    static func ipv4(_ text: String) throws(ConfigError) -> String {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let valid = parts.count == 4 && parts.allSatisfy { part in
            part.count >= 1 && part.count <= 3 && part.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                && part.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 255
        }
        guard valid else { throw ConfigError("", "expected an IPv4 address such as 0.0.0.0 or 192.168.1.20, not \"\(text)\"") }
        return text
    }

    static func boolean(_ text: String) throws(ConfigError) -> Bool {
        switch text {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw ConfigError("", "expected yes or no, not \"\(text)\"")
        }
    }

    static func directory(_ text: String) throws(ConfigError) -> String {
        guard text.hasPrefix("/") else { throw ConfigError("", "expected an absolute path, not \"\(text)\"") }
        return text
    }

    /// An absolute directory the agent mounts on or writes into (`key`): not `/` itself and
    /// without `.` or `..` components (mounting over the root, or over a directory named in a
    /// roundabout way, would hide the system's own files).
    static func mountDirectory(_ text: String, key: String) throws(ConfigError) -> String {
        let path = try directory(text)
        // Walks the components byte by byte: their count, and whether one is "." or "..".
        var components = 0
        var length = 0
        var dots = 0
        for byte in path.utf8 + [UInt8(ascii: "/")] {
            if byte == UInt8(ascii: "/") {
                if length > 0 && dots == length && length <= 2 {
                    throw ConfigError("", "\(key) must not contain . or .. components, not \"\(text)\"")
                }
                if length > 0 { components += 1 }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        guard components > 0 else { throw ConfigError("", "\(key) must not be the root directory") }
        return path
    }

    /// The serial speeds Linux's termios has a constant for, from 9600 up.
    static let baudRates = [9600, 19200, 38400, 57600, 115_200, 230_400, 250_000, 460_800, 500_000, 576_000,
                            921_600, 1_000_000]

    static func baudRate(_ text: String) throws(ConfigError) -> Int {
        guard let value = Int(text), baudRates.contains(value) else {
            throw ConfigError("", "serial_baud must be one of 9600, 19200, 38400, 57600, 115200, 230400, 250000, 460800, 500000, 576000, 921600 or 1000000, not \"\(text)\"")
        }
        return value
    }

    /// G-code commands written on one line with `\n` between them; empty for none.
    static func gcodeLines(_ text: String) throws(ConfigError) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "n") {
                let line = ConfigFile.trimmed(Substring(String(decoding: current, as: UTF8.self)))
                if !line.isEmpty { lines.append(String(line)) }
                current.removeAll()
                index += 2
                continue
            }
            if byte < 0x20 || byte == 0x7f || byte == UInt8(ascii: ";") {
                throw ConfigError("", "G-code must be commands separated by \\n, without comments or control characters: \"\(text)\"")
            }
            current.append(byte)
            index += 1
        }
        return lines
    }

    static func clientId(_ text: String) throws(ConfigError) -> String {
        guard text.utf8.count <= 65535, !text.utf8.contains(0) else {
            throw ConfigError("", "client_id must be at most 65535 bytes with no NUL")
        }
        return text
    }
}
