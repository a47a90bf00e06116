import AgentJSON
import Testing

/// Parses `text`, failing the test with the parser's message when it does not parse.
private func parse(_ text: String) throws -> JSONValue {
    try JSONCodec.parse(text)
}

/// The error `JSONCodec.parse` throws for `bytes`, or nil when it parses.
private func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    do {
        _ = try JSONCodec.parse(bytes)
        return nil
    } catch {
        return error
    }
}

struct JSONCodecTests {
    // MARK: Round trips

    /// One value of every JSON type, and nestings of them.
    static let values: [JSONValue] = [
        .null, .bool(true), .bool(false),
        .number(0), .number(-7), .number(42), .number(-12.5), .number(0.1), .number(1.0 / 3.0),
        .number(1e300), .number(-2.5e-300), .number(2_147_483_648), .number(1_234_567_890_123_456),
        .string(""), .string("plain"), .string("quote \" backslash \\ slash / tab \t newline \n bell \u{7}"),
        .string("é ñ 中文 😀"),
        .array([]), .array([.null, .bool(true), .number(1), .string("x"), .array([]), .object(JSONObject())]),
        .object(JSONObject()),
        .object(JSONObject([("z", .number(1)), ("a", .array([.string("b")])), ("m", .object(JSONObject([("k", .null)])))])),
    ]

    @Test func everyTypeSurvivesPrintThenParse() throws {
        for value in Self.values {
            let text = JSONCodec.print(value)
            #expect(try JSONCodec.parse(text) == value, "printed as \(text)")
        }
    }

    @Test func parsingGivesEveryTypeItsValue() throws {
        let text = #"{"n":null,"t":true,"f":false,"i":42,"d":-2.5,"s":"x","a":[1,"2"],"o":{"k":"v"}}"#
        let expected = JSONValue.object(JSONObject([
            ("n", .null), ("t", .bool(true)), ("f", .bool(false)), ("i", .number(42)), ("d", .number(-2.5)),
            ("s", .string("x")), ("a", .array([.number(1), .string("2")])),
            ("o", .object(JSONObject([("k", .string("v"))]))),
        ]))
        #expect(try parse(text) == expected)
        // What we print reads back as the same value (compact: no spaces added).
        #expect(JSONCodec.print(expected) == text)
    }

    @Test func printKeepsKeyOrder() {
        let object = JSONObject([("zeta", .number(1)), ("alpha", .number(2)), ("mid", .number(3))])
        #expect(JSONCodec.print(.object(object)) == #"{"zeta":1,"alpha":2,"mid":3}"#)
    }

    @Test func parseKeepsKeyOrder() throws {
        let object = try #require(try parse(#"{"b":1,"c":2,"a":3}"#).objectValue)
        #expect(object.members.map(\.key) == ["b", "c", "a"])
    }

    // MARK: Strings

    @Test(arguments: [
        (#""a\/b""#, "a/b"),
        (#""http:\/\/host\/x""#, "http://host/x"),
        (#""\u00e9""#, "é"),
        (#""\u4e2d""#, "中"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\"\\\b\f\n\r\t""#, "\"\\\u{8}\u{C}\n\r\t"),
        ("\"é 😀\"", "é 😀"),
    ])
    func escapesAreDecoded(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func escapedSlashInsideACommandIsAccepted() throws {
        let command = try parse(#"{"type":"print","action":"start","data":{"url":"https:\/\/cdn\/f.gcode"}}"#)
        #expect(command["data"]?["url"] == .string("https://cdn/f.gcode"))
    }

    /// `\u0000` is valid JSON: the string must come back whole or be refused, never cut short.
    @Test func escapedNulIsNotSilentlyTruncated() {
        let result = Result { () throws(JSONParseError) -> JSONValue in try JSONCodec.parse(#""a\u0000b""#) }
        if case .success(let value) = result {
            #expect(value == .string("a\u{0}b"), "\\u0000 was parsed as \(value)")
        }
    }

    // MARK: Numbers

    @Test(arguments: [
        ("0", Int64(0)), ("-1", -1), ("1700000000123", 1_700_000_000_123),
        ("9007199254740992", 9_007_199_254_740_992), ("-9007199254740992", -9_007_199_254_740_992),
        ("1e3", 1000), ("2.0", 2),
    ])
    func integersAreExact(text: String, expected: Int64) throws {
        #expect(try parse(text).int64Value == expected)
    }

    @Test(arguments: ["1.5", "-0.25", "1e-3", "18014398509481984", "1e300", "\"5\"", "true", "null", "[1]"])
    func nonIntegersHaveNoInt64Value(text: String) throws {
        #expect(try parse(text).int64Value == nil)
    }

    /// Clients read "1.7e+12" as a float: milliseconds and sizes must print as digits, and
    /// every integer up to 2^53 (the documented exact range) must come back as itself.
    @Test(arguments: [Int64(0), 1, -1, 2_147_483_647, 2_147_483_648, 1_700_000_000_123,
                      -1_700_000_000_123, 9_007_199_254_740_992, -9_007_199_254_740_992])
    func integersPrintAsPlainDigits(value: Int64) throws {
        let text = JSONCodec.print(.int64(value))
        #expect(text == String(value))
        #expect(try JSONCodec.parse(text).int64Value == value)
    }

    /// Numbers that are not integers up to 2^53 print in the shortest form that parses back
    /// to the same double. The first is what the controller fuzz target found: cJSON's own
    /// printer wrote it with 15 digits, one bit off.
    @Test(arguments: [
        (88_888_888_888_888_888_888.0, "8.888888888888889e+19"), (0.1, "0.1"), (-12.5, "-12.5"),
        (1.0 / 3.0, "0.3333333333333333"), (0.1 + 0.2, "0.30000000000000004"), (1e300, "1e+300"),
        (9_007_199_254_740_994, "9007199254740994"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ])
    func numbersPrintInTheShortestFormThatReadsBack(value: Double, expected: String) throws {
        let text = JSONCodec.print(.number(value))
        #expect(text == expected)
        #expect(try JSONCodec.parse(text).doubleValue == value)
    }

    /// Every double of a fixed pseudo-random sample (bit patterns from a seeded generator,
    /// so the same ones each run) survives print then parse exactly; non-finite ones, which
    /// JSON cannot write, print as null.
    @Test func anyDoubleSurvivesPrintThenParse() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            let text = JSONCodec.print(.number(value))
            if value.isFinite {
                #expect(try JSONCodec.parse(text).doubleValue == value, "printed as \(text)")
            } else {
                #expect(text == "null")
            }
        }
    }

    @Test func fractionsKeepTheirValue() throws {
        #expect(try parse("0.1").doubleValue == 0.1)
        #expect(try parse("-12.5e2").doubleValue == -1250)
    }

    // MARK: Malformed input

    static let malformed: [(name: String, bytes: [UInt8])] = [
        ("truncated object", Array(#"{"type":"status","action""#.utf8)),
        ("truncated string", Array(#"{"type":"sta"#.utf8)),
        ("trailing garbage", Array("{} x".utf8)),
        ("two values", Array("{}{}".utf8)),
        ("NUL byte inside a string", Array(#"{"type":"st"#.utf8) + [0] + Array(#"atus"}"#.utf8)),
        ("NUL byte after the object", Array("{}".utf8) + [0]),
        ("NUL byte then garbage", Array("{}".utf8) + [0] + Array("x".utf8)),
        ("empty payload", []),
        ("only white space", Array(" \t\r\n ".utf8)),
        ("2000-deep nesting", Array(String(repeating: "[", count: 2000).utf8) + Array(String(repeating: "]", count: 2000).utf8)),
        ("unquoted key", Array("{type:1}".utf8)),
        ("single quotes", Array("{'a':1}".utf8)),
        ("trailing comma", Array("[1,]".utf8)),
        ("missing value", Array(#"{"a":}"#.utf8)),
        ("bad literal", Array("nul".utf8)),
        ("bad escape", Array(#""\x""#.utf8)),
        ("lone low surrogate", Array(#""\udc00""#.utf8)),
        ("not UTF-8 text", [0xFF, 0xFE]),
    ]

    @Test(arguments: malformed)
    func malformedInputThrowsWithAMessage(name: String, bytes: [UInt8]) {
        let error = parseError(bytes)
        #expect(error != nil, "\(name) was accepted")
        #expect(error?.message.isEmpty == false, "\(name): no message")
    }

    @Test func errorSaysWhereParsingStopped() throws {
        // "{} x": the object ends at byte 2, the space is skipped, the garbage is at byte 3.
        let error = try #require(parseError(Array("{} x".utf8)))
        #expect(error.message.contains("byte 3"), "\(error.message)")
    }

    @Test func nestingWithinTheLimitParses() throws {
        let depth = 500
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try parse(text)
        var levels = 0
        while case .array(let items) = value, let first = items.first {
            value = first
            levels += 1
        }
        #expect(levels == depth - 1)
    }

    // MARK: Objects and size

    @Test func duplicateKeysKeepBothAndLookupFindsTheFirst() throws {
        let value = try parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value["a"] == .number(1))
        #expect(value.objectValue?.members.map(\.key) == ["a", "b", "a"])
    }

    @Test func a200KilobyteArrayParses() throws {
        let count = 40_000
        let text = "[" + (0..<count).map { "\($0 + 100_000)" }.joined(separator: ",") + "]"
        #expect(text.utf8.count > 200_000)
        guard case .array(let items) = try parse(text) else {
            Issue.record("not an array")
            return
        }
        #expect(items.count == count)
        #expect(items.first == .number(100_000))
        #expect(items.last == .number(Double(count - 1 + 100_000)))
    }

    @Test func parsingAStringEqualsParsingItsBytes() throws {
        let text = #"{"msgid":"é","n":[1,2]}"#
        #expect(try JSONCodec.parse(text) == JSONCodec.parse(Array(text.utf8)))
    }
}
