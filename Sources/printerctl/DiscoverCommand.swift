import AgentCore
import ArgumentParser
import Foundation

/// `printerctl discover`: an SSDP search for Anycubic printers (`ST: ac:3dprinter:fdm`,
/// docs/lan-mode.md, "Discovery"), listing each printer that answers within the wait.
struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Find printers on the LAN (SSDP), as the slicers do.")

    @Option(help: "Seconds to wait for answers.") var wait: Double = 3
    @Option(help: "Where to send the search (the SSDP group by default; a printer's address asks it alone).")
    var address = "239.255.255.250"
    @Option(help: "The SSDP port.") var port: Int = 1900
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let output = Output(json: json)
        try reportingFailures(output) {
            let socket = try SsdpSearch(address: address, port: port)
            try socket.send("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n"
                            + "ST: \(SsdpDiscovery.searchTarget)\r\n\r\n")
            var printers: [[String: Any]] = []
            let deadline = Date().addingTimeInterval(wait)
            while let reply = socket.receive(until: deadline) {
                guard let printer = Self.printer(reply), !printers.contains(where: { $0["usn"] as? String == printer["usn"] as? String })
                else { continue }
                printers.append(printer)
            }
            output.show(printers) {
                printers.isEmpty ? ["no printer answered within \(wait) s"] : printers.map { printer in
                    "\(printer["ip"] ?? "?")  \(printer["deviceName"] ?? printer["modelName"] ?? "")  "
                        + "model \(printer["modelId"] ?? "?")  device \(printer["cn"] ?? "?")"
                }
            }
        }
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

/// A UDP socket that sends one search and reads the answers.
final class SsdpSearch {
    private let fd: Int32
    private var target = sockaddr_in()

    /// A socket that sends to the IPv4 `address`:`port`.
    init(address: String, port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw CtlError.connection("cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else {
            close(fd)
            throw CtlError.usage("\"\(address)\" is not an IPv4 address")
        }
    }

    deinit { close(fd) }

    /// Sends `text` to the search's address.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == bytes.count else { throw CtlError.connection("cannot send the SSDP search: \(String(cString: strerror(errno)))") }
    }

    /// The next datagram, or nil once `deadline` has passed.
    func receive(until deadline: Date) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(left * 1000) + 1) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { return String(decoding: buffer.prefix(count), as: UTF8.self) }
        }
    }
}
