import Foundation
import Testing
import TestSupport

/// A broker given by host name: the name is looked up off the reactor's thread, so a resolver
/// that does not answer (a DNS server gone, an mDNS name nobody has) holds up neither the
/// main session nor the print while it waits for its timeout, and a name that resolves
/// connects as an address does.
@Suite struct BrokerLookupTests {
    /// A home broker whose name the agent's resolver never answers: while the lookup waits
    /// (10 s, the resolver's timeout) the main session answers at once, the home session then
    /// reports why it could not connect, and a print runs through its retries.
    @Test(Root.required(reason: "listens on 127.0.0.77:53 and gives the agent its own /etc/resolv.conf in a mount namespace"))
    func aResolverThatDoesNotAnswerHoldsUpNothing() throws {
        let resolver = try SilentResolver()
        let directory = try TemporaryDirectory()
        let resolvConf = try directory.write("resolv.conf", "nameserver \(SilentResolver.address)\noptions timeout:10 attempts:1\n")
        let script = "mount --bind \(resolvConf) /etc/resolv.conf && exec \"$@\""
        let launcher = [try Executables.find("unshare"), "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh"]
        let rig = try PrintRig.marlin(["--heat-rate", "instant", "--speed", "1000"],
                                      config: ["home_broker = mqtt://home-broker.lan:1883"], launcher: launcher)
        // Each time a lookup reaches the resolver, the agent is asked at once: a lookup on the
        // reactor's thread would hold the answer for the resolver's 10 s.
        for attempt in 1...2 {
            let seen = resolver.queries
            try waitUntil("lookup \(attempt) of home-broker.lan reaching the resolver", timeout: 40) { resolver.queries > seen }
            let started = Date()
            try rig.harness.ask("status", "query")
            #expect(Date().timeIntervalSince(started) < 2, "the main session answered while lookup \(attempt) waited")
        }

        try rig.waitForController()
        try rig.start()
        _ = try rig.waitForPrint("finished", timeout: 60)
        try waitUntil("the home session's failed lookup in the log", timeout: 30) {
            rig.harness.agent.log.contains("cannot resolve home-broker.lan")
        }
    }

    /// `localhost` is a name: it is looked up, then libmosquitto connects to it.
    @Test func aNameThatResolvesConnects() throws {
        let home = try HomeBroker()
        let rig = try PrintRig.marlin(config: ["home_broker = mqtt://localhost:\(home.broker.port)"])
        try home.waitForWill("connected")
        try rig.waitForController()
        try rig.harness.ask("status", "query")
    }
}

/// A DNS server that reads every query and answers none: UDP on 127.0.0.77 port 53.
final class SilentResolver {
    static let address = "127.0.0.77"
    private let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(53).bigEndian
        inet_pton(AF_INET, Self.address, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw TestFailure("bind \(Self.address):53: errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    /// The queries received so far (each read and dropped).
    var queries: Int {
        var buffer = [UInt8](repeating: 0, count: 512)
        while recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 { received += 1 }
        return received
    }

    private var received = 0
}
