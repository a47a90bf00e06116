import Foundation

/// A broker's address as printerctl takes it: `mqtt://host[:port]` (1883 by default) or
/// `mqtts://host[:port]` (TLS, 8883 by default).
struct BrokerURL: CustomStringConvertible {
    let tls: Bool
    let host: String
    let port: Int

    /// Parses `text`; throws a usage error naming what is wrong.
    init(_ text: String) throws {
        let parts = text.components(separatedBy: "://")
        guard parts.count == 2, ["mqtt", "mqtts"].contains(parts[0].lowercased()) else {
            throw CtlError.usage("the broker URL \"\(text)\" must start with mqtt:// or mqtts://")
        }
        tls = parts[0].lowercased() == "mqtts"
        let address = parts[1].split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        var hostPart = address
        var portNumber = tls ? 8883 : 1883
        if let colon = address.lastIndex(of: ":"), !address.hasSuffix("]") {
            hostPart = String(address[..<colon])
            guard let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                throw CtlError.usage("the broker URL \"\(text)\" has a bad port")
            }
            portNumber = port
        }
        guard !hostPart.isEmpty else { throw CtlError.usage("the broker URL \"\(text)\" has no host") }
        host = hostPart.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        port = portNumber
    }

    var description: String { "\(tls ? "mqtts" : "mqtt")://\(host):\(port)" }
}
