import Foundation

/// A UDP socket that sends discovery queries (SSDP, mDNS) and reads the answers with the
/// address of their sender.
final class UdpQuery {
    private let fd: Int32

    /// An IPv4 UDP socket on an ephemeral port (an mDNS responder answers such a "legacy"
    /// query by unicast, to this port).
    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw CtlError.connection("cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        var ttl: UInt8 = 255
        _ = setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, socklen_t(MemoryLayout<UInt8>.size))
    }

    deinit { close(fd) }

    /// The IPv4 address `text` as a socket address on `port`.
    static func socketAddress(_ text: String, port: Int) throws -> sockaddr_in {
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, text, &target.sin_addr) == 1 else { throw CtlError.usage("\"\(text)\" is not an IPv4 address") }
        return target
    }

    /// Sends `bytes` to `address`:`port`; a multicast group is reached through `interface`
    /// (the address of a local interface) when given, else through the routing table's choice.
    func send(_ bytes: [UInt8], to address: String, port: Int, via interface: in_addr? = nil, what: String) throws {
        var target = try Self.socketAddress(address, port: port)
        if var interface {
            _ = setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &interface, socklen_t(MemoryLayout<in_addr>.size))
        }
        let sent = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == bytes.count else { throw CtlError.connection("cannot send the \(what): \(String(cString: strerror(errno)))") }
    }

    /// The addresses of the local IPv4 interfaces that are up and can send multicast.
    static func multicastInterfaces() -> [in_addr] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [in_addr] = []
        var entry = list
        while let current = entry?.pointee {
            entry = current.ifa_next
            let flags = Int32(current.ifa_flags)
            guard let address = current.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  flags & Int32(IFF_UP) != 0, flags & Int32(IFF_MULTICAST) != 0 else { continue }
            found.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr })
        }
        return found
    }

    /// The next datagram any of `sockets` receives: which socket, its bytes and the sender's
    /// IPv4 address; nil once `deadline` has passed.
    static func receive(_ sockets: [UdpQuery], until deadline: Date) -> (socket: Int, bytes: [UInt8], sender: String)? {
        var buffer = [UInt8](repeating: 0, count: 9000)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            var pollers = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            guard poll(&pollers, nfds_t(pollers.count), Int32(left * 1000) + 1) > 0 else { continue }
            for (index, poller) in pollers.enumerated() where poller.revents & Int16(POLLIN) != 0 {
                var sender = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let count = withUnsafeMutablePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(poller.fd, &buffer, buffer.count, 0, $0, &length) }
                }
                guard count > 0 else { continue }
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, &sender.sin_addr, &text, socklen_t(text.count))
                return (index, Array(buffer.prefix(count)), String(cString: text))
            }
        }
    }
}
