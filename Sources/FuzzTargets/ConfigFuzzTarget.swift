import AgentCore
import CMosquitto

/// The fuzz target over what the agent reads before it starts and from the system: the
/// command line, the configuration file, the identity files of both firmware generations,
/// `/proc/self/mountinfo` and the OTA record.
///
/// Input: parts separated by `%%` lines, in this order (missing parts are missing files):
/// the configuration file; the command line, one argument a line; the Gen A identity
/// record; Gen B `device.ini`, `device_account.json` and `api.cfg`; mountinfo; the OTA
/// record. The identity files are read at whatever paths the configuration gives them.
///
/// Oracle: an error is one line; an identity that is accepted makes topics libmosquitto
/// subscribes and publishes on.
public enum ConfigFuzzTarget {
    /// Runs one input.
    public static func run(_ bytes: [UInt8]) {
        let parts = FuzzInput.parts(bytes)
        func part(_ index: Int) -> [UInt8]? { index < parts.count ? parts[index] : nil }
        do throws(ConfigError) {
            let arguments = (part(1) ?? []).isEmpty ? [] : FuzzInput.lines(part(1) ?? []).map(FuzzInput.text)
            let options = try CommandLineOptions.parse(arguments)
            var config = AgentConfig()
            try ConfigFile.apply(FuzzInput.text(part(0) ?? []), path: options.configPath, to: &config)
            try options.applyOverrides(to: &config)
            let files = [config.genAIdentityFile, config.genBDeviceIni, config.genBAccountFile, config.genBApiConfig]
            let identity = try Identity.resolve(config, read: { path throws(ConfigError) in
                guard let index = files.firstIndex(of: path), let bytes = part(index + 2) else {
                    throw ConfigError(path, "cannot read: No such file or directory")
                }
                return bytes
            })
            checkTopics(DeviceTopics(modelId: identity.modelId.value, deviceId: identity.deviceId.value))
            _ = identity.description
        } catch {
            FuzzCheck.require(!error.line.utf8.contains(UInt8(ascii: "\n")), "a configuration error of more than one line: \(error.line)")
        }
        _ = try? IniFile(parsing: FuzzInput.text(part(3) ?? []), path: "device.ini")
        _ = MountInfo.parse(bytes: part(6) ?? [])
        _ = try? OtaRecord.parse(part(7) ?? [])
    }

    /// The printer's command subscription and a report topic must be valid MQTT topics.
    private static func checkTopics(_ topics: DeviceTopics) {
        let filter = topics.commandFilter
        FuzzCheck.require(mosquitto_sub_topic_check2(filter, filter.utf8.count) == MOSQ_ERR_SUCCESS.rawValue,
                          "the identity makes an invalid subscription: \(filter)")
        PublicationCheck.requirePublishable(topics.report("status"))
    }
}
