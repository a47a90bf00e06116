import Foundation
import Testing
import TestSupport

/// Commands through a real broker, as a cloud, app or slicer client sends them.
@Suite struct CommandRoutingTests {
    @Test func statusQueryIsAcknowledgedThenAnsweredInTheReportEnvelope() throws {
        let harness = try Harness()
        let msgid = "3d1f0c2e-1111-4222-8333-944445555666"
        harness.client.publish(Wire.command("status"), Wire.envelope("status", "query", msgid: msgid))

        let ack = try harness.client.waitFor("the acknowledgement") { $0.topic == Wire.response }
        #expect(ack.json?.count == 1, "the acknowledgement must have exactly one key: \(ack.payload)")
        #expect(ack.json?["msgid"] as? String == msgid)

        let report = try harness.client.waitFor("the status report") { $0.topic == Wire.report("status") }
        let json = try #require(report.json)
        #expect(Set(json.keys) == ["type", "action", "msgid", "timestamp", "state", "code", "msg", "data"])
        #expect(json["type"] as? String == "status")
        #expect(json["action"] as? String == "workReport")
        #expect(json["msgid"] as? String == msgid)
        #expect(json["state"] as? String == "free")
        #expect(json["code"] as? Int == 200, "code must be the integer 200: \(report.payload)")
        #expect(!report.payload.contains("\"code\":\"200\""))
        let timestamp = try #require(json["timestamp"] as? Double)
        #expect(abs(timestamp / 1000 - Date().timeIntervalSince1970) < 60, "timestamp must be wall-clock ms")
    }

    @Test(arguments: ["server", "slicer", "web", "pc", "app", "public"])
    func everySenderAndTailIsAnswered(sender: String) throws {
        let harness = try Harness()
        for tail in ["status", "status/query", "response", "any/thing/else"] {
            let report = try harness.ask("status", "query", tail: tail, sender: sender)
            #expect(report.json?["code"] as? Int == 200)
        }
    }

    @Test func infoQueryWithoutMsgidIsAnsweredEveryTimeWithZeroForUnknownValues() throws {
        let harness = try Harness()
        for round in 1...2 {
            harness.client.publish(Wire.command("info"), Wire.envelope("info", "query", msgid: nil, data: "{}"))
            try waitUntil("info report \(round)", timeout: 10) {
                harness.client.received.filter { $0.topic == Wire.report("info") }.count == round
            }
        }
        #expect(!harness.client.received.contains { $0.topic == Wire.response }, "nothing to acknowledge without a msgid")
        let info = try #require(harness.client.received.first { $0.topic == Wire.report("info") }?.json)
        let data = try #require(info["data"] as? [String: Any])
        #expect(data["model"] as? String == "Kobra 2 Pro")
        #expect(data["state"] as? String == "free")
        #expect(data["project"] is NSNull)
        // Nothing measured is 0, never null: anycubic-cloud-api does int() on these.
        #expect(data["fan_speed_pct"] as? Int == 0)
        let temp = try #require(data["temp"] as? [String: Any])
        #expect(temp["curr_nozzle_temp"] as? Int == 0)
        #expect(temp["target_hotbed_temp"] as? Int == 0)
        #expect((info["msgid"] as? String)?.count == 36, "a pushed report gets a fresh uuid msgid")
    }

    @Test func otaReportVersionAnswersFromTheVersionFile() throws {
        let files = try TemporaryDirectory()
        let version = try files.write("version", "2.3.9.1\n")
        let config = try files.write("agent.conf", "version_file = \(version)\nprinter_name = Workshop\n")
        let harness = try Harness(agentArguments: ["-c", config])
        let report = try #require(try harness.ask("ota", "reportVersion").json)
        let data = try #require(report["data"] as? [String: Any])
        #expect(data["firmware_version"] as? String == "2.3.9.1")
        #expect(data["model_id"] as? String == AgentProcess.modelId)
        let info = try #require(try harness.ask("info", "query").json?["data"] as? [String: Any])
        #expect(info["printerName"] as? String == "Workshop")
        #expect(info["version"] as? String == "2.3.9.1")
    }

    @Test func aLightThatIsNotConfiguredAndUnknownCommandsAnswerWithErrorCodes() throws {
        let harness = try Harness()
        let noLight = try #require(try harness.ask("light", "control", data: "{\"type\":1,\"status\":1}").json)
        #expect(noLight["code"] as? Int == 409)
        #expect(noLight["state"] as? String == "failed")
        #expect(noLight["msg"] as? String == "this printer has no head light configured (set light_head in the configuration)")
        let lights = try #require(try harness.ask("light", "query").json)
        #expect(lights["state"] as? String == "done")
        #expect((lights["data"] as? [String: Any])?["lights"] as? [Any] != nil)
        #expect(((lights["data"] as? [String: Any])?["lights"] as? [Any])?.isEmpty == true, "no light configured: an empty list")
        for (type, action, data) in [("tempature", "set", #"{"target_nozzle_temp":200}"#), ("fan", "setSpeed", #"{"fan_speed_pct":20}"#),
                                     ("axis", "query", "null")] {
            let noController = try #require(try harness.ask(type, action, data: data).json)
            #expect(noController["code"] as? Int == 503, "\(type)/\(action)")
            #expect(noController["msg"] as? String == "no motion controller is configured (set controller in the configuration)")
        }
        let unknownType = try #require(try harness.ask("teleport", "now").json)
        #expect(unknownType["code"] as? Int == 404)
        let unknownAction = try #require(try harness.ask("status", "explode").json)
        #expect(unknownAction["code"] as? Int == 404)
        #expect((unknownAction["msg"] as? String)?.contains("explode") == true)
    }
}
