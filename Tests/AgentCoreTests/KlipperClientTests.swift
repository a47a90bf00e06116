@testable import AgentCore
import AgentJSON
import Testing

/// The frames `bytes` holds, cut the way the backend cuts the socket's stream.
private func frames(_ bytes: [UInt8]) -> [ByteFrameSplitter.Frame] {
    var splitter = ByteFrameSplitter(delimiter: 0x03, maxLength: 1 << 20)
    var result: [ByteFrameSplitter.Frame] = []
    splitter.push(bytes) { result.append($0) }
    return result
}

/// The one request `bytes` frames, parsed (the test fails on anything else).
private func sentRequest(_ bytes: [UInt8]) throws -> JSONObject {
    #expect(bytes.last == 0x03)
    let cut = frames(bytes)
    try #require(cut.count == 1, "\(cut.count) frames")
    #expect(!cut[0].truncated)
    return try #require(try JSONCodec.parse(cut[0].bytes).objectValue)
}

/// `client` handles `text` as one frame.
private func handle(_ client: inout KlipperClient, _ text: String) -> [KlipperEvent] {
    client.handle(frame: Array(text.utf8))
}

/// Whether `events` is exactly one protocol error whose message contains `words`.
private func isProtocolError(_ events: [KlipperEvent], containing words: String) -> Bool {
    guard events.count == 1, case .protocolError(let message) = events[0] else { return false }
    return message.contains(words)
}

/// A client whose subscription is answered with `status` (the test fails when it is not taken).
private func subscribedClient(status: String) throws -> KlipperClient {
    var client = KlipperClient()
    _ = client.request(.subscribe)
    let events = handle(&client, #"{"id": 1, "result": {"eventtime": 1.5, "status": \#(status)}}"#)
    try #require(events == [.statusChanged, .succeeded(.subscribe)])
    return client
}

/// Klipper's API protocol: request frames and ids, replies in any order, errors, status
/// pushes, garbage from the controller and the loss of the connection.
@Suite struct KlipperClientTests {
    @Test func aRequestIsOneJSONObjectEndedBy0x03() {
        var client = KlipperClient()
        let bytes = client.request(.identify)
        #expect(bytes == Array(#"{"id":1,"method":"info","params":{}}"#.utf8) + [0x03])
        #expect(client.pendingCount == 1)
    }

    @Test func idsIncreaseFromOne() throws {
        var client = KlipperClient()
        let requests: [KlipperRequest] = [.identify, .subscribe, .script("G28"), .pause, .resume, .cancel]
        for (index, request) in requests.enumerated() {
            let sent = try sentRequest(client.request(request))
            #expect(sent["id"] == .int(index + 1))
        }
        #expect(client.pendingCount == requests.count)
    }

    @Test(arguments: [
        (KlipperRequest.identify, "info"), (.subscribe, "objects/subscribe"), (.script("M105"), "gcode/script"),
        (.pause, "pause_resume/pause"), (.resume, "pause_resume/resume"), (.cancel, "pause_resume/cancel"),
        (.subscribeOutput, "gcode/subscribe_output"), (.run("G28"), "gcode/script"),
    ])
    func eachRequestCallsItsMethod(request: KlipperRequest, method: String) throws {
        var client = KlipperClient()
        let sent = try sentRequest(client.request(request))
        #expect(sent["method"] == .string(method))
        #expect(request.method == method)
        #expect(sent["params"]?.objectValue != nil)
    }

    @Test func subscribeAsksForEveryFieldOfTheSubscribedObjectsAndNamesThePushMethod() throws {
        var client = KlipperClient()
        let sent = try sentRequest(client.request(.subscribe))
        let params = try #require(sent["params"]?.objectValue)
        let objects = try #require(params["objects"]?.objectValue)
        #expect(objects.members.map(\.key) == KlipperStatus.subscribedObjects)
        #expect(objects.members.allSatisfy { $0.value == .null })
        #expect(params["response_template"] == .object(JSONObject([("method", .string("notify_status_update"))])))
    }

    @Test func gcodeOutputIsPushedOnItsOwnMethodAndToldLineByLine() throws {
        var client = KlipperClient()
        let sent = try sentRequest(client.request(.subscribeOutput))
        #expect(sent["params"]?["response_template"] == .object(JSONObject([("method", .string("notify_gcode_response"))])))
        #expect(handle(&client, #"{"method": "notify_gcode_response", "params": {"response": "X:1.000 Y:2.000 Z:3.000 E:0.000"}}"#)
            == [.output("X:1.000 Y:2.000 Z:3.000 E:0.000")])
        let malformed = handle(&client, #"{"method": "notify_gcode_response", "params": {"response": 5}}"#)
        #expect(malformed.count == 1 && malformed.allSatisfy { if case .protocolError = $0 { true } else { false } })
    }

    @Test func aScriptGoesAsItIsEvenWithQuotesLineBreaksAnd0x03() throws {
        var client = KlipperClient()
        let script = "SDCARD_PRINT_FILE FILENAME=\"日本 it's.gcode\"\nM117 \\ done\u{3}"
        let sent = try sentRequest(client.request(.script(script)))
        #expect(sent["params"]?["script"] == .string(script))
    }

    @Test func repliesAreMatchedByIdWhateverTheirOrder() {
        var client = KlipperClient()
        _ = client.request(.identify)
        _ = client.request(.script("G28"))
        _ = client.request(.pause)
        #expect(handle(&client, #"{"id": 3, "result": {}}"#) == [.succeeded(.pause)])
        #expect(handle(&client, #"{"result": {"state": "ready"}, "id": 1}"#) == [.succeeded(.identify)])
        #expect(client.pendingCount == 1)
        #expect(handle(&client, #"{"id": 2.0, "result": {}}"#) == [.succeeded(.script("G28"))])
        #expect(client.pendingCount == 0)
    }

    @Test func anErrorReplyFailsTheRequestWithKlippersMessage() {
        var client = KlipperClient()
        _ = client.request(.script("G1 X200"))
        let events = handle(&client, """
            {"id": 1, "error": {"error": "WebRequestError", "message": "Must home axis first: 200.000 0.000 0.000 [0.000]"}}
            """)
        #expect(events == [.failed(.script("G1 X200"), "Must home axis first: 200.000 0.000 0.000 [0.000]")])
        #expect(client.pendingCount == 0)
    }

    /// Error objects without a usable message, and the sentence the failure carries.
    @Test(arguments: [
        (#"{"error": "WebRequestError"}"#, "WebRequestError"),
        (#"{"error": "WebRequestError", "message": ""}"#, "WebRequestError"),
        (#"{"message": 12}"#, "the controller refused pause_resume/resume without saying why"),
        (#""Printer not ready""#, "Printer not ready"),
        ("null", "the controller refused pause_resume/resume without saying why"),
        ("[]", "the controller refused pause_resume/resume without saying why"),
    ])
    func anErrorWithoutAMessageStillFailsTheRequest(error: String, message: String) {
        var client = KlipperClient()
        _ = client.request(.resume)
        #expect(handle(&client, #"{"id": 1, "error": \#(error)}"#) == [.failed(.resume, message)])
    }

    @Test func aReplyWithNeitherResultNorErrorFailsTheRequest() {
        var client = KlipperClient()
        _ = client.request(.cancel)
        #expect(handle(&client, #"{"id": 1}"#)
            == [.failed(.cancel, "the controller's reply to pause_resume/cancel has neither a result nor an error")])
        #expect(client.pendingCount == 0)
    }

    @Test func theSubscribeReplyFillsTheStatus() throws {
        let client = try subscribedClient(status: """
            {"print_stats": {"state": "standby", "filename": ""}, "extruder": {"temperature": 24.5, "target": 0},
             "webhooks": {"state": "ready", "state_message": "Printer is ready"}}
            """)
        #expect(client.status.printState == .standby)
        #expect(client.status.readings.nozzleTemperature == 24.5)
        #expect(client.status.webhooksState == "ready")
        #expect(client.pendingCount == 0)
    }

    @Test func aSubscribeReplyWithoutAStatusFailsTheSubscription() {
        var client = KlipperClient()
        _ = client.request(.subscribe)
        #expect(handle(&client, #"{"id": 1, "result": {"eventtime": 1.5, "status": []}}"#)
            == [.failed(.subscribe, "the controller's reply to objects/subscribe carries no status object")])
        #expect(client.status == KlipperStatus())
    }

    @Test func pushesAreMergedIntoTheStatus() throws {
        var client = try subscribedClient(status: #"{"extruder": {"temperature": 24.5, "target": 210}, "print_stats": {"state": "standby"}}"#)
        #expect(handle(&client, """
            {"method": "notify_status_update", "params": {"eventtime": 2.0, "status": {"extruder": {"temperature": 100.25}}}}
            """) == [.statusChanged])
        #expect(handle(&client, """
            {"params": {"status": {"print_stats": {"state": "printing"}}, "eventtime": 2.25}, "method": "notify_status_update"}
            """) == [.statusChanged])
        #expect(client.status.readings.nozzleTemperature == 100.25)
        #expect(client.status.readings.nozzleTarget == 210)
        #expect(client.status.printState == .printing)
    }

    @Test func pushesTravelThroughTheSplitterInAnyChunking() throws {
        var client = KlipperClient()
        var splitter = ByteFrameSplitter(delimiter: 0x03, maxLength: 1 << 20)
        let stream = Array(#"{"method":"notify_status_update","params":{"status":{"fan":{"speed":0.25}}}}"#.utf8) + [0x03]
            + Array(#"{"method":"notify_status_update","params":{"status":{"fan":{"speed":0.75}}}}"#.utf8) + [0x03]
        var events: [KlipperEvent] = []
        for byte in stream {
            splitter.push([byte]) { events += client.handle(frame: $0.bytes) }
        }
        #expect(events == [.statusChanged, .statusChanged])
        #expect(client.status.readings.fanSpeedPercent == 75)
    }

    @Test(arguments: [
        #"{"method": "notify_status_update"}"#,
        #"{"method": "notify_status_update", "params": {"eventtime": 1}}"#,
        #"{"method": "notify_status_update", "params": {"status": "ready"}}"#,
        #"{"method": "notify_status_update", "params": []}"#,
    ])
    func aPushWithoutAStatusObjectIsAProtocolError(text: String) {
        var client = KlipperClient()
        #expect(isProtocolError(handle(&client, text), containing: "status update without a status object"))
        #expect(client.status == KlipperStatus())
    }

    /// Frames that are not JSON objects, and words the error must contain.
    @Test(arguments: [
        ("", "not JSON"),
        ("not json at all", "not JSON"),
        (#"{"id": 1, "result": {}"#, "not JSON"),
        (#"{"id": 1, "result": {}} trailing"#, "not JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        (#""a string""#, "not a JSON object"),
        ("42", "not a JSON object"),
        ("null", "not a JSON object"),
    ])
    func garbageIsReportedAndChangesNothing(text: String, words: String) {
        var client = KlipperClient()
        _ = client.request(.identify)
        #expect(isProtocolError(handle(&client, text), containing: words))
        #expect(client.pendingCount == 1)
        #expect(client.status == KlipperStatus())
    }

    @Test func binaryGarbageIsReportedWithAPrintableExcerpt() throws {
        var client = KlipperClient()
        let events = client.handle(frame: [0x00, 0xFF, 0x7B, 0x0A, 0x1B, 0x80])
        guard events.count == 1, case .protocolError(let message) = events[0] else {
            Issue.record("not one protocol error: \(events)")
            return
        }
        #expect(message.hasSuffix(": ..{..."))
    }

    @Test func aHugeFrameIsReportedWithAShortExcerpt() throws {
        var client = KlipperClient()
        let frame = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let events = client.handle(frame: frame)
        guard events.count == 1, case .protocolError(let message) = events[0] else {
            Issue.record("not one protocol error")
            return
        }
        #expect(message.utf8.count < 300)
        #expect(message.hasSuffix("... (1048576 bytes)"))
    }

    @Test func aHugeValidFrameIsHandled() throws {
        var client = try subscribedClient(status: #"{"print_stats": {"state": "printing"}}"#)
        let message = String(repeating: "m", count: 500_000)
        #expect(handle(&client, """
            {"method": "notify_status_update", "params": {"status": {"print_stats": {"message": "\(message)"}}}}
            """) == [.statusChanged])
        #expect(client.status.printMessage == message)
    }

    /// Replies whose id matches no pending request.
    @Test(arguments: [
        #"{"id": 7, "result": {}}"#,
        #"{"id": "1", "result": {}}"#,
        #"{"id": 1.5, "result": {}}"#,
        #"{"id": -1, "error": {"message": "x"}}"#,
        #"{"id": 1e300, "result": {}}"#,
        #"{"id": {"n": 1}, "result": {}}"#,
        #"{"id": true, "result": {}}"#,
    ])
    func aReplyToAnUnknownIdIsAProtocolError(text: String) {
        var client = KlipperClient()
        _ = client.request(.identify)
        #expect(isProtocolError(handle(&client, text), containing: "replied to a request it was not sent"))
        #expect(client.pendingCount == 1)
    }

    @Test func aSecondReplyToTheSameIdIsAProtocolError() {
        var client = KlipperClient()
        _ = client.request(.identify)
        #expect(handle(&client, #"{"id": 1, "result": {}}"#) == [.succeeded(.identify)])
        #expect(isProtocolError(handle(&client, #"{"id": 1, "result": {}}"#), containing: "(id 1)"))
    }

    @Test(arguments: [
        #"{"params": {"response": "// Klipper state: Ready"}}"#,
        #"{"method": "something_else", "params": {"status": {}}}"#,
        #"{"id": null, "result": {}}"#,
        "{}",
    ])
    func aMessageOfNoKnownKindIsAProtocolError(text: String) {
        var client = KlipperClient()
        #expect(isProtocolError(handle(&client, text), containing: "neither a reply nor a status update"))
    }

    @Test func losingTheConnectionFailsEveryPendingRequestInOrderAndKeepsTheStatus() throws {
        var client = try subscribedClient(status: #"{"print_stats": {"state": "printing", "filename": "a.gcode"}}"#)
        _ = client.request(.script("M117 hi"))
        _ = client.request(.pause)
        _ = client.request(.identify)
        _ = handle(&client, #"{"id": 3, "result": {}}"#)
        let message = "the connection to the controller closed"
        #expect(client.connectionLost() == [.failed(.script("M117 hi"), message), .failed(.identify, message)])
        #expect(client.pendingCount == 0)
        #expect(client.connectionLost() == [])
        #expect(client.status.printState == .printing)
        #expect(client.status.filename == "a.gcode")
        #expect(isProtocolError(handle(&client, #"{"id": 2, "result": {}}"#), containing: "not sent"))
    }

    @Test func idsGoOnAfterAReconnect() throws {
        var client = KlipperClient()
        _ = client.request(.identify)
        _ = client.connectionLost()
        #expect(try sentRequest(client.request(.identify))["id"] == .int(2))
    }

    @Test func idsWrapToOneAfterTheLargestAndSkipPendingOnes() throws {
        var client = KlipperClient()
        _ = client.request(.identify)  // id 1 stays pending
        client.lastId = KlipperClient.maxId - 1
        #expect(try sentRequest(client.request(.pause))["id"] == .int(Int(Int32.max)))
        #expect(try sentRequest(client.request(.resume))["id"] == .int(2))
        #expect(handle(&client, #"{"id": 2147483647, "result": {}}"#) == [.succeeded(.pause)])
        #expect(handle(&client, #"{"id": 2, "result": {}}"#) == [.succeeded(.resume)])
        #expect(handle(&client, #"{"id": 1, "result": {}}"#) == [.succeeded(.identify)])
    }
}
