import AgentCore
import AgentJSON
import Testing

/// The order of what the agent publishes: acknowledgement, answer, the answer's follow-ups,
/// then what the command caused, whatever order the handler queued them in.
struct OutboxTests {
    private let outbox = Outbox(encoder: ReportEncoder(topics: DeviceTopics(modelId: "20024", deviceId: "d"),
                                                      wallClockMs: { 0 }, newMessageID: { "pushed" }))

    private func report(_ type: String, _ state: String, msgid: String? = nil) -> Report {
        Report(type: type, action: "x", msgid: msgid, state: state)
    }

    /// Each publication as "<type or response> <state>".
    private func taken() -> [String] {
        outbox.take().map { publication in
            let state = (try? JSONCodec.parse(publication.payload))?["state"]?.stringValue ?? "-"
            let type = publication.topic.hasSuffix("/response") ? "response"
                : String(publication.topic.split(separator: "/").dropLast().last ?? "")
            return type + " " + state
        }
    }

    @Test func theAnswerComesBeforeWhatTheHandlerCausedAndItsFollowUpsBetween() {
        outbox.answer(msgid: "m1") {
            outbox.send(report("fan", "caused"))
            outbox.follow(report("status", "busy"))
            outbox.send(report("tempature", "caused later"))
            outbox.follow(report("print", "follow-up 2"))
            return report("print", "answer", msgid: "m1")
        }
        #expect(taken() == ["response -", "print answer", "status busy", "print follow-up 2", "fan caused",
                            "tempature caused later"])
        #expect(outbox.isEmpty)
    }

    @Test func withoutAMsgidThereIsNoAcknowledgement() {
        outbox.answer(msgid: nil) { report("print", "answer") }
        #expect(taken() == ["print answer"])
    }

    @Test func outsideACommandAFollowUpIsAnOrdinaryReportInOrder() {
        outbox.send(report("print", "one"))
        outbox.follow(report("status", "two"))
        outbox.send(report("print", "three"))
        #expect(taken() == ["print one", "status two", "print three"])
    }

    @Test func whatWaitedBeforeTheCommandStaysFirst() {
        outbox.send(report("print", "pushed before"))
        outbox.answer(msgid: "m2") {
            outbox.follow(report("status", "busy"))
            return report("print", "answer", msgid: "m2")
        }
        #expect(taken() == ["print pushed before", "response -", "print answer", "status busy"])
    }
}
