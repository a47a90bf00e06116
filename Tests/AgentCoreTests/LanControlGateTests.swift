import AgentCore
import AgentJSON
import Testing

/// The checks of the LAN handshake's signed request. MD5 is given by the caller; here a
/// stand-in digest that keeps its input readable, so each test says what was signed.
struct LanControlGateTests {
    static let token = "0123456789abcdefFEDCBA9876543210"
    static let now: Int64 = 1_796_000_000_000
    static func digest(_ text: String) -> String { "h(" + text.lowercased() + ")" }

    /// A correctly signed request at `ts` with `nonce`.
    static func signed(ts: Int64 = now, nonce: String = "aB3dE9", did: String = "CLIENT01") -> LanControlGate.Request {
        let sign = digest(digest(String(token.prefix(16))) + String(ts) + nonce)
        return LanControlGate.Request(ts: String(ts), nonce: nonce, sign: sign, did: did)
    }

    func check(_ gate: inout LanControlGate, _ request: LanControlGate.Request, address: String = "10.0.0.9",
               monotonic: Int64 = 0) -> LanControlGate.Verdict {
        gate.check(request, token: Self.token, address: address, wallMs: Self.now, monotonicMs: monotonic, md5Hex: Self.digest)
    }

    @Test func aCorrectlySignedRequestIsGranted() {
        var gate = LanControlGate()
        #expect(check(&gate, Self.signed()) == .grant)
    }

    @Test func aWrongSignatureIsRefusedWith403() {
        var gate = LanControlGate()
        var request = Self.signed()
        request.sign = Self.digest(Self.digest("wrong-key-halves") + String(Self.now) + "aB3dE9")
        guard case .refuse(let status, let message) = check(&gate, request) else { Issue.record("granted"); return }
        #expect(status == 403)
        #expect(message.contains("signature"))
    }

    @Test(arguments: [-300_001, 300_001] as [Int64])
    func aTimestampOutsideTheWindowIsRefused(offset: Int64) {
        var gate = LanControlGate()
        guard case .refuse(let status, let message) = check(&gate, Self.signed(ts: Self.now + offset)) else {
            Issue.record("granted"); return
        }
        #expect(status == 403)
        #expect(message.contains("300 s away"))
    }

    @Test func aTimestampAtTheWindowsEdgeIsGranted() {
        var gate = LanControlGate()
        #expect(check(&gate, Self.signed(ts: Self.now - 300_000)) == .grant)
    }

    @Test func aReplayedNonceIsRefused() {
        var gate = LanControlGate()
        #expect(check(&gate, Self.signed()) == .grant)
        guard case .refuse(let status, let message) = check(&gate, Self.signed()) else { Issue.record("replay granted"); return }
        #expect(status == 403)
        #expect(message.contains("nonce was used"))
    }

    @Test(arguments: [
        LanControlGate.Request(ts: nil, nonce: "a", sign: "s", did: "d"),
        LanControlGate.Request(ts: "12x", nonce: "a", sign: "s", did: "d"),
        LanControlGate.Request(ts: "1", nonce: "", sign: "s", did: "d"),
        LanControlGate.Request(ts: "1", nonce: "a/b", sign: "s", did: "d"),
        LanControlGate.Request(ts: "1", nonce: "a", sign: "s", did: ""),
        LanControlGate.Request(ts: "1", nonce: "a", sign: "s", did: "../etc"),
        LanControlGate.Request(ts: "1", nonce: "a", sign: "s", did: String(repeating: "D", count: 65)),
    ])
    func aMalformedRequestIsRefusedWith400(request: LanControlGate.Request) {
        var gate = LanControlGate()
        guard case .refuse(let status, _) = check(&gate, request) else { Issue.record("granted"); return }
        #expect(status == 400)
    }

    @Test func anAddressThatFailsTooOftenIsRefusedForAMinuteEvenWhenRight() {
        var gate = LanControlGate()
        var bad = Self.signed()
        bad.sign = "0"
        for attempt in 0..<LanControlGate.failureLimit {
            guard case .refuse(403, _) = check(&gate, bad, monotonic: Int64(attempt)) else { Issue.record("attempt \(attempt)"); return }
        }
        guard case .refuse(429, _) = check(&gate, Self.signed(), monotonic: 10) else { Issue.record("not rate limited"); return }
        #expect(check(&gate, Self.signed(nonce: "other1"), address: "10.0.0.10", monotonic: 10) == .grant,
                "another address is not limited")
        #expect(check(&gate, Self.signed(), monotonic: 10 + LanControlGate.failureWindowMs) == .grant,
                "after the window the address is heard again")
    }
}

/// The documents of the handshake, in the firmware's shapes.
struct LanDocumentsTests {
    @Test func theDiscoveryDocumentCarriesWhatTheClientsRequire() throws {
        let printer = LanDocuments.Printer(modelId: "20025", modelName: "Anycubic Kobra S1", deviceName: "Shop", serial: "SN1")
        let document = JSONValue.object(LanDocuments.discovery(printer, token: "T", host: "192.168.1.20", port: 18910,
                                                               mac: "A4-E8-8D-80-54-C8"))
        #expect(document["ctrlType"] == .string("lan"))
        #expect(document["token"] == .string("T"))
        #expect(document["ctrlInfoUrl"] == .string("http://192.168.1.20:18910/ctrl"))
        #expect(document["modelId"] == .string("20025"))
        #expect(document["deviceType"] == .string("fdm"))
        #expect(document["fileUploadurl"] == .string("http://192.168.1.20:18910/gcode_upload?s=T"))
        #expect(document["usn"] == .string("uuid:fdm:A4-E8-8D-80-54-C8"))
        let unknown = JSONValue.object(LanDocuments.discovery(printer, token: "T", host: "10.0.0.2", port: 1, mac: nil))
        #expect(unknown["usn"] == nil, "no usn rather than a made-up one")
    }

    @Test func theCredentialsCarryWhatSlicerNextReads() {
        let credentials = JSONValue.object(LanDocuments.credentials(broker: "mqtts://10.0.0.2:9883", username: "u", password: "p",
                                                                    deviceId: "D", modelId: "20025", host: "10.0.0.2"))
        #expect(credentials == .object(JSONObject([("broker", .string("mqtts://10.0.0.2:9883")), ("username", .string("u")),
                                                   ("password", .string("p")), ("deviceId", .string("D")),
                                                   ("modeId", .string("20025")), ("ip", .string("10.0.0.2"))])))
    }

    @Test func aRefusalHasTheCodeAndNoData() {
        let refusal = JSONValue.object(LanDocuments.refused(code: 403, message: "no"))
        #expect(refusal["code"] == .number(403))
        #expect(refusal["data"] == .null)
    }
}
