import AgentCore
import Testing

private let path = "/etc/printer-agent/agent.conf"

/// `lines` applied as a file over the defaults.
private func apply(_ lines: [String], separator: String = "\n") throws(ConfigError) -> AgentConfig {
    var config = AgentConfig()
    try ConfigFile.apply(lines.joined(separator: separator), path: path, to: &config)
    return config
}

/// A file with a value for every key, none of them the default.
private let fullFile = [
    "# printer agent test configuration",
    "broker = mqtts://broker.example.com",
    "port = 9883",
    "tls_ca_file = /etc/ssl/ca.pem",
    "tls_cert_file = /etc/ssl/client.pem",
    "tls_key_file = /etc/ssl/client.key",
    "tls_insecure = yes",
    "username = alice",
    "password = s3cret=with=equals",
    "client_id = agent-7",
    "keepalive = 30",
    "mqtt_version = 5",
    "identity = gen-b",
    "model_id = 20024",
    "device_id = abc_DEF-123",
    "gen_a_identity_file = /tmp/connect_info",
    "gen_a_id_offset = 128",
    "gen_b_device_ini = /cfg/device.ini",
    "gen_b_account_file = /cfg/account.json",
    "gen_b_api_cfg = /cfg/api.cfg",
    "printer_name = Workshop Kobra",
    "version_file = /tmp/version",
    "storage_local = /data/local",
    "storage_usb = /media/usb",
    "log_level = warn",
    "max_payload = 65536",
    "offline_queue = 0",
    "reconnect_spread = 30",
    "usb_automount = yes",
    "controller = marlin",
    "serial_port = /dev/ttyUSB0",
    "serial_baud = 250000",
    "serial_rx_buffer = 63",
    "klipper_socket = /run/klipper.sock",
    "pause_gcode = M400\\n  G91 \\nG1 Z5\\n",
    "resume_gcode = G91\\nG1 Z-5",
    "cancel_gcode = M84",
    "state_dir = /data/agent",
    "download_ca_file = /etc/ssl/downloads.pem",
    "download_stall_timeout = 12",
    "ota_installer = rauc install {file}",
    "ota_public_key = /etc/printer-agent/ota.pub",
    "ota_allow_force = yes",
    "ota_install = on_request",
    "peripheral_version_file = /tmp/mcu",
    "aux_fan_index = 1",
    "klipper_aux_fan = aux_fan",
    "axis_map = 1:Y,2:X,3:Z,4:XYZ",
    "axis_max_distance = 50",
    "light_head = marlin-m150",
    "light_chamber = klipper-led:chamber",
    "light_camera = klipper-pin:cam",
    "leds_root = /tmp/leds",
    "gcode_console = M114 M503",
    "lan_mode = yes",
    "lan_listen = 192.168.1.20",
    "lan_port = 8080",
    "lan_ssdp_port = 0",
    "lan_broker_port = 8884",
    "lan_username = lan",
    "lan_password_file = /data/lan-password",
    "home_broker = mqtts://ha.local:8884",
    "home_username = printer",
    "home_password_file = /data/home-password",
    "home_tls_ca_file = /data/home-ca.pem",
    "home_tls_insecure = yes",
    "home_topic_base = printers/kobra",
    "home_discovery = no",
    "home_discovery_prefix = ha",
    "home_ota_install = yes",
    "http_api = yes",
    "http_api_listen = 192.168.1.21",
    "http_api_port = 8081",
    "http_api_auto_approve = yes",
    "http_api_www = /opt/printer-page",
]

struct ConfigFileTests {
    @Test func fullFileSetsEveryKeyWithItsOrigin() throws {
        let config = try apply(fullFile)
        var expected = AgentConfig()
        expected.broker = BrokerAddress(tls: true, host: "broker.example.com", port: 9883)
        expected.tlsCAFile = "/etc/ssl/ca.pem"
        expected.tlsCertFile = "/etc/ssl/client.pem"
        expected.tlsKeyFile = "/etc/ssl/client.key"
        expected.tlsInsecure = true
        expected.username = "alice"
        expected.password = "s3cret=with=equals"
        expected.clientId = "agent-7"
        expected.keepaliveSeconds = 30
        expected.reconnectSpreadSeconds = 30
        expected.mqttVersion = .v5
        expected.identity = .genB
        expected.modelId = "20024"
        expected.deviceId = "abc_DEF-123"
        expected.genAIdentityFile = "/tmp/connect_info"
        expected.genAIdOffset = 128
        expected.genBDeviceIni = "/cfg/device.ini"
        expected.genBAccountFile = "/cfg/account.json"
        expected.genBApiConfig = "/cfg/api.cfg"
        expected.printerName = "Workshop Kobra"
        expected.versionFile = "/tmp/version"
        expected.storageLocal = "/data/local"
        expected.storageUSB = "/media/usb"
        expected.logLevel = .warning
        expected.maxPayloadBytes = 65536
        expected.offlineQueueSize = 0
        expected.usbAutomount = true
        expected.controller = .marlin
        expected.serialPort = "/dev/ttyUSB0"
        expected.serialBaud = 250_000
        expected.serialReceiveBuffer = 63
        expected.klipperSocket = "/run/klipper.sock"
        expected.pauseGcode = ["M400", "G91", "G1 Z5"]
        expected.resumeGcode = ["G91", "G1 Z-5"]
        expected.cancelGcode = ["M84"]
        expected.stateDirectory = "/data/agent"
        expected.downloadCAFile = "/etc/ssl/downloads.pem"
        expected.downloadStallSeconds = 12
        expected.otaInstaller = "rauc install {file}"
        expected.otaPublicKey = "/etc/printer-agent/ota.pub"
        expected.otaAllowForce = true
        expected.otaInstall = .onRequest
        expected.peripheralVersionFile = "/tmp/mcu"
        expected.controls.auxFanIndex = 1
        expected.controls.klipperAuxFan = "aux_fan"
        expected.controls.axisMap = try AxisMap.parse("1:Y,2:X,3:Z,4:XYZ")
        expected.controls.maxJogMm = 50
        expected.controls.headLight = .marlinLedStrip
        expected.controls.chamberLight = .klipperLed("chamber")
        expected.controls.cameraLight = .klipperPin("cam")
        expected.controls.ledsRoot = "/tmp/leds"
        expected.controls.consoleAllowed = ["M114", "M503"]
        expected.lanMode = true
        expected.lanListen = "192.168.1.20"
        expected.lanPort = 8080
        expected.lanSsdpPort = 0
        expected.lanBrokerPort = 8884
        expected.lanUsername = "lan"
        expected.lanPasswordFile = "/data/lan-password"
        expected.home.broker = BrokerAddress(tls: true, host: "ha.local", port: 8884)
        expected.home.username = "printer"
        expected.home.passwordFile = "/data/home-password"
        expected.home.tlsCAFile = "/data/home-ca.pem"
        expected.home.tlsInsecure = true
        expected.home.topicBase = "printers/kobra/"
        expected.home.discovery = false
        expected.home.discoveryPrefix = "ha"
        expected.home.otaInstall = true
        expected.httpApi = true
        expected.httpApiListen = "192.168.1.21"
        expected.httpApiPort = 8081
        expected.httpApiAutoApprove = true
        expected.httpApiWww = "/opt/printer-page"
        for (index, line) in fullFile.enumerated() where !line.hasPrefix("#") {
            let key = String(line.prefix { $0 != " " })
            expected.origins[key] = "\(path):\(index + 1)"
        }
        #expect(config == expected)
        #expect(config.origin(of: "keepalive") == "\(path):11")
        // The file above really covers every key there is.
        #expect(Set(config.origins.keys) == Set(ConfigKeys.all.map(\.name)))
    }

    @Test func defaultsStandWithoutAFile() throws {
        #expect(try apply([]) == AgentConfig())
        #expect(AgentConfig().origin(of: "broker").contains("default"))
    }

    @Test func commentsBlankLinesCRLFAndTabsAreSkipped() throws {
        let config = try apply([
            "# a comment", "", "   # an indented comment", "\t", "  keepalive\t=\t45  ", "#port = 1", "log_level = debug",
        ], separator: "\r\n")
        #expect(config.keepaliveSeconds == 45)
        #expect(config.logLevel == .debug)
        #expect(config.broker.port == 1883)
        #expect(config.origins == ["keepalive": "\(path):5", "log_level": "\(path):7"])
    }

    @Test(arguments: [
        (#"printer_name = "  Shop Kobra  ""#, "  Shop Kobra  "),
        ("printer_name =    Shop Kobra   ", "Shop Kobra"),
        (#"printer_name = "a"b""#, #"a"b"#),
        (#"printer_name = ""#, #"""#),
        ("printer_name = a # not a comment", "a # not a comment"),
    ])
    func quotesKeepSpaces(line: String, expected: String) throws {
        #expect(try apply([line]).printerName == expected)
    }

    @Test(arguments: ["keepalive =", "keepalive =   ", #"keepalive = """#])
    func emptyValueKeepsTheDefault(line: String) throws {
        let config = try apply([line])
        #expect(config.keepaliveSeconds == 60)
        #expect(config.origins["keepalive"] == nil)
    }

    /// A key's place in the file does not matter: `port` written before `broker` still
    /// sets the port (a key set twice is an error precisely so that nothing silently wins).
    @Test func portBeforeBrokerIsKept() throws {
        let config = try apply(["port = 9883", "broker = mqtts://broker.example.com"])
        #expect(config.broker.port == 9883)
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        /// Lines after the prelude; the error is on the last one.
        var lines: [String]
        /// Text the message must contain.
        var mentions: String
        var testDescription: String { lines.last ?? "" }
    }

    static let badFiles: [BadFile] = [
        BadFile(lines: ["brokr = mqtt://h"], mentions: "brokr"),
        BadFile(lines: ["colour ="], mentions: "colour"),
        BadFile(lines: ["keepalive = 2"], mentions: "2"),
        BadFile(lines: ["keepalive = 3601"], mentions: "3601"),
        BadFile(lines: ["keepalive = soon"], mentions: "soon"),
        BadFile(lines: ["port = 70000"], mentions: "70000"),
        BadFile(lines: ["port = 0"], mentions: "0"),
        BadFile(lines: ["mqtt_version = 4"], mentions: "4"),
        BadFile(lines: ["tls_insecure = maybe"], mentions: "maybe"),
        BadFile(lines: ["log_level = loud"], mentions: "loud"),
        BadFile(lines: ["identity = gen-c"], mentions: "gen-c"),
        BadFile(lines: ["storage_local = relative/path"], mentions: "relative/path"),
        BadFile(lines: ["usb_automount = sometimes"], mentions: "sometimes"),
        BadFile(lines: ["storage_usb = mnt/udisk"], mentions: "mnt/udisk"),
        BadFile(lines: ["storage_usb = /"], mentions: "root"),
        BadFile(lines: ["storage_usb = /mnt/../etc"], mentions: "/mnt/../etc"),
        BadFile(lines: ["model_id = 20a21"], mentions: "20a21"),
        BadFile(lines: ["model_id = 12345678901"], mentions: "12345678901"),
        BadFile(lines: ["device_id = abc/def"], mentions: "abc/def"),
        BadFile(lines: ["device_id = abc+def"], mentions: "abc+def"),
        BadFile(lines: ["device_id = abc#def"], mentions: "abc#def"),
        BadFile(lines: ["device_id = abc def"], mentions: "abc def"),
        BadFile(lines: ["device_id = " + String(repeating: "a", count: 65)], mentions: "64"),
        BadFile(lines: ["max_payload = 100"], mentions: "100"),
        BadFile(lines: ["offline_queue = -1"], mentions: "-1"),
        BadFile(lines: ["lan_listen = 192.168.1.256"], mentions: "IPv4 address"),
        BadFile(lines: ["lan_listen = eth0"], mentions: "IPv4 address"),
        BadFile(lines: ["reconnect_spread = 0"], mentions: "0"),
        BadFile(lines: ["gen_a_id_offset = x"], mentions: "x"),
        BadFile(lines: ["broker = http://h"], mentions: "http://h"),
        BadFile(lines: ["broker = mqtt://h:99999"], mentions: "99999"),
        BadFile(lines: ["controller = octoprint"], mentions: "octoprint"),
        BadFile(lines: ["serial_baud = 12345"], mentions: "12345"),
        BadFile(lines: ["serial_rx_buffer = -1"], mentions: "-1"),
        BadFile(lines: ["serial_port = ttyS1"], mentions: "ttyS1"),
        BadFile(lines: ["klipper_socket = uds1"], mentions: "uds1"),
        BadFile(lines: ["pause_gcode = G1 Z5 ; lift"], mentions: "G1 Z5 ; lift"),
        BadFile(lines: ["state_dir = /"], mentions: "root"),
        BadFile(lines: ["download_stall_timeout = 1"], mentions: "1"),
        BadFile(lines: ["ota_public_key = key.pem"], mentions: "key.pem"),
        BadFile(lines: ["just some words"], mentions: "just some words"),
        BadFile(lines: ["= value"], mentions: "key"),
        BadFile(lines: ["port = 1884", "# comment", "port = 1885"], mentions: "line 4"),
        BadFile(lines: ["keepalive =", "keepalive = 30"], mentions: "twice"),
    ]

    @Test(arguments: badFiles)
    func badLineIsAnErrorNamingFileAndLine(bad: BadFile) throws {
        let prelude = ["# header", "", "printer_name = Shop"]
        let error = try #require(configError { _ = try apply(prelude + bad.lines) })
        let lineNumber = prelude.count + bad.lines.count
        #expect(error.origin == "\(path):\(lineNumber)")
        #expect(error.line == "\(path):\(lineNumber): \(error.message)")
        #expect(error.message.contains(bad.mentions), "\(error.message)")
    }

    @Test func errorWithoutOriginIsJustTheMessage() {
        #expect(ConfigError("", "bad").line == "bad")
        #expect(ConfigError("f:1", "bad").line == "f:1: bad")
    }

    @Test(arguments: [("debug", LogLevel.debug), ("info", .info), ("warn", .warning), ("warning", .warning), ("error", .error)])
    func logLevelNames(name: String, level: LogLevel) throws {
        #expect(try apply(["log_level = \(name)"]).logLevel == level)
        #expect(LogLevel(name: level.name) == level)
    }

    @Test func logLevelsAreOrdered() {
        #expect(LogLevel.debug < .info && LogLevel.info < .warning && LogLevel.warning < .error)
    }

    @Test(arguments: [("yes", true), ("true", true), ("on", true), ("1", true),
                      ("no", false), ("false", false), ("off", false), ("0", false)])
    func booleanWords(word: String, value: Bool) throws {
        var config = AgentConfig()
        config.tlsInsecure = !value
        try ConfigFile.apply("tls_insecure = \(word)", path: path, to: &config)
        #expect(config.tlsInsecure == value)
    }
}
