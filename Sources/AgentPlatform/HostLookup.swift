import CLibc

/// One host name looked up off the reactor's thread: the resolver may take its whole timeout
/// (seconds, for a DNS server that does not answer or an mDNS name nobody has), and the
/// reactor must not wait for it. A detached thread runs getaddrinfo and answers on a pipe
/// that the reactor polls (`descriptor`); `answer()` then reads the outcome.
final class HostLookup {
    /// The pipe's read end: readable once the thread has answered.
    let descriptor: Int32

    /// Starts looking up `name`.
    init(_ name: String) throws(SystemError) {
        let descriptor = agent_lookup_start(name)
        guard descriptor >= 0 else { throw SystemError.fromErrno("looking up \(name)") }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Whether `host` is an IPv4 or IPv6 address, which needs no lookup.
    static func isAddress(_ host: String) -> Bool {
        agent_is_address(host) != 0
    }

    /// The outcome, once `descriptor` is readable: nil when the name resolves, else the
    /// resolver's reason ("Name or service not known", "Temporary failure in name resolution").
    func answer() -> String? {
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "the lookup ended without an answer" }
        let text = bytes.prefix(count).prefix { $0 != 0 }
        return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
    }
}
