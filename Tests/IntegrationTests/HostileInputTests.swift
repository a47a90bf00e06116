import Foundation
import Testing
import TestSupport

/// Bad input from the network: each gets the documented treatment, and the agent keeps
/// answering the next command.
@Suite struct HostileInputTests {
    private func errorReports(_ harness: Harness) -> [[String: Any]] {
        harness.client.received.filter { $0.topic.hasSuffix("/report") }.compactMap(\.json)
    }

    @Test func malformedPayloadsAreAnsweredWith400AndTheAgentKeepsWorking() throws {
        let harness = try Harness()
        let cases: [(payload: String, expected: String)] = [
            ("{\"type\":", "malformed JSON"),
            ("not json at all", "malformed JSON"),
            ("[1,2,3]", "expected a JSON object"),
            ("{\"type\":7,\"action\":\"query\"}", "\"type\" is a number"),
            ("{\"action\":\"query\",\"msgid\":\"m-notype\"}", "\"type\" is missing"),
            ("{\"type\":\"status\",\"action\":\"query\",\"msgid\":17}", "\"msgid\" is a number"),
            ("{\"type\":\"status\",\"action\":\"query\",\"data\":[1]}", "\"data\" is an array"),
            ("{\"type\":\"status\",\"action\":\"query\",\"timestamp\":\"yesterday\"}", "\"timestamp\""),
            ("", "empty payload"),
        ]
        for (index, testCase) in cases.enumerated() {
            harness.client.publish(Wire.command("status"), testCase.payload)
            try waitUntil("error report \(index + 1) for \(testCase.payload)", timeout: 10) {
                errorReports(harness).count == index + 1
            }
            let report = errorReports(harness)[index]
            #expect(report["code"] as? Int == 400, "\(testCase.payload)")
            #expect(report["state"] as? String == "failed")
            #expect((report["msg"] as? String)?.contains(testCase.expected) == true, "\(testCase.payload): \(report)")
        }
        #expect(harness.client.received.contains { $0.topic == Wire.response && $0.payload.contains("m-notype") },
                "a rejected command whose msgid could be read is still acknowledged")
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
    }

    @Test func binaryGarbageAndOversizedPayloadsAreRefused() throws {
        let files = try TemporaryDirectory()
        let config = try files.write("agent.conf", "max_payload = 1024\n")
        let harness = try Harness(agentArguments: ["-c", config])
        harness.client.publish(Wire.command("status"), bytes: [0xFF, 0x00, 0xFE, 0x7B, 0x00])
        let huge = Wire.envelope("status", "query", data: "{\"pad\":\"" + String(repeating: "x", count: 4000) + "\"}")
        harness.client.publish(Wire.command("status"), huge)
        try waitUntil("two error reports", timeout: 10) { errorReports(harness).count == 2 }
        let reports = errorReports(harness)
        #expect(reports[0]["code"] as? Int == 400)
        #expect(reports[1]["code"] as? Int == 413)
        #expect((reports[1]["msg"] as? String)?.contains("1024") == true)
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
    }

    @Test func aRetainedCommandIsNeverExecuted() throws {
        let broker = try MosquittoBroker()
        let cloud = try MQTTTestClient(port: broker.port)
        // The broker keeps a retained message before it forwards it: once the cloud gets its
        // own command back, the agent started next is sure to be sent it on subscribing.
        try cloud.subscribe(Wire.command("info"))
        cloud.publish(Wire.command("info"), Wire.envelope("info", "query", msgid: "retained-1"), retain: true)
        try cloud.waitFor("the broker to take the retained command") { $0.payload.contains("retained-1") }
        let harness = try Harness(broker: broker)
        try harness.agent.waitForLog("retained commands are never executed")
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
        #expect(!harness.client.received.contains { $0.payload.contains("retained-1") })
    }

    @Test func aRepeatedMsgidRunsOnce() throws {
        let harness = try Harness()
        let command = Wire.envelope("status", "query", msgid: "once-only")
        harness.client.publish(Wire.command("status"), command)
        harness.client.publish(Wire.command("status"), command)
        try harness.agent.waitForLog("already received")
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
        let answers = harness.client.received.filter { $0.topic == Wire.report("status") && $0.payload.contains("once-only") }
        #expect(answers.count == 1)
    }
}
