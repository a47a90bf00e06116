import AgentCore
import AgentJSON
import Testing

/// `text` parsed as JSON and read as a command.
private func command(_ text: String) throws -> Command {
    try Command.parse(JSONCodec.parse(text))
}

/// The failure `Command.parse` reports for `text` (the test fails when it parses).
private func failure(_ text: String) throws -> CommandParseFailure {
    let payload = try JSONCodec.parse(text)
    switch Result(catching: { () throws(CommandParseFailure) -> Command in try Command.parse(payload) }) {
    case .success(let parsed): throw TestFailure("\(text) parsed as \(parsed)")
    case .failure(let failure): return failure
    }
}

struct CommandParseTests {
    @Test func fullEnvelope() throws {
        let parsed = try command(#"{"type":"print","action":"pause","msgid":"6f1c-aa","timestamp":1700000000123,"data":{"taskid":"77"}}"#)
        #expect(parsed == Command(type: "print", action: "pause", msgid: "6f1c-aa", timestamp: 1_700_000_000_123,
                                  data: .object(JSONObject([("taskid", .string("77"))]))))
    }

    @Test func lanPeriodicQueryHasNoMsgidNorTimestamp() throws {
        let parsed = try command(#"{"type":"info","action":"query","data":{}}"#)
        #expect(parsed == Command(type: "info", action: "query", msgid: nil, timestamp: nil, data: .object(JSONObject())))
    }

    @Test(arguments: [
        (#""data":null,"#, JSONValue.null),
        ("", .null),
        (#""data":{"a":[1]},"#, .object(JSONObject([("a", .array([.number(1)]))]))),
    ] as [(String, JSONValue)])
    func dataIsNullAbsentOrAnObject(member: String, expected: JSONValue) throws {
        let parsed = try command(#"{\#(member)"type":"status","action":"query","msgid":"m"}"#)
        #expect(parsed.data == expected)
    }

    @Test func nullMsgidAndTimestampAreAbsent() throws {
        let parsed = try command(#"{"type":"status","action":"query","msgid":null,"timestamp":null}"#)
        #expect(parsed.msgid == nil)
        #expect(parsed.timestamp == nil)
    }

    @Test func escapedSlashesInValuesAreRead() throws {
        let parsed = try command(#"{"type":"file","action":"deleteLocal","msgid":"a\/b","data":{"filename":"dir\/x.gcode"}}"#)
        #expect(parsed.msgid == "a/b")
        #expect(parsed.data["filename"] == .string("dir/x.gcode"))
    }

    /// A wrong envelope: the members, the field the message must name, and what the
    /// failure can still echo.
    struct Wrong: Sendable, CustomTestStringConvertible {
        var members: String
        var field: String
        var type: String?
        var msgid: String?
        var testDescription: String { members }
    }

    static let wrongEnvelopes: [Wrong] = [
        // type
        Wrong(members: #""action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":"","action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":null,"action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":5,"action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":true,"action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":["info"],"action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":{},"action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        // A type that is no safe topic level: its report would go where the broker refuses it
        // (control characters, wildcards, too long) or to another topic (found by fuzz/run).
        Wrong(members: #""type":"tempatur\u0019e","action":"set","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":"print/x","action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: ##""type":"#","action":"query","msgid":"m""##, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":"+","action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        Wrong(members: #""type":"\#(String(repeating: "a", count: 65))","action":"query","msgid":"m""#, field: "type", type: nil, msgid: "m"),
        // action
        Wrong(members: #""type":"print","msgid":"m""#, field: "action", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"","msgid":"m""#, field: "action", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":null,"msgid":"m""#, field: "action", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":1,"msgid":"m""#, field: "action", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":false,"msgid":"m""#, field: "action", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":["pause"],"msgid":"m""#, field: "action", type: "print", msgid: "m"),
        // msgid
        Wrong(members: #""type":"print","action":"pause","msgid":12"#, field: "msgid", type: "print", msgid: nil),
        Wrong(members: #""type":"print","action":"pause","msgid":true"#, field: "msgid", type: "print", msgid: nil),
        Wrong(members: #""type":"print","action":"pause","msgid":{"id":"m"}"#, field: "msgid", type: "print", msgid: nil),
        Wrong(members: #""type":"print","action":"pause","msgid":["m"]"#, field: "msgid", type: "print", msgid: nil),
        // timestamp
        Wrong(members: #""type":"print","action":"pause","msgid":"m","timestamp":"1700000000000""#, field: "timestamp", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","timestamp":1.5"#, field: "timestamp", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","timestamp":true"#, field: "timestamp", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","timestamp":{}"#, field: "timestamp", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","timestamp":1e300"#, field: "timestamp", type: "print", msgid: "m"),
        // data
        Wrong(members: #""type":"print","action":"pause","msgid":"m","data":"x""#, field: "data", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","data":[]"#, field: "data", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","data":3"#, field: "data", type: "print", msgid: "m"),
        Wrong(members: #""type":"print","action":"pause","msgid":"m","data":false"#, field: "data", type: "print", msgid: "m"),
    ]

    @Test(arguments: wrongEnvelopes)
    func wrongFieldIsABadRequestNamingTheField(wrong: Wrong) throws {
        let result = try failure("{\(wrong.members)}")
        #expect(result.failure.code == .badRequest)
        #expect(result.failure.message.contains("\"\(wrong.field)\""), "\(result.failure.message)")
        #expect(result.type == wrong.type)
        #expect(result.msgid == wrong.msgid)
    }

    @Test(arguments: ["[]", #"[{"type":"info","action":"query"}]"#, #""info""#, "1", "null", "true"])
    func payloadThatIsNotAnObjectIsABadRequest(text: String) throws {
        let result = try failure(text)
        #expect(result.failure.code == .badRequest)
        #expect(result.failure.message.contains("object"), "\(result.failure.message)")
        #expect(result.type == nil)
        #expect(result.msgid == nil)
    }
}
