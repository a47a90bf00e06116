import AgentCore
import AgentPlatform

/// The agent's entry point: parses the command line, then checks, prints or runs as asked,
/// and returns the exit status (0 success, 1 a configuration or runtime error, 2 a usage error).
public func runAgent(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var arguments: [String] = []
    for index in 1..<Int(max(argc, 1)) {
        if let argument = argv[index] { arguments.append(String(cString: argument)) }
    }
    let options: CommandLineOptions
    do {
        options = try CommandLineOptions.parse(arguments)
    } catch {
        StandardStreams.err("printer-agent: \(error.line)\n")
        return 2
    }
    switch options.mode {
    case .help:
        StandardStreams.out(CommandLineOptions.usage + "\n")
        return 0
    case .version:
        StandardStreams.out("printer-agent \(AgentVersion.current)\n")
        return 0
    case .run, .checkConfig, .printIdentity, .approveApp, .rotateApiKey:
        break
    }
    let startup: Startup
    do {
        startup = try Startup.load(options)
    } catch {
        StandardStreams.err("printer-agent: \(error.line)\n")
        return 1
    }
    switch options.mode {
    case .checkConfig:
        StandardStreams.out("configuration OK (\(startup.configFile ?? "no file, defaults")): device \(startup.identity.deviceId.value), model \(startup.identity.modelId.value), broker \(startup.config.broker.url)\n")
        return 0
    case .printIdentity:
        var lines = startup.identity.description
        if startup.config.httpApi { lines += OctoApiService.identityLines(startup.config, startup.identity) }
        StandardStreams.out(lines.joined(separator: "\n") + "\n")
        return 0
    case .approveApp(let code):
        do {
            // Readable by the agent's user whoever writes it (root, say); the code is in the log anyway.
            try StateFile(directory: startup.config.stateDirectory, name: OctoApiService.approvalFileName)
                .write(code + "\n", mode: 0o644)
        } catch {
            StandardStreams.err("printer-agent: \(error.message)\n")
            return 1
        }
        StandardStreams.out("approval of \(code) handed to the agent: the application gets the key at its next poll\n")
        return 0
    case .rotateApiKey:
        do {
            let (key, file) = try OctoApiService.rotateKey(startup.config)
            StandardStreams.out("http_api_key = \(key)    (\(file)): the old key is refused from now on; give every client the new one\n")
        } catch {
            StandardStreams.err("printer-agent: \(error.message)\n")
            return 1
        }
        return 0
    default:
        break
    }
    let logger = Logger(level: startup.config.logLevel)
    do {
        return try Agent(startup: startup, logger: logger).run()
    } catch {
        logger.log(.error, error.message)
        return 1
    }
}

#if hasFeature(Embedded)
/// The device binary's C `main`: Embedded Swift has no top-level code entry point.
@_cdecl("main")
public func deviceMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runAgent(argc, argv)
}

/// C's `ceil` for the device binary (see `RuntimeMath`): keeps libm out of the process.
@_cdecl("ceil")
public func deviceCeil(_ x: Double) -> Double { RuntimeMath.ceil(x) }

/// C's `trunc` for the device binary (see `RuntimeMath`).
@_cdecl("trunc")
public func deviceTrunc(_ x: Double) -> Double { RuntimeMath.trunc(x) }

/// C's `round` for the device binary (see `RuntimeMath`).
@_cdecl("round")
public func deviceRound(_ x: Double) -> Double { RuntimeMath.round(x) }
#endif
