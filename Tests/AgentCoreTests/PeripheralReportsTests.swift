import AgentCore
import AgentJSON
import Testing

/// The `peripherie` report: the answer to `peripherie/query` and the push on a stick's change.
@Suite struct PeripheralReportsTests {
    @Test(arguments: [(true, 1), (false, 0)])
    func queryAnswersUdiskAsZeroOrOne(present: Bool, flag: Int) throws {
        let report = PeripheralReports.query(udiskPresent: present, msgid: "m-1")
        #expect(report.type == "peripherie")
        #expect(report.action == "query")
        #expect(report.state == "done")
        #expect(report.code == .ok)
        #expect(report.msgid == "m-1")
        let data = try #require(report.data.objectValue)
        // docs/protocol.md: `{camera, multiColorBox, udisk}` as 0/1, in that order.
        #expect(data.members.map(\.key) == ["camera", "multiColorBox", "udisk"])
        #expect(data["camera"] == .int(0))
        #expect(data["multiColorBox"] == .int(0))
        #expect(data["udisk"] == .int(flag))
    }

    /// On the wire the flags are JSON integers, not booleans or strings.
    @Test func payloadCarriesIntegers() throws {
        let payload = PeripheralReports.query(udiskPresent: true, msgid: "m-2")
            .payload(timestamp: 1_700_000_000_000, freshMsgid: "unused")
        #expect(payload.contains(#""data":{"camera":0,"multiColorBox":0,"udisk":1}"#), "\(payload)")
        let envelope = try jsonObject(payload)
        #expect(envelope["type"] == .string("peripherie"))
        #expect(envelope["code"] == .int(200))
        #expect(envelope["msgid"] == .string("m-2"))
    }

    /// The push is the query's report with a fresh msgid: clients accept `peripherie` only
    /// with action `query` and state `done`.
    @Test(arguments: [true, false])
    func changeReportIsAQueryReportWithoutMsgid(present: Bool) {
        let pushed = PeripheralReports.changed(udiskPresent: present)
        #expect(pushed.msgid == nil)
        #expect(pushed == PeripheralReports.query(udiskPresent: present, msgid: nil))
        #expect(pushed.action == "query")
        #expect(pushed.state == "done")
    }

    @Test func registeredHandlerAnswersFromTheLiveState() throws {
        let router = CommandRouter()
        var present = false
        PeripheralReports.register(in: router) { present }
        let before = try #require(router.route(Command(type: "peripherie", action: "query", msgid: "a")))
        #expect(before.data["udisk"] == .int(0))
        #expect(before.msgid == "a")
        present = true
        let after = try #require(router.route(Command(type: "peripherie", action: "query", msgid: nil, data: .object(JSONObject()))))
        #expect(after.data["udisk"] == .int(1))
        #expect(after.msgid == nil)
        #expect(after.code == .ok)
    }

    @Test(arguments: PeripheralReports.absentHardware.map { [$0.type, $0.action] })
    func queriesAboutAbsentHardwareAreSilent(command: [String]) {
        let router = CommandRouter()
        PeripheralReports.register(in: router) { true }
        #expect(router.route(Command(type: command[0], action: command[1], msgid: "c")) == nil)
    }

    @Test func otherPeripherieActionsStayUnknown() {
        let router = CommandRouter()
        PeripheralReports.register(in: router) { true }
        #expect(router.route(Command(type: "peripherie", action: "set", msgid: "b"))?.code == .unknownCommand)
    }
}
