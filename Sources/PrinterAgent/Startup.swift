import AgentCore
import AgentPlatform

/// Everything the agent needs before it starts, read and checked: the configuration
/// (defaults, file, command line), the files it names, and the identity. Any problem is
/// one `ConfigError` line naming the file and line.
struct Startup {
    /// The configuration in force.
    var config: AgentConfig
    /// Who the printer is.
    var identity: Identity
    /// The configuration file read, or nil when the agent runs on defaults.
    var configFile: String?

    /// Reads and checks everything `options` points at.
    static func load(_ options: CommandLineOptions) throws(ConfigError) -> Startup {
        var config = AgentConfig()
        var configFile: String? = nil
        if options.configExplicit || FileReader.isReadable(options.configPath) {
            let bytes = try read(options.configPath)
            try ConfigFile.apply(String(decoding: bytes, as: UTF8.self), path: options.configPath, to: &config)
            configFile = options.configPath
        }
        try options.applyOverrides(to: &config)
        try checkFiles(config)
        let identity = try Identity.resolve(config, read: { path throws(ConfigError) in try read(path) })
        if config.lanMode, let missing = LanService.missingLogin(config, identity) {
            throw ConfigError(config.origin(of: "lan_mode"), missing)
        }
        return Startup(config: config, identity: identity, configFile: configFile)
    }

    /// Reads a file for the configuration or identity; the error names the file.
    static func read(_ path: String) throws(ConfigError) -> [UInt8] {
        do {
            return try FileReader.read(path)
        } catch {
            throw ConfigError(path, error.errno == 0 ? error.message : "cannot read: \(SystemError.describe(error.errno))")
        }
    }

    /// The TLS files (and an explicitly set version file, in LAN mode the LAN password file,
    /// and the home broker's password and CA files) must exist and be readable.
    static func checkFiles(_ config: AgentConfig) throws(ConfigError) {
        let named: [(key: String, path: String?)] = [
            ("tls_ca_file", config.tlsCAFile), ("tls_cert_file", config.tlsCertFile),
            ("tls_key_file", config.tlsKeyFile),
            ("version_file", config.origins["version_file"] == nil ? nil : config.versionFile),
            ("lan_password_file", config.lanMode ? config.lanPasswordFile : nil),
            ("home_password_file", config.home.passwordFile), ("home_tls_ca_file", config.home.tlsCAFile),
        ]
        for entry in named {
            guard let path = entry.path else { continue }
            if !FileReader.isReadable(path) {
                throw ConfigError(config.origin(of: entry.key), "\(entry.key): \(path) does not exist or cannot be read")
            }
        }
        if (config.tlsCertFile == nil) != (config.tlsKeyFile == nil) {
            let key = config.tlsCertFile == nil ? "tls_key_file" : "tls_cert_file"
            throw ConfigError(config.origin(of: key), "tls_cert_file and tls_key_file go together: set both for mutual TLS, or neither")
        }
    }
}
