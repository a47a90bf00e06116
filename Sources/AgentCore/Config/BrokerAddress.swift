/// Where the broker is: `mqtt://host[:port]` (plain, default port 1883) or
/// `mqtts://host[:port]` (TLS, default port 8883). An IPv6 host is written in brackets.
public struct BrokerAddress: Equatable {
    /// Whether the connection uses TLS.
    public var tls: Bool
    /// The host name or address.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Creates an address from its parts.
    public init(tls: Bool, host: String, port: Int) {
        self.tls = tls
        self.host = host
        self.port = port
    }

    /// Parses a broker URL; the error is a sentence saying what is wrong.
    public static func parse(_ url: String) throws(ConfigError) -> BrokerAddress {
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("mqtt://") {
            tls = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("mqtts://") {
            tls = true
            rest = url.dropFirst(8)
        } else {
            throw ConfigError("", "broker URL \"\(url)\" must start with mqtt:// or mqtts://")
        }
        var hostPart = rest
        if let slash = hostPart.firstIndex(of: "/") {
            guard hostPart[slash...].allSatisfy({ $0 == "/" }) else {
                throw ConfigError("", "broker URL \"\(url)\" must not have a path")
            }
            hostPart = hostPart[..<slash]
        }
        var host = hostPart
        var portText: Substring? = nil
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                throw ConfigError("", "broker URL \"\(url)\" has an unclosed [ in its host")
            }
            host = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw ConfigError("", "broker URL \"\(url)\" has text after the IPv6 address")
            }
        } else if let colon = hostPart.firstIndex(of: ":") {
            host = hostPart[..<colon]
            portText = hostPart[hostPart.index(after: colon)...]
        }
        guard !host.isEmpty else { throw ConfigError("", "broker URL \"\(url)\" has no host") }
        var port = tls ? 8883 : 1883
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw ConfigError("", "broker URL \"\(url)\" has a bad port \"\(portText)\" (expected 1 to 65535)")
            }
            port = value
        }
        return BrokerAddress(tls: tls, host: String(host), port: port)
    }

    /// The address written back as a URL.
    public var url: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "mqtts" : "mqtt")://\(shownHost):\(port)"
    }
}
