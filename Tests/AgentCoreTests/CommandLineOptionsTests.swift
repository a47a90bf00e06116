import AgentCore
import Testing

private func parse(_ arguments: [String]) throws(ConfigError) -> CommandLineOptions {
    try CommandLineOptions.parse(arguments)
}

struct CommandLineOptionsTests {
    @Test func noArgumentsRunWithTheDefaultFile() throws {
        let options = try parse([])
        #expect(options.mode == .run)
        #expect(options.configPath == "/etc/printer-agent/agent.conf")
        #expect(!options.configExplicit)
        #expect(options.overrides.isEmpty)
    }

    @Test(arguments: [
        ("--broker", "mqtts://h:9883", "broker"),
        ("--model-id", "20024", "model_id"),
        ("--device-id", "abc123", "device_id"),
        ("--storage", "/data", "storage_local"),
        ("--identity", "gen-a", "identity"),
    ])
    func keyedOptionBecomesAnOverride(option: String, value: String, key: String) throws {
        let options = try parse([option, value])
        #expect(options.overrides.count == 1)
        #expect(options.overrides.first?.key == key)
        #expect(options.overrides.first?.value == value)
        #expect(options.overrides.first?.option == option)
        #expect(options.mode == .run)
    }

    @Test(arguments: ["-v", "--verbose"])
    func verboseSetsDebug(option: String) throws {
        var config = AgentConfig()
        try parse([option]).applyOverrides(to: &config)
        #expect(config.logLevel == .debug)
        #expect(config.origins["log_level"] == "command line (\(option))")
    }

    @Test(arguments: ["-c", "--config"])
    func configOptionNamesTheFile(option: String) throws {
        let options = try parse([option, "/tmp/a.conf"])
        #expect(options.configPath == "/tmp/a.conf")
        #expect(options.configExplicit)
    }

    @Test(arguments: [
        (["--check-config"], CommandLineOptions.Mode.checkConfig), (["--print-identity"], .printIdentity),
        (["-h"], .help), (["--help"], .help), (["--version"], .version),
        (["-c", "/x.conf", "--check-config", "-v"], .checkConfig), (["--approve-app", "K3J9x2QD"], .approveApp("K3J9x2QD")),
        (["-c", "/x.conf", "--rotate-api-key"], .rotateApiKey),
    ])
    func modes(arguments: [String], mode: CommandLineOptions.Mode) throws {
        #expect(try parse(arguments).mode == mode)
    }

    @Test(arguments: ["", "../x", "a b", String(repeating: "a", count: 33)])
    func anApprovalCodeIsLettersAndDigits(code: String) throws {
        let error = try #require(configError { _ = try parse(["--approve-app", code]) })
        #expect(error.message.contains("letters and digits"))
    }

    @Test(arguments: ["-c", "--config", "--broker", "--model-id", "--device-id", "--storage", "--identity", "--approve-app"])
    func optionWithoutValueIsAnError(option: String) throws {
        let error = try #require(configError { _ = try parse(["-v", option]) })
        #expect(error.origin == "command line")
        #expect(error.message.contains(option))
    }

    @Test(arguments: ["--brokr", "-x", "run", "--", "--verbose=1"])
    func unknownOptionIsAnError(argument: String) throws {
        let error = try #require(configError { _ = try parse([argument]) })
        #expect(error.line.hasPrefix("command line: "))
        #expect(error.message.contains("\"\(argument)\""))
    }

    @Test func overridesApplyWithTheirOptionAsOrigin() throws {
        var config = AgentConfig()
        try ConfigFile.apply("broker = mqtt://file-host\nmodel_id = 20021\nkeepalive = 30", path: "f.conf", to: &config)
        try parse(["--broker", "mqtts://cli-host", "--model-id", "20024", "--device-id", "dev-1",
                   "--storage", "/data", "--identity", "gen-b"]).applyOverrides(to: &config)
        #expect(config.broker == BrokerAddress(tls: true, host: "cli-host", port: 8883))
        #expect(config.modelId == "20024")
        #expect(config.deviceId == "dev-1")
        #expect(config.storageLocal == "/data")
        #expect(config.identity == .genB)
        #expect(config.keepaliveSeconds == 30)
        #expect(config.origins["broker"] == "command line (--broker)")
        #expect(config.origins["model_id"] == "command line (--model-id)")
        #expect(config.origins["identity"] == "command line (--identity)")
        #expect(config.origins["keepalive"] == "f.conf:3")
    }

    /// The default file documents `port` as "overriding the one in the URL": a broker given
    /// on the command line must not silently undo the file's port.
    @Test func brokerOptionKeepsThePortSetInTheFile() throws {
        var config = AgentConfig()
        try ConfigFile.apply("broker = mqtts://file-host\nport = 9883", path: "f.conf", to: &config)
        try parse(["--broker", "mqtts://cli-host"]).applyOverrides(to: &config)
        #expect(config.broker == BrokerAddress(tls: true, host: "cli-host", port: 9883))
    }

    @Test func badOverrideValueNamesTheOption() throws {
        var config = AgentConfig()
        let options = try parse(["--model-id", "K2P"])
        let error = try #require(configError { try options.applyOverrides(to: &config) })
        #expect(error.origin == "command line (--model-id)")
        #expect(error.message.contains("K2P"))
    }

    @Test func usageMentionsEveryOption() {
        for option in ["--config", "--broker", "--model-id", "--device-id", "--identity", "--storage", "--verbose",
                       "--check-config", "--print-identity", "--approve-app", "--rotate-api-key", "--version", "--help"] {
            #expect(CommandLineOptions.usage.contains(option), "\(option)")
        }
    }
}
