import ArgumentParser
import Foundation

/// The options every printer command shares: where the printer is, how long to wait, and
/// whether to print JSON. Each connection option may also come from the config file.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The printer's address: connect through its LAN handshake (LAN mode).")
    var host: String?

    @Option(help: "The port of the LAN handshake.")
    var port: Int?

    @Option(help: "A broker URL (mqtt://host[:port] or mqtts://...) instead of the LAN handshake.")
    var broker: String?

    @Option(name: .customLong("model-id"), help: "The printer's model id (with --broker).")
    var modelId: String?

    @Option(name: .customLong("device-id"), help: "The printer's device id (with --broker).")
    var deviceId: String?

    @Option(help: "The broker's user name (with --broker).")
    var username: String?

    @Option(help: "The broker's password (with --broker).")
    var password: String?

    @Option(help: "The config file (default: $PRINTERCTL_CONFIG or ~/.config/printerctl.conf).")
    var config: String?

    @Option(help: "Seconds to wait for the printer's answers.")
    var timeout: Double = 10

    @Flag(help: "Print JSON for scripts instead of text for people.")
    var json = false

    /// The settings after the command line and the config file are merged (the command line wins).
    func resolved() throws -> ConnectionSettings {
        let file = try ConfigFile.load(explicit: config)
        /// The command line's value, else the file's.
        func pick(_ value: String?, _ key: String) -> String? { value ?? file[key] }
        let settings = ConnectionSettings(
            host: pick(host, "host"), port: try port ?? file.integer("port") ?? 18910,
            broker: pick(broker, "broker"), modelId: pick(modelId, "model_id"), deviceId: pick(deviceId, "device_id"),
            username: pick(username, "username"), password: pick(password, "password"), timeout: timeout)
        guard settings.host != nil || settings.broker != nil else {
            throw CtlError.usage("say where the printer is: --host ADDRESS (LAN mode) or --broker URL "
                                 + "(or host/broker in \(file.path))")
        }
        guard timeout > 0 else { throw CtlError.usage("--timeout must be above 0 seconds") }
        return settings
    }
}

/// Where the printer is and how to log in, merged from the command line and the config file.
struct ConnectionSettings {
    let host: String?
    let port: Int
    let broker: String?
    let modelId: String?
    let deviceId: String?
    let username: String?
    let password: String?
    let timeout: TimeInterval
}

/// printerctl's config file: `key = value` lines (`host`, `port`, `broker`, `model_id`,
/// `device_id`, `username`, `password`); `#` starts a comment.
struct ConfigFile {
    let path: String
    private let values: [String: String]

    static let keys: Set<String> = ["host", "port", "broker", "model_id", "device_id", "username", "password"]

    /// Reads the file `explicit` names (which must exist), else $PRINTERCTL_CONFIG, else
    /// ~/.config/printerctl.conf when it exists.
    static func load(explicit: String?) throws -> ConfigFile {
        let environment = ProcessInfo.processInfo.environment
        let path = explicit ?? environment["PRINTERCTL_CONFIG"]
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config/printerctl.conf"
        guard let file = FileHandle(forReadingAtPath: path), let data = try? file.readToEnd() ?? Data() else {
            if explicit != nil { throw CtlError.usage("cannot read the config file \(path)") }
            return ConfigFile(path: path, values: [:])
        }
        var values: [String: String] = [:]
        for (number, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, keys.contains(parts[0]) else {
                throw CtlError.usage("\(path):\(number + 1): expected one of \(keys.sorted().joined(separator: ", ")) = value")
            }
            values[parts[0]] = parts[1]
        }
        return ConfigFile(path: path, values: values)
    }

    /// The value of `key`, nil when the file does not set it.
    subscript(key: String) -> String? { values[key] }

    /// The value of `key` as a whole number, nil when missing.
    func integer(_ key: String) throws -> Int? {
        guard let text = values[key] else { return nil }
        guard let number = Int(text) else { throw CtlError.usage("\(path): \(key) = \(text) is not a number") }
        return number
    }
}
