/// What the agent was asked to do on its command line.
public struct CommandLineOptions: Equatable {
    /// The kind of run.
    public enum Mode: Equatable {
        /// Run the agent (the default).
        case run
        /// Check the configuration (and identity) and exit: 0 when good, 1 with one line when not.
        case checkConfig
        /// Print the identity found and where, then exit.
        case printIdentity
        /// Print the usage text and exit.
        case help
        /// Print the version and exit.
        case version
        /// Approve the application whose app-key request has this code (OctoPrint API), then exit.
        case approveApp(String)
        /// Replace the OctoPrint API's key with a new one, print it, then exit.
        case rotateApiKey
    }

    /// The default configuration file; the agent runs on defaults when it does not exist.
    public static let defaultConfigPath = "/etc/printer-agent/agent.conf"

    /// What to do.
    public var mode = Mode.run
    /// The configuration file to read.
    public var configPath = defaultConfigPath
    /// Whether `-c` named the file (then it must exist).
    public var configExplicit = false
    /// Key/value settings that override the file, with the option that set each.
    public var overrides: [(key: String, value: String, option: String)] = []

    /// The options from `arguments` (without the program name).
    public static func parse(_ arguments: [String]) throws(ConfigError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var index = 0
        func value(for option: String) throws(ConfigError) -> String {
            index += 1
            guard index < arguments.count else {
                throw ConfigError("command line", "\(option) needs a value (see --help)")
            }
            return arguments[index]
        }
        let keyed: [(option: String, key: String)] = [
            ("--broker", "broker"), ("--model-id", "model_id"), ("--device-id", "device_id"),
            ("--storage", "storage_local"), ("--identity", "identity"),
        ]
        while index < arguments.count {
            let argument = arguments[index]
            if let entry = keyed.first(where: { $0.option == argument }) {
                options.overrides.append((entry.key, try value(for: argument), argument))
            } else {
                switch argument {
                case "-c", "--config":
                    options.configPath = try value(for: argument)
                    options.configExplicit = true
                case "-v", "--verbose": options.overrides.append(("log_level", "debug", argument))
                case "--check-config": options.mode = .checkConfig
                case "--print-identity": options.mode = .printIdentity
                case "--approve-app":
                    let code = try value(for: argument)
                    guard AsciiText.isWord(code, maxBytes: 32) else {
                        throw ConfigError("command line", "--approve-app needs the code the agent logged (letters and digits), not \"\(code)\"")
                    }
                    options.mode = .approveApp(code)
                case "--rotate-api-key": options.mode = .rotateApiKey
                case "-h", "--help": options.mode = .help
                case "--version": options.mode = .version
                default: throw ConfigError("command line", "unknown option \"\(argument)\" (see --help)")
                }
            }
            index += 1
        }
        return options
    }

    /// Applies the overrides on top of `config`.
    public func applyOverrides(to config: inout AgentConfig) throws(ConfigError) {
        for override in overrides {
            try ConfigKeys.apply(override.key, override.value, origin: "command line (\(override.option))", to: &config)
        }
    }

    public static func == (lhs: CommandLineOptions, rhs: CommandLineOptions) -> Bool {
        lhs.mode == rhs.mode && lhs.configPath == rhs.configPath && lhs.configExplicit == rhs.configExplicit
            && lhs.overrides.elementsEqual(rhs.overrides) { $0 == $1 }
    }

    /// The text of `--help`.
    public static let usage = """
    Usage: printer-agent [options]

    Runs the printer agent: answers the Anycubic cloud MQTT commands for this printer.

    Options:
      -c, --config FILE     configuration file (default \(defaultConfigPath); without one,
                            the documented defaults and these options are used)
      --broker URL          broker, mqtt://HOST[:PORT] or mqtts://HOST[:PORT]
      --model-id ID         printer model id (e.g. 20021)
      --device-id ID        device id (the topic level of this printer)
      --identity SOURCE     where the ids come from: config, gen-a or gen-b
      --storage DIR         internal storage root
      -v, --verbose         log debug lines
      --check-config        check the configuration and identity, then exit
      --print-identity      print the identity found and where (and the API key when
                            http_api is on), then exit
      --approve-app CODE    let the application that asked for the API key with CODE
                            (shown in the log) have it, then exit
      --rotate-api-key      replace the API key with a new one (the running agent refuses
                            the old one from then on), print it, then exit
      --version             print the version, then exit
      -h, --help            print this text, then exit

    Every option overrides the same key of the configuration file.
    """
}
