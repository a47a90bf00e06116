import AgentCore
import ArgumentParser
import Foundation

/// `printerctl discover`: an SSDP search for Anycubic printers (`ST: ac:3dprinter:fdm`,
/// docs/lan-mode.md, "Discovery") and an mDNS query for the OctoPrint API (`_octoprint._tcp`,
/// docs/octoprint-api.md), sent together; each printer that answers within the wait is
/// listed once, what both ways said of the same address merged.
struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find printers on the LAN (SSDP, as the slicers do, and mDNS).")

    /// The SSDP multicast group.
    static let ssdpGroup = "239.255.255.250"

    @Option(help: "Seconds to wait for answers.") var wait: Double = 3
    @Option(help: "Where to send the searches (the SSDP and mDNS groups by default; a printer's address asks it alone).")
    var address = ssdpGroup
    @Option(help: "The SSDP port.") var port: Int = 1900
    @Option(help: "The mDNS port.") var mdnsPort: Int = DnsSd.port
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let output = Output(json: json)
        try reportingFailures(output) {
            let ssdp = try UdpQuery()
            try ssdp.send(Array(("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n"
                                 + "ST: \(SsdpDiscovery.searchTarget)\r\n\r\n").utf8), to: address, port: port, what: "SSDP search")
            let mdns = try UdpQuery()
            let query = DnsSd.query(DnsSd.octoprint)
            if address == Self.ssdpGroup {
                let interfaces = UdpQuery.multicastInterfaces()
                for interface in interfaces {
                    try mdns.send(query, to: DnsSd.group, port: mdnsPort, via: interface, what: "mDNS query")
                }
                if interfaces.isEmpty { try mdns.send(query, to: DnsSd.group, port: mdnsPort, what: "mDNS query") }
            } else {
                try mdns.send(query, to: address, port: mdnsPort, what: "mDNS query")
            }
            var found = Found()
            let deadline = Date().addingTimeInterval(wait)
            while let reply = UdpQuery.receive([ssdp, mdns], until: deadline) {
                if reply.socket == 0 {
                    if let printer = Self.printer(String(decoding: reply.bytes, as: UTF8.self)) { found.add(ssdp: printer) }
                } else {
                    for service in DnsSd.services(of: DnsSd.octoprint, in: reply.bytes) { found.add(service, sender: reply.sender) }
                }
            }
            output.show(found.printers) {
                found.printers.isEmpty ? ["no printer answered within \(wait) s"] : found.printers.map(Self.line)
            }
        }
    }

    /// A printer's line: address, name, what SSDP said (model id, device id) and the
    /// OctoPrint API mDNS announced.
    static func line(_ printer: [String: Any]) -> String {
        let api = printer["mdns"] as? [String: Any]
        var parts = ["\(printer["ip"] ?? "?")", "\(printer["deviceName"] ?? printer["modelName"] ?? api?["model"] ?? api?["name"] ?? "")"]
        if printer["cn"] != nil { parts.append("model \(printer["modelId"] ?? "?")  device \(printer["cn"] ?? "?")") }
        if let api { parts.append("OctoPrint API on port \(api["port"] ?? "?")") }
        return parts.joined(separator: "  ")
    }

    /// A printer's answer as an object: its USN and LOCATION, and LOCATION's query fields
    /// (ip, modelId, modelName, cn, deviceName, ctrlType); nil for anything that is not one.
    static func printer(_ reply: String) -> [String: Any]? {
        var headers: [String: String] = [:]
        for line in reply.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard headers["st"] == SsdpDiscovery.searchTarget, let location = headers["location"],
              let components = URLComponents(string: location) else { return nil }
        var printer: [String: Any] = ["usn": headers["usn"] ?? "", "location": location, "ip": components.host ?? ""]
        for item in components.queryItems ?? [] where !(item.value ?? "").isEmpty { printer[item.name] = item.value }
        return printer
    }
}

/// The printers found so far, one per address, in the order they first answered; `found`
/// says which ways (`ssdp`, `mdns`) each answered.
struct Found {
    private(set) var printers: [[String: Any]] = []

    /// Adds SSDP's answer, merged into the printer at the same address.
    mutating func add(ssdp printer: [String: Any]) {
        merge(printer, at: printer["ip"] as? String ?? "", way: "ssdp")
    }

    /// Adds an mDNS service: at its A record's address, else at the address that answered.
    mutating func add(_ service: DnsSd.Service, sender: String) {
        var api: [String: Any] = ["name": service.name]
        if let host = service.host { api["host"] = host }
        if let port = service.port { api["port"] = port }
        for (key, value) in service.txt where ["path", "version", "api", "uuid", "model", "vendor"].contains(key) { api[key] = value }
        merge(["mdns": api], at: service.address ?? sender, way: "mdns")
    }

    private mutating func merge(_ fields: [String: Any], at address: String, way: String) {
        let index = printers.firstIndex { $0["ip"] as? String == address } ?? {
            printers.append(["ip": address, "found": [String]()])
            return printers.count - 1
        }()
        printers[index].merge(fields) { old, _ in old }
        var ways = printers[index]["found"] as? [String] ?? []
        if !ways.contains(way) { ways.append(way) }
        printers[index]["found"] = ways
    }
}
