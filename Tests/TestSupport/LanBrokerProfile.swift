import Foundation

/// The shipped LAN broker profile (`packaging/lan-broker/setup`), made in a temporary
/// directory with free loopback ports for the printer of the test ids, and its mosquitto
/// started: a plain listener for the agent and a TLS one, with passwords and the ACL, for
/// the LAN clients.
public final class LanBrokerProfile {
    /// The profile's directory (certificate, passwords, ACL, configurations).
    public let directory: TemporaryDirectory
    /// The running broker; its `port` is the agent's loopback listener.
    public let broker: MosquittoBroker
    /// The TLS listener LAN clients reach.
    public let tlsPort: Int

    /// Makes the profile and starts its broker.
    public init(modelId: String = AgentProcess.modelId, deviceId: String = AgentProcess.deviceId) throws {
        directory = try TemporaryDirectory()
        let localPort = try FreePort.find()
        tlsPort = try FreePort.find()
        let script = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/lan-broker/setup").path
        let logs = try TemporaryDirectory()
        let setup = try ChildProcess(script, ["--dir", directory.path + "/broker", "--model-id", modelId, "--device-id", deviceId,
                                              "--tls-port", "\(tlsPort)", "--tls-address", "127.0.0.1",
                                              "--local-port", "\(localPort)", "--user", getuid() == 0 ? "root" : NSUserName()],
                                     stdout: logs.path + "/out", stderr: logs.path + "/err")
        guard try setup.waitForExit(timeout: 60) == 0 else {
            throw TestFailure("packaging/lan-broker/setup failed: \((try? String(contentsOfFile: logs.path + "/err", encoding: .utf8)) ?? "")")
        }
        broker = try MosquittoBroker(configFile: directory.path + "/broker/mosquitto.conf", port: localPort)
        try waitUntil("the profile's TLS listener", timeout: 10) { FreePort.accepts(tlsPort) }
    }

    /// The first line of the profile's file `name` (`agent-password`, `lan-username`, `lan-password`).
    public func secret(_ name: String) throws -> String {
        let text = try String(contentsOfFile: directory.path + "/broker/" + name, encoding: .utf8)
        return String(text.prefix { $0 != "\n" })
    }

    /// The agent's configuration lines of the profile (broker, its login, the lan_* keys).
    public func agentConfig() throws -> [String] {
        try String(contentsOfFile: directory.path + "/broker/agent.conf", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    /// A test client on the agent's listener, with the agent's login.
    public func agentClient() throws -> MQTTTestClient {
        try MQTTTestClient(port: broker.port, username: "agent", password: try secret("agent-password"))
    }
}
