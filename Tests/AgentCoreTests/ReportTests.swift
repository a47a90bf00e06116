import AgentCore
import AgentJSON
import Testing

private let envelopeKeys = ["type", "action", "msgid", "timestamp", "state", "code", "msg", "data"]

/// A report's payload parsed back.
private func payload(_ report: Report, timestamp: Int64 = 1_700_000_000_123, fresh: String = "fresh-id") throws -> JSONObject {
    try jsonObject(report.payload(timestamp: timestamp, freshMsgid: fresh))
}

struct ReportTests {
    @Test(arguments: [
        Report(type: "status", action: "workReport", msgid: "m-1", state: "free"),
        Report.failure(type: "print", action: "stop", msgid: nil, CommandFailure(.printActive, "a print task is still active")),
        Report(type: "info", action: "query", msgid: "m", state: "done", data: .object(JSONObject([("k", .number(1))]))),
    ])
    func payloadHasExactlyTheEnvelopeKeysInOrder(report: Report) throws {
        #expect(try payload(report).members.map(\.key) == envelopeKeys)
    }

    @Test(arguments: [200, 400, 404, 413, 501, 10101, 10107])
    func codeIsAJSONInteger(code: Int) throws {
        let report = Report(type: "print", action: "start", msgid: "m", state: code == 200 ? "done" : "failed",
                            code: ReplyCode(code), message: "x")
        let text = report.payload(timestamp: 1, freshMsgid: "f")
        #expect(text.contains("\"code\":\(code),"))
        #expect(try payload(report)["code"]?.int64Value == Int64(code))
    }

    @Test func everyMemberCarriesItsValue() throws {
        let report = Report(type: "light", action: "control", msgid: "m-7", state: "done", code: .ok,
                            message: "quote \" and\nnewline", data: .object(JSONObject([("status", .number(1))])))
        let object = try payload(report, timestamp: 1_700_000_000_123)
        #expect(object["type"] == .string("light"))
        #expect(object["action"] == .string("control"))
        #expect(object["msgid"] == .string("m-7"))
        #expect(object["timestamp"]?.int64Value == 1_700_000_000_123)
        #expect(object["state"] == .string("done"))
        #expect(object["msg"] == .string("quote \" and\nnewline"))
        #expect(object["data"] == .object(JSONObject([("status", .number(1))])))
    }

    @Test func msgidEchoesTheCommandOrIsFresh() throws {
        let command = Command(type: "info", action: "query", msgid: "cmd-id")
        #expect(try payload(Report.success(command))["msgid"] == .string("cmd-id"))
        #expect(try payload(PrinterReports.online(), fresh: "fresh-123")["msgid"] == .string("fresh-123"))
    }

    @Test func successAndFailureShapes() {
        let command = Command(type: "file", action: "listLocal", msgid: "m")
        let success = Report.success(command, state: "done", data: .object(JSONObject([("records", .array([]))])))
        #expect(success.code == .ok)
        #expect(success.message == "ok")
        #expect(success.type == "file" && success.action == "listLocal" && success.msgid == "m")
        let failure = Report.failure(type: "file", action: "deleteLocal", msgid: "n", CommandFailure(.badRequest, "no filename"))
        #expect(failure.state == "failed")
        #expect(failure.code.rawValue == 400)
        #expect(failure.message == "no filename")
        #expect(failure.data == .null)
    }

    @Test(arguments: ["6f1c0a2e-1111-4222-8333-444455556666", "id with \"quotes\"", "é"])
    func acknowledgementHasExactlyTheMsgid(msgid: String) throws {
        let object = try jsonObject(Report.acknowledgement(msgid: msgid))
        #expect(object.members.count == 1)
        #expect(object["msgid"] == .string(msgid))
    }

    @Test func encoderPublishesOnTheTypeTopicWithClockAndFreshId() throws {
        var issued = 0
        let encoder = ReportEncoder(topics: testTopics, wallClockMs: { 1_700_000_000_999 }, newMessageID: {
            issued += 1
            return "fresh-\(issued)"
        })
        let pushed = encoder.publication(PrinterReports.online(), retain: true)
        #expect(pushed.topic == testTopics.lastWill)
        #expect(pushed.retain)
        let object = try jsonObject(pushed.payload)
        #expect(object["timestamp"]?.int64Value == 1_700_000_000_999)
        #expect(object["msgid"] == .string("fresh-1"))

        let answer = encoder.publication(Report.success(Command(type: "tempature", action: "query", msgid: "cmd")))
        #expect(answer.topic == testTopics.report("tempature"))
        #expect(!answer.retain)
        #expect(try jsonObject(answer.payload)["msgid"] == .string("cmd"))
    }

    @Test func encoderAcknowledgesOnTheResponseTopic() throws {
        let encoder = ReportEncoder(topics: testTopics, wallClockMs: { 0 }, newMessageID: { "unused" })
        let ack = encoder.acknowledgement("m-5")
        #expect(ack.topic == testTopics.response)
        #expect(!ack.retain)
        #expect(try jsonObject(ack.payload).members.map(\.key) == ["msgid"])
        #expect(try jsonObject(ack.payload)["msgid"] == .string("m-5"))
    }
}
