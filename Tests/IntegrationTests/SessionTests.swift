import Foundation
import Testing
import TestSupport

/// The broker session: announcements, will, shutdown, reconnects.
@Suite struct SessionTests {
    @Test func everyConnectAnnouncesOnlineStatusAndVersion() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        try client.subscribe(Wire.everything)
        let agent = try AgentProcess(broker: broker.url)
        let online = try client.waitFor("online") { $0.topic == Wire.report("lastWill") }
        #expect(online.json?["state"] as? String == "online")
        #expect(online.json?["action"] as? String == "onlineReport")
        let status = try client.waitFor("status") { $0.topic == Wire.report("status") }
        #expect(status.json?["action"] as? String == "workReport")
        #expect(status.json?["state"] as? String == "free")
        let ota = try client.waitFor("version") { $0.topic == Wire.report("ota") }
        #expect(ota.json?["action"] as? String == "reportVersion")
        #expect(ota.json?["state"] as? String == "done")

        let latecomer = try MQTTTestClient(port: broker.port)
        try latecomer.subscribe(Wire.report("lastWill"))
        let retained = try latecomer.waitFor("the retained online state") { $0.retained }
        #expect(retained.json?["state"] as? String == "online")
        _ = agent
    }

    @Test func sigtermPublishesOfflineDisconnectsAndExitsZero() throws {
        let harness = try Harness()
        harness.agent.send(SIGTERM)
        #expect(try harness.agent.waitForExit() == 0)
        let offline = try harness.client.waitFor("the offline report") { $0.topic == Wire.report("lastWill") }
        #expect(offline.json?["state"] as? String == "offline")
        let latecomer = try MQTTTestClient(port: harness.broker.port)
        try latecomer.subscribe(Wire.report("lastWill"))
        let retained = try latecomer.waitFor("the retained offline state") { $0.retained }
        #expect(retained.json?["state"] as? String == "offline")
    }

    @Test func sigintAlsoStopsCleanly() throws {
        let harness = try Harness()
        harness.agent.send(SIGINT)
        #expect(try harness.agent.waitForExit() == 0)
    }

    @Test func anAgentThatDiesLeavesTheRetainedWillOffline() throws {
        let files = try TemporaryDirectory()
        let config = try files.write("agent.conf", "keepalive = 5\n")
        let harness = try Harness(agentArguments: ["-c", config])
        harness.agent.send(SIGKILL)
        let will = try harness.client.waitFor("the will", timeout: 15) { $0.topic == Wire.report("lastWill") }
        #expect(will.json?["state"] as? String == "offline")
    }

    @Test func aRestartedBrokerIsReconnectedAndAnnouncedTo() throws {
        let harness = try Harness()
        for round in 1...3 {
            harness.broker.stop()
            try harness.agent.waitForLog("lost the broker connection")
            try harness.broker.start()
            let client = try MQTTTestClient(port: harness.broker.port)
            try client.subscribe(Wire.everything)
            try client.waitFor("online after restart \(round)", timeout: 20) {
                $0.topic == Wire.report("lastWill") && ($0.json?["state"] as? String) == "online"
            }
            let msgid = "after-restart-\(round)"
            client.publish(Wire.command("status"), Wire.envelope("status", "query", msgid: msgid))
            try client.waitFor("an answer after restart \(round)") { $0.payload.contains(msgid) && $0.topic.hasSuffix("/report") }
        }
    }

    @Test func anUnreachableBrokerIsRetriedWithBackoffUntilItComes() throws {
        let broker = try MosquittoBroker(start: false)
        let agent = try AgentProcess(broker: broker.url)
        try waitUntil("three failed attempts", timeout: 15) {
            agent.log.components(separatedBy: "could not connect to the broker").count > 3
        }
        #expect(agent.log.contains("could not connect to the broker: Connection refused; retrying in "), "the log says why")
        let delays = agent.reconnectDelays()
        #expect(delays.count >= 3)
        #expect(delays.map(\.documented.upperBound).prefix(3) == [1000, 2000, 4000])
        for delay in delays {
            #expect(delay.documented.contains(delay.delay), "\(delay.delay) ms outside \(delay.documented)")
        }
        try broker.start()
        let client = try MQTTTestClient(port: broker.port)
        try client.subscribe(Wire.report("lastWill"))
        try client.waitFor("online once the broker is up", timeout: 20) { ($0.json?["state"] as? String) == "online" }
    }

    @Test func aBrokerNameThatDoesNotResolveIsRetried() throws {
        let agent = try AgentProcess(broker: "mqtt://broker.does-not-exist.invalid:1883")
        try waitUntil("two failed name resolutions", timeout: 15) {
            agent.log.components(separatedBy: "could not connect to the broker").count > 2
        }
        agent.send(SIGTERM)
        #expect(try agent.waitForExit() == 0, "the agent stays responsive while it cannot connect")
    }

    @Test func badCredentialsAreRetriedAndRecoverWhenTheBrokerAcceptsThem() throws {
        let secrets = try TemporaryDirectory()
        let passwords = try secrets.write("passwords", "")
        let broker = try MosquittoBroker(extra: ["allow_anonymous false", "password_file \(passwords)"])
        let files = try TemporaryDirectory()
        let agentConfig = try files.write("agent.conf", "username = printer\npassword = s3cret\n")
        let agent = try AgentProcess(broker: broker.url, extra: ["-c", agentConfig])
        try agent.waitForLog("refused the connection")
        try waitUntil("a second refused attempt", timeout: 15) {
            agent.log.components(separatedBy: "refused the connection").count > 2
        }
        #expect(agent.log.contains("the broker refused the connection: Connection Refused: not authorised."),
                "the log says why: \(agent.log)")
        #expect(agent.reconnectDelays().allSatisfy { $0.documented.contains($0.delay) }, "backing off as documented")
        try ChildProcess(try Executables.find("mosquitto_passwd"), ["-b", passwords, "printer", "s3cret"])
            .waitForExit(timeout: 10)
        broker.reload()
        try agent.waitForLog("connected to the broker", timeout: 30)
    }

    @Test func mqtt5Works() throws {
        let files = try TemporaryDirectory()
        let config = try files.write("agent.conf", "mqtt_version = 5\n")
        let harness = try Harness(agentArguments: ["-c", config])
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
    }

    @Test func systemdHearsReadyAndWatchdogPings() throws {
        let files = try TemporaryDirectory()
        let socketPath = files.path + "/notify"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in socketPath.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let broker = try MosquittoBroker()
        let agent = try AgentProcess(broker: broker.url,
                                     environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000"])
        var heard: [String] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while heard.filter({ $0 == "WATCHDOG=1" }).count < 2 {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            heard.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
        #expect(heard.first == "READY=1", "\(heard)")
        #expect(heard.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(heard)")
        agent.send(SIGTERM)
        #expect(try agent.waitForExit() == 0)
    }
}
