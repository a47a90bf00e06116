import Foundation
import Testing
import TestSupport

/// TLS to the broker: verification on by default, an explicit opt-out, mutual TLS.
@Suite struct TLSTests {
    /// Holds the agents' configuration files for as long as the test runs.
    private let files: TemporaryDirectory

    init() throws { files = try TemporaryDirectory() }

    private func tlsBroker(_ authority: CertificateAuthority, requireClientCertificate: Bool = false) throws -> MosquittoBroker {
        var options = ["cafile \(authority.caCert)", "certfile \(authority.serverCert)", "keyfile \(authority.serverKey)"]
        if requireClientCertificate { options.append("require_certificate true") }
        return try MosquittoBroker(listenerOptions: options)
    }

    private func agent(_ broker: MosquittoBroker, _ lines: [String]) throws -> AgentProcess {
        let config = try files.write("agent-\(UUID().uuidString).conf", lines.joined(separator: "\n") + "\n")
        return try AgentProcess(broker: "mqtts://127.0.0.1:\(broker.port)", extra: ["-c", config])
    }

    @Test func theBrokerIsVerifiedAgainstTheConfiguredCA() throws {
        let authority = try CertificateAuthority()
        let broker = try tlsBroker(authority)
        let agent = try agent(broker, ["tls_ca_file = \(authority.caCert)"])
        try agent.waitForLog("connected to the broker")
    }

    /// The agent says why it cannot connect, keeps trying, and connects once the broker
    /// serves a certificate of the CA it trusts (here: the broker restarted with a new one).
    @Test func aBrokerCertificateThatFailsVerificationIsRetriedUntilItIsReplaced() throws {
        let authority = try CertificateAuthority()
        let stranger = try CertificateAuthority()
        let served = (cert: files.path + "/served.crt", key: files.path + "/served.key")
        func serve(_ issuer: CertificateAuthority) throws {
            for (from, to) in [(issuer.serverCert, served.cert), (issuer.serverKey, served.key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try serve(authority)
        let broker = try MosquittoBroker(listenerOptions: ["certfile \(served.cert)", "keyfile \(served.key)"])
        let agent = try agent(broker, ["tls_ca_file = \(stranger.caCert)"])
        try waitUntil("two failed TLS attempts", timeout: 20) {
            agent.log.components(separatedBy: "could not connect to the broker").count > 2
        }
        #expect(!agent.log.contains("connected to the broker\n"))
        #expect(agent.log.contains("could not connect to the broker: A TLS error occurred."), "\(agent.log)")
        #expect(agent.log.contains("certificate verify failed"), "the log says why: \(agent.log)")
        try serve(stranger)
        broker.stop()
        try broker.start()
        try agent.waitForLog("connected to the broker", timeout: 30)
    }

    @Test func verificationCanBeSwitchedOffExplicitly() throws {
        let authority = try CertificateAuthority()
        let broker = try tlsBroker(authority)
        let agent = try agent(broker, ["tls_insecure = yes"])
        try agent.waitForLog("connected to the broker")
    }

    @Test func mutualTLSPresentsTheClientCertificate() throws {
        let authority = try CertificateAuthority()
        let broker = try tlsBroker(authority, requireClientCertificate: true)
        let withCert = try agent(broker, ["tls_ca_file = \(authority.caCert)",
                                          "tls_cert_file = \(authority.clientCert)",
                                          "tls_key_file = \(authority.clientKey)"])
        try withCert.waitForLog("connected to the broker")
        let withoutCert = try agent(broker, ["tls_ca_file = \(authority.caCert)"])
        try waitUntil("a refused attempt without a client certificate", timeout: 20) {
            withoutCert.log.contains("could not connect to the broker") || withoutCert.log.contains("lost the broker connection")
        }
    }
}
