import AgentCore
import AgentJSON
import Testing

/// The printer most tests talk to.
let testModelId = "20021"
let testDeviceId = "0123456789abcdef0123456789ABCDEF"
let testTopics = DeviceTopics(modelId: testModelId, deviceId: testDeviceId)

/// A command topic of the test printer, from `sender`, with `tail` ("" for none).
func commandTopic(sender: String = "server", tail: String = "/status/query") -> String {
    "anycubic/anycubicCloud/v1/\(sender)/printer/\(testModelId)/\(testDeviceId)\(tail)"
}

/// `text` parsed as a JSON object (the test fails when it is not one).
func jsonObject(_ text: String) throws -> JSONObject {
    try #require(try JSONCodec.parse(text).objectValue, "not a JSON object: \(text)")
}

/// The ConfigError thrown by `body`, or nil when it throws nothing (another error fails the test).
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("threw \(error), not a ConfigError")
        return nil
    }
}

/// A publication that is easy to tell apart from others.
func publication(_ name: String) -> Publication {
    Publication(topic: "t/\(name)", payload: "{\"n\":\"\(name)\"}")
}

/// A failure that ends a test with a sentence (a thrown error fails the test; it never skips it).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
