import AgentCore
import AgentPlatform
import CLibc
import Testing
import TestSupport

/// MQTTConnection against a real mosquitto, driven by a reactor on the test's thread.
@Suite struct MQTTConnectionTests {
    @Test(arguments: [MQTTVersion.v311, .v5])
    func connectingReportsSuccessThroughOnConnect(version: MQTTVersion) throws {
        let broker = try MosquittoBroker()
        let agent = try DrivenConnection(port: broker.port, version: version)
        try agent.connect()
        #expect(agent.connects == [nil])
        #expect(agent.disconnects.isEmpty)
    }

    @Test func aSubscriberGetsTopicPayloadBytesAndRetainedFalse() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        let agent = try DrivenConnection(port: broker.port)
        try agent.connect()
        let base = uniqueName("platform")
        try agent.subscribe("\(base)/#")
        let bytes: [UInt8] = [0x00, 0xFF, 0x7B, 0x0A]
        client.publish("\(base)/data", bytes: bytes)
        let message = try agent.waitForMessage(on: "\(base)/data")
        #expect(message.payload == bytes)
        #expect(!message.retained)
    }

    @Test func aRetainedMessagePublishedBeforeSubscribingArrivesRetained() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        let topic = uniqueName("platform") + "/kept"
        try client.subscribe(topic)
        client.publish(topic, "kept", retain: true)
        try client.waitFor("the broker to take the retained message") { $0.topic == topic }
        let agent = try DrivenConnection(port: broker.port)
        try agent.connect()
        #expect(agent.connection.subscribe(topic) == nil)
        let message = try agent.waitForMessage(on: topic)
        #expect(message.payload == Array("kept".utf8))
        #expect(message.retained)
    }

    @Test func publishReachesOtherClientsWithItsRetainFlag() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        let base = uniqueName("platform")
        try client.subscribe("\(base)/#")
        let agent = try DrivenConnection(port: broker.port)
        try agent.connect()
        #expect(agent.connection.publish(Publication(topic: "\(base)/live", payload: "{\"n\":1}")) == nil)
        #expect(agent.connection.publish(Publication(topic: "\(base)/kept", payload: "{\"n\":2}", retain: true)) == nil)
        try agent.reactor.run(until: "the test client gets both") {
            client.received.filter { $0.topic.hasPrefix(base) }.count == 2
        }
        let live = client.received.first { $0.topic == "\(base)/live" }
        #expect(live?.payload == "{\"n\":1}")
        #expect(live?.retained == false)

        let latecomer = try MQTTTestClient(port: broker.port)
        try latecomer.subscribe("\(base)/kept")
        let kept = try latecomer.waitFor("the retained publication") { $0.topic == "\(base)/kept" }
        #expect(kept.payload == "{\"n\":2}")
        #expect(kept.retained)
    }

    @Test func publishingWhileNotConnectedReturnsAReason() throws {
        let agent = try DrivenConnection(port: try FreePort.find())
        let reason = agent.connection.publish(Publication(topic: "t", payload: "{}"))
        #expect(reason?.isEmpty == false)
    }

    /// The failure may come at once from connect() or later through onDisconnect; either way
    /// it must come, with a reason.
    @Test func connectingToAPortNobodyListensOnReportsAReason() throws {
        let closed = try RefusingPort()
        let agent = try DrivenConnection(port: closed.port)
        var reason = agent.connection.connect()
        if reason == nil {
            try agent.reactor.run(until: "onDisconnect") { !agent.disconnects.isEmpty }
            reason = agent.disconnects.first
        }
        #expect(reason?.isEmpty == false)
        #expect(!agent.connects.contains(nil))
    }

    /// The refusal names the broker's reason (MQTT 5 has its own reason codes).
    @Test(arguments: [MQTTVersion.v311, .v5])
    func aRefusalIsReportedWithItsReasonThroughOnConnectThenOnDisconnect(version: MQTTVersion) throws {
        let broker = try MosquittoBroker(extra: ["allow_anonymous false"])
        let agent = try DrivenConnection(port: broker.port, version: version)
        #expect(agent.connection.connect() == nil)
        try agent.reactor.run(until: "onConnect and onDisconnect") { !agent.connects.isEmpty && !agent.disconnects.isEmpty }
        let refusal = try #require(agent.connects.first ?? nil, "onConnect reported success")
        #expect(refusal.hasPrefix("the broker refused the connection: "), "\(refusal)")
        #expect(refusal.lowercased().contains("not authori"), "\(refusal)")
        #expect(agent.connects.count == 1)
    }

    @Test func losingTheBrokerIsReportedOnceWithAReason() throws {
        let broker = try MosquittoBroker()
        let agent = try DrivenConnection(port: broker.port)
        try agent.connect()
        broker.stop()
        try agent.reactor.run(until: "onDisconnect") { !agent.disconnects.isEmpty }
        #expect(agent.disconnects.first?.isEmpty == false)
        let ticks = agent.ticks
        try agent.reactor.run(until: "two more ticks") { agent.ticks >= ticks + 2 }
        #expect(agent.disconnects.count == 1, "\(agent.disconnects)")
    }

    @Test func connectAfterALostConnectionConnectsAgain() throws {
        let broker = try MosquittoBroker()
        let agent = try DrivenConnection(port: broker.port)
        try agent.connect()
        broker.stop()
        try agent.reactor.run(until: "onDisconnect") { !agent.disconnects.isEmpty }
        try broker.start()
        try agent.connect()
        #expect(agent.connects == [nil, nil])
    }

    /// After a clean disconnect the will must not come. Its absence is checked after two
    /// round trips of a marker through the broker, which come after anything the broker
    /// did when the connection closed.
    @Test func aCleanDisconnectKeepsTheBrokerFromPublishingTheWill() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        let base = uniqueName("platform")
        try client.subscribe("\(base)/#")
        let agent = try DrivenConnection(port: broker.port, will: Publication(topic: "\(base)/will", payload: "gone"))
        try agent.connect()
        agent.connection.disconnect()
        try agent.reactor.run(until: "onDisconnect") { !agent.disconnects.isEmpty }
        #expect(agent.disconnects.count == 1)
        for round in 1...2 {
            client.publish("\(base)/marker", "\(round)")
            try client.waitFor("marker \(round)") { $0.topic == "\(base)/marker" && $0.payload == "\(round)" }
        }
        #expect(!client.received.contains { $0.topic == "\(base)/will" }, "the broker published the will")
    }

    /// The positive control of the test above: the will is set, and published when the
    /// connection ends without DISCONNECT (the client destroyed with its socket open).
    @Test func aConnectionDroppedWithoutDisconnectLeavesItsWill() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        let base = uniqueName("platform")
        try client.subscribe("\(base)/#")
        var agent: DrivenConnection? = try DrivenConnection(
            port: broker.port, will: Publication(topic: "\(base)/will", payload: "{\"state\":\"offline\"}", retain: true))
        try agent?.connect()
        agent = nil
        let will = try client.waitFor("the will") { $0.topic == "\(base)/will" }
        #expect(will.payload == "{\"state\":\"offline\"}")
    }
}
