import AgentCore
import CLibc

/// Answers SSDP searches for the printer (docs/lan-mode.md, "Discovery"): a UDP socket on the
/// SSDP port, joined to 239.255.255.250, polled by the reactor. Each datagram
/// `SsdpDiscovery.answers` accepts gets `reply(host)` sent back to its sender, `host` being
/// this host's address towards the sender. At most `maxRepliesPerSecond` answers leave in a
/// second, so spoofed searches cannot turn the printer into a flood.
public final class SsdpResponder: PollSource {
    /// The most answers sent in one second.
    public static let maxRepliesPerSecond = 20

    /// Whether the socket joined the multicast group (without it, only searches sent to the
    /// printer's own address are heard).
    public let joinedGroup: Bool
    private let descriptor: Int32
    private let clock: () -> Int64
    private let reply: (String) -> String
    private var windowStartMs: Int64 = 0
    private var repliesInWindow = 0

    /// Listens on UDP `port`, joined to the SSDP group on the interface of the dotted IPv4
    /// `interface` (`0.0.0.0`: the kernel's choice); `clock` is the monotonic time in
    /// milliseconds, `reply` makes the answer for a host address.
    public init(port: Int, interface: String, clock: @escaping () -> Int64,
                reply: @escaping (String) -> String) throws(SystemError) {
        var address = in_addr()
        guard interface.withCString({ inet_pton(AF_INET, $0, &address) }) == 1 else {
            throw SystemError(call: "inet_pton", message: "\"\(interface)\" is not an IPv4 address")
        }
        var joined: Int32 = 0
        let fd = agent_ssdp_socket(UInt16(port), address.s_addr, &joined)
        if fd < 0 { throw SystemError.fromErrno("SSDP socket on port \(port)") }
        descriptor = fd
        joinedGroup = joined != 0
        self.clock = clock
        self.reply = reply
    }

    deinit { close(descriptor) }

    public var pollDescriptor: Int32 { descriptor }
    public var pollEvents: Int16 { Int16(POLLIN) }

    /// Reads every waiting datagram and answers the searches among them.
    public func handle(events: Int16) {
        var buffer = [UInt8](repeating: 0, count: SsdpDiscovery.maxDatagram + 1)
        while true {
            var sender = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length) }
                }
            }
            if count < 0 { return }  // EAGAIN: nothing more; any other error: try at the next poll
            guard SsdpDiscovery.answers(Array(buffer.prefix(count))), allowReply() else { continue }
            var host = [CChar](repeating: 0, count: 64)
            let found = host.withUnsafeMutableBufferPointer { agent_local_ipv4_towards(&sender, $0.baseAddress, $0.count) }
            guard found == 0 else { continue }
            let answer = Array(reply(host.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } ?? "" }).utf8)
            _ = answer.withUnsafeBytes { bytes in
                withUnsafePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }

    /// Counts an answer against this second's allowance; false when it is used up.
    private func allowReply() -> Bool {
        let now = clock()
        if now - windowStartMs >= 1000 {
            windowStartMs = now
            repliesInWindow = 0
        }
        repliesInWindow += 1
        return repliesInWindow <= Self.maxRepliesPerSecond
    }
}
