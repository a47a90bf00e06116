import AgentCore
import Testing

struct BrokerAddressTests {
    @Test(arguments: [
        ("mqtt://broker.local", false, "broker.local", 1883),
        ("mqtts://broker.local", true, "broker.local", 8883),
        ("mqtt://broker.local:1884", false, "broker.local", 1884),
        ("mqtts://10.0.0.5:9883", true, "10.0.0.5", 9883),
        ("mqtt://h:1", false, "h", 1),
        ("mqtt://h:65535", false, "h", 65535),
        ("mqtt://[::1]", false, "::1", 1883),
        ("mqtts://[fe80::1%eth0]:8884", true, "fe80::1%eth0", 8884),
        ("mqtts://[2001:db8::2]", true, "2001:db8::2", 8883),
        ("mqtt://broker.local/", false, "broker.local", 1883),
        ("mqtt://broker.local:1885/", false, "broker.local", 1885),
    ])
    func validURLs(url: String, tls: Bool, host: String, port: Int) throws {
        #expect(try BrokerAddress.parse(url) == BrokerAddress(tls: tls, host: host, port: port))
    }

    @Test(arguments: [
        "http://broker.local",  // bad scheme
        "tcp://broker.local:1883",
        "broker.local:1883",  // no scheme
        "mqtt:/broker.local",
        "",
        "mqtt://",  // no host
        "mqtts://:8883",
        "mqtt://[]:1883",
        "mqtt:///",
        "mqtt://h:0",  // bad port
        "mqtt://h:65536",
        "mqtt://h:-1",
        "mqtt://h:abc",
        "mqtt://h:",
        "mqtt://h:18 83",
        "mqtt://h/path",  // path
        "mqtt://h:1883/topic/x",
        "mqtt://[::1",  // IPv6 not closed
        "mqtt://[::1]x",  // text after the IPv6 address
        "mqtt://[::1]:",
    ])
    func invalidURLsAreErrorsQuotingTheURL(url: String) throws {
        let error = try #require(configError { _ = try BrokerAddress.parse(url) })
        #expect(error.message.contains("\"\(url)\""), "\(error.message)")
        #expect(error.line == error.message)
    }

    @Test(arguments: [
        BrokerAddress(tls: false, host: "broker.local", port: 1883),
        BrokerAddress(tls: true, host: "10.0.0.5", port: 9883),
        BrokerAddress(tls: true, host: "::1", port: 8883),
        BrokerAddress(tls: false, host: "2001:db8::2", port: 1),
    ])
    func urlRoundTrips(address: BrokerAddress) throws {
        #expect(try BrokerAddress.parse(address.url) == address)
    }

    @Test func urlIsWrittenInFull() {
        #expect(BrokerAddress(tls: false, host: "h", port: 1883).url == "mqtt://h:1883")
        #expect(BrokerAddress(tls: true, host: "::1", port: 9883).url == "mqtts://[::1]:9883")
    }
}
