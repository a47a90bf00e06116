import AgentJSON
import Testing

struct JSONValueTests {
    @Test func accessorsAnswerOnlyForTheirType() {
        let values: [JSONValue] = [.null, .bool(true), .number(3), .string("s"), .array([]), .object(JSONObject())]
        for value in values {
            #expect((value.stringValue != nil) == (value == .string("s")))
            #expect((value.doubleValue != nil) == (value == .number(3)))
            #expect((value.objectValue != nil) == (value == .object(JSONObject())))
            #expect(value["key"] == nil)
        }
    }

    @Test(arguments: [
        (JSONValue.null, "null"), (.bool(false), "a boolean"), (.number(1), "a number"),
        (.string(""), "a string"), (.array([]), "an array"), (.object(JSONObject()), "an object"),
    ] as [(JSONValue, String)])
    func typeNamesReadInASentence(value: JSONValue, name: String) {
        #expect(value.typeName == name)
    }

    @Test func intBuildersAreNumbers() {
        #expect(JSONValue.int(-3) == .number(-3))
        #expect(JSONValue.int64(1_700_000_000_123).int64Value == 1_700_000_000_123)
    }

    @Test func subscriptSetReplacesAppendsAndRemoves() {
        var object = JSONObject([("a", .number(1)), ("b", .number(2))])
        object["a"] = .string("x")
        object["c"] = .bool(true)
        #expect(object.members.map(\.key) == ["a", "b", "c"])
        #expect(object["a"] == .string("x"))
        object["b"] = nil
        #expect(object.members.map(\.key) == ["a", "c"])
        object["missing"] = nil
        #expect(object.members.count == 2)
        #expect(!object.isEmpty)
        #expect(JSONObject().isEmpty)
    }

    @Test func memberLookupOnAValueGoesThroughTheObject() {
        let value = JSONValue.object(JSONObject([("k", .string("v"))]))
        #expect(value["k"] == .string("v"))
        #expect(value["other"] == nil)
    }
}
