/// Where the printer's device id and model id come from.
public enum IdentitySource: String, Equatable {
    /// `device_id` and `model_id` written in the configuration.
    case config
    /// Gen A (Kobra 2 family): the id in `/user/ac_mqtt_connect_info`; model id from the configuration.
    case genA = "gen-a"
    /// Gen B (Kobra 3, S1, X): `device.ini`, `device_account.json` and `api.cfg`.
    case genB = "gen-b"
}

/// The MQTT protocol version spoken to the broker.
public enum MQTTVersion: String, Equatable {
    case v311 = "3.1.1"
    case v5 = "5"
}

/// When a firmware update that `ota/update` announces is installed.
public enum OtaInstallMode: String, Equatable {
    /// At once, as the stock firmware does.
    case now
    /// Kept as the available update, and installed only when `ota/install` asks (Home
    /// Assistant's install command, `printerctl ota --install`).
    case onRequest = "on_request"
}

/// The motion controller the agent drives.
public enum ControllerKind: String, Equatable {
    /// None: print commands answer 503 (a file server only).
    case none
    /// A Marlin-style board on a serial port; the agent streams the G-code.
    case marlin
    /// A Klipper-style API on a Unix socket (Gen B's gklib); the controller reads the file.
    case klipper
}

/// Everything the agent is configured with: the documented defaults, then the file, then
/// the command line. `origins` says where each explicitly set key came from, so that a
/// later check (a missing file, a bad identity) can name the file and line.
public struct AgentConfig: Equatable {
    public var broker = BrokerAddress(tls: false, host: "127.0.0.1", port: 1883)
    public var tlsCAFile: String? = nil
    public var tlsCertFile: String? = nil
    public var tlsKeyFile: String? = nil
    public var tlsInsecure = false
    public var username: String? = nil
    public var password: String? = nil
    public var clientId: String? = nil
    public var keepaliveSeconds = 60
    /// The longest first wait, in seconds, before reconnecting after the broker connection
    /// was lost: a fleet that lost a restarting broker comes back spread over this window.
    public var reconnectSpreadSeconds = 10
    public var mqttVersion = MQTTVersion.v311
    public var modelId: String? = nil
    public var deviceId: String? = nil
    public var identity = IdentitySource.config
    public var genAIdentityFile = "/user/ac_mqtt_connect_info"
    public var genAIdOffset = 0
    public var genBDeviceIni = "/userdata/app/gk/config/device.ini"
    public var genBAccountFile = "/userdata/app/gk/config/device_account.json"
    public var genBApiConfig = "/userdata/app/gk/config/api.cfg"
    public var storageLocal = "/mnt/UDISK"
    /// Whether the agent mounts USB sticks itself (read-write, on `storageUSB`) instead of
    /// relying on the system's automounter or udev rule.
    public var usbAutomount = false
    /// Where the agent mounts a USB stick when `usbAutomount` is on.
    public var storageUSB = "/mnt/exUDISK"
    public var controller = ControllerKind.none
    public var serialPort = "/dev/ttyS1"
    public var serialBaud = 115_200
    /// Bytes of the Marlin board's serial receive buffer that lines sent ahead of their oks
    /// may fill (Marlin's RX_BUFFER_SIZE, 128 by default, less one); 0 sends one line per ok.
    public var serialReceiveBuffer = 127
    public var klipperSocket = "/tmp/unix_uds1"
    /// G-code sent to park the head when a Marlin print pauses, one command per element.
    public var pauseGcode = ["M400", "G91", "G1 Z10 F600", "G90"]
    /// G-code sent before a paused Marlin print goes on.
    public var resumeGcode = ["G91", "G1 Z-10 F600", "G90"]
    /// G-code sent when a Marlin print is stopped.
    public var cancelGcode = ["M104 S0", "M140 S0", "M107", "G91", "G1 Z10 F600", "G90", "M84"]
    /// Where the agent keeps what must survive a restart: the OTA staging directory and the
    /// record of the update being installed.
    public var stateDirectory = "/var/lib/printer-agent"
    /// The CA bundle downloads are verified with; nil: the system's store.
    public var downloadCAFile: String? = nil
    /// Seconds without download progress after which a download counts as stalled.
    public var downloadStallSeconds = 30
    /// The firmware installer command, `{file}` standing for the image; nil: no OTA.
    public var otaInstaller: String? = nil
    /// The PEM public key (Ed25519 or P-256) OTA images must be signed with; nil: none.
    public var otaPublicKey: String? = nil
    /// Whether `force_update` may install during a print.
    public var otaAllowForce = false
    /// Whether `ota/update` installs at once or keeps the update until `ota/install`.
    public var otaInstall = OtaInstallMode.now
    /// The file holding the peripheral (motion controller) firmware version, when there is one.
    public var peripheralVersionFile: String? = nil
    public var printerName: String? = nil
    /// LAN mode: the handshake and upload server that LAN clients (Anycubic Slicer Next, the
    /// Home Assistant integrations) use, on `lanListen`:`lanPort`. Off by default.
    public var lanMode = false
    /// The IPv4 address the LAN server listens on (`0.0.0.0`: every interface).
    public var lanListen = "0.0.0.0"
    /// The LAN server's port (the stock firmware's is 18910).
    public var lanPort = 18910
    /// The UDP port SSDP searches are answered on in LAN mode (1900); 0: not at all.
    public var lanSsdpPort = 1900
    /// The port of the LAN broker's TLS listener the handshake hands out.
    public var lanBrokerPort = 9883
    /// The LAN broker login the handshake hands out; nil: the one of `device_account.json`.
    public var lanUsername: String? = nil
    /// The file holding the LAN broker password (first line); nil: `device_account.json`'s.
    public var lanPasswordFile: String? = nil
    /// The OctoPrint-compatible API slicers and Home Assistant print through, on
    /// `httpApiListen`:`httpApiPort`, behind the API key. Off by default.
    public var httpApi = false
    /// The IPv4 address the API server listens on (`0.0.0.0`: every interface).
    public var httpApiListen = "0.0.0.0"
    /// The API server's port (OctoPrint's clients expect 80).
    public var httpApiPort = 80
    /// Whether an application asking for a key (`/plugin/appkeys/request`) gets it with no
    /// approval by the printer's owner.
    public var httpApiAutoApprove = false
    /// The folder of the web page the API server serves at `/` (docs/web-page.md).
    public var httpApiWww = "/usr/share/printer-agent/www"
    public var versionFile = "/useremain/dev/version"
    public var logLevel = LogLevel.info
    public var maxPayloadBytes = 262_144
    public var offlineQueueSize = 100
    /// The fans, axes, lights and console of the controls (`ControlConfig.keys`).
    public var controls = ControlConfig()
    /// The optional session to the user's own broker (`HomeConfig.keys`).
    public var home = HomeConfig()

    /// Where each explicitly set key came from (`file:line` or `command line (--option)`).
    public var origins: [String: String] = [:]

    /// The documented defaults.
    public init() {}

    /// Where `key` was set, or a phrase saying it is the default.
    public func origin(of key: String) -> String {
        origins[key] ?? "default \(key)"
    }
}
