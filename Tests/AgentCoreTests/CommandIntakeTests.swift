import AgentCore
import AgentJSON
import Testing

/// A message on `topic` with `payload`.
private func message(_ payload: String, topic: String = commandTopic(), retained: Bool = false) -> InboundMessage {
    InboundMessage(topic: topic, payload: Array(payload.utf8), retained: retained)
}

private func intake(maxPayload: Int = 4096, windowMs: Int64 = 1000) -> CommandIntake {
    CommandIntake(topics: testTopics, maxPayload: maxPayload, recent: RecentMessageIDs(windowMs: windowMs, capacity: 64))
}

private let statusQuery = #"{"type":"status","action":"query","msgid":"m-1","data":null}"#

struct CommandIntakeTests {
    @Test func validCommandIsExecuted() {
        var subject = intake()
        #expect(subject.decide(message(statusQuery), now: 0) == .execute(Command(type: "status", action: "query", msgid: "m-1")))
    }

    @Test func retainedCommandIsIgnored() {
        var subject = intake()
        guard case .ignore(let reason) = subject.decide(message(statusQuery, retained: true), now: 0) else {
            Issue.record("a retained command was not ignored")
            return
        }
        #expect(reason.contains("retained"))
        // Ignoring it did not use up its msgid: the live command still runs.
        #expect(subject.decide(message(statusQuery), now: 1) == .execute(Command(type: "status", action: "query", msgid: "m-1")))
    }

    @Test(arguments: [
        "anycubic/anycubicCloud/v1/server/printer/20021/another-device/status",
        "anycubic/anycubicCloud/v1/printer/public/20021/0123456789abcdef0123456789ABCDEF/status/report",
        "somewhere/else",
    ])
    func foreignTopicIsIgnored(topic: String) {
        var subject = intake()
        guard case .ignore(let reason) = subject.decide(message(statusQuery, topic: topic), now: 0) else {
            Issue.record("a message on \(topic) was not ignored")
            return
        }
        #expect(reason.contains(topic))
    }

    @Test func oversizedPayloadIsRejectedWith413AndNoAck() throws {
        let padded = #"{"type":"status","action":"query","msgid":"m-1","data":{"pad":""# + String(repeating: "x", count: 100) + "\"}}"
        let limit = padded.utf8.count - 1
        var subject = intake(maxPayload: limit)
        guard case .reject(let ack, let report) = subject.decide(message(padded), now: 0) else {
            Issue.record("an oversized payload was not rejected")
            return
        }
        #expect(ack == nil)
        #expect(report.code == .payloadTooLarge)
        #expect(report.code.rawValue == 413)
        #expect(report.state == "failed")
        #expect(report.message.contains("\(limit)"))
    }

    @Test func payloadOfExactlyTheLimitIsAccepted() {
        var subject = intake(maxPayload: statusQuery.utf8.count)
        #expect(subject.decide(message(statusQuery), now: 0) == .execute(Command(type: "status", action: "query", msgid: "m-1")))
    }

    @Test(arguments: ["", "{", "{} x", "not json", #"{"type":"status""#])
    func malformedJSONIsRejectedWith400(payload: String) {
        var subject = intake()
        guard case .reject(let ack, let report) = subject.decide(message(payload), now: 0) else {
            Issue.record("malformed \(payload) was not rejected")
            return
        }
        #expect(ack == nil)
        #expect(report.code == .badRequest)
        #expect(report.state == "failed")
        #expect(!report.message.isEmpty)
    }

    @Test func missingTypeWithReadableMsgidAcksThatMsgid() {
        var subject = intake()
        guard case .reject(let ack, let report) = subject.decide(message(#"{"action":"query","msgid":"m-9"}"#), now: 0) else {
            Issue.record("an envelope without type was not rejected")
            return
        }
        #expect(ack == "m-9")
        #expect(report.msgid == "m-9")
        #expect(report.code == .badRequest)
        #expect(report.message.contains("\"type\""))
    }

    @Test func badActionIsReportedUnderTheCommandsType() {
        var subject = intake()
        guard case .reject(let ack, let report) = subject.decide(message(#"{"type":"print","action":7,"msgid":"m-3"}"#), now: 0) else {
            Issue.record("a numeric action was not rejected")
            return
        }
        #expect(ack == "m-3")
        #expect(report.type == "print")
        #expect(report.code == .badRequest)
    }

    @Test func repeatedMsgidRunsOnceWithinTheWindowAndAgainAfterIt() {
        let windowMs: Int64 = 1000
        var subject = intake(windowMs: windowMs)
        let start: Int64 = 5_000
        let expected = IntakeDecision.execute(Command(type: "status", action: "query", msgid: "m-1"))
        #expect(subject.decide(message(statusQuery), now: start) == expected)
        for now in [start, start + 1, start + windowMs] {
            guard case .ignore(let reason) = subject.decide(message(statusQuery), now: now) else {
                Issue.record("a repeated msgid ran again at \(now - start) ms")
                continue
            }
            #expect(reason.contains("m-1"))
        }
        #expect(subject.decide(message(statusQuery), now: start + windowMs + 1) == expected)
    }

    @Test func commandsWithoutMsgidAlwaysRun() {
        var subject = intake()
        let periodic = #"{"type":"info","action":"query","data":{}}"#
        let expected = IntakeDecision.execute(Command(type: "info", action: "query", data: .object(JSONObject())))
        for _ in 0..<5 {
            #expect(subject.decide(message(periodic), now: 0) == expected)
        }
    }
}
