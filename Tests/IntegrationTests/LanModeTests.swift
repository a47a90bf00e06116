import Foundation
import Testing
import TestSupport

/// LAN mode as a LAN user meets it: the handshake and the upload endpoint of the agent's
/// HTTP server, behind the shipped broker profile, fed hostile input. Every refusal is a
/// JSON error a person can act on, hands out no credentials, and leaves the storage as it was.
@Suite struct LanModeTests {
    @Test func theHandshakeRefusesEachBadRequestThenLimitsTheAddress() throws {
        let rig = try LanRig()
        let token = try rig.token()
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        let granted = try rig.request("POST", "/ctrl?" + LanRig.signedQuery(token: token, nonce: "once01"))
        #expect(granted.status == 200 && granted.json["code"] as? Int == 200, "a signed request is granted: \(granted.text)")
        #expect((granted.json["data"] as? [String: Any])?["info"] is String)

        let wrongKey = String(token.reversed())
        let cases: [(what: String, query: String, status: Int, says: String)] = [
            ("a replayed nonce", try LanRig.signedQuery(token: token, nonce: "once01"), 403, "nonce"),
            ("a bad signature", try LanRig.signedQuery(token: wrongKey), 403, "signature"),
            ("a stale ts", try LanRig.signedQuery(token: token, ts: now - 3_600_000), 403, "clock"),
            ("a wrong did", try LanRig.signedQuery(token: token, did: "..%2Fetc"), 400, "did"),
            ("no signature at all", "ts=\(now)&nonce=abc123&did=X", 400, "sign"),
        ]
        for bad in cases {
            let answer = try rig.request("POST", "/ctrl?" + bad.query)
            #expect(answer.status == bad.status, "\(bad.what): \(answer.text)")
            #expect(answer.json["code"] as? Int == bad.status && answer.json["data"] is NSNull, "\(bad.what): no credentials")
            #expect((answer.json["message"] as? String)?.contains(bad.says) == true, "\(bad.what): \(answer.text)")
        }
        let limited = try rig.request("POST", "/ctrl?" + LanRig.signedQuery(token: token))
        #expect(limited.status == 429, "five failures in a minute: even a good request waits: \(limited.text)")
        #expect(try rig.request("GET", "/info").status == 200, "the discovery document is still served")
    }

    /// Names a client might send to escape the storage root, hide a file or confuse a
    /// listing: each is refused with 400 and nothing is written.
    static let hostileNames = [
        "", ".", "..", "../a.gcode", "../../etc/passwd", "a/b.gcode", "/a.gcode", "a/", "/", "//", "a/..", "./a",
        ".hidden.gcode", ".agent-download-x.part", "..gcode", ". ", ".. ", "a\u{1}b.gcode", "a\nb.gcode",
        "a\rb.gcode", "a\tb.gcode", "\u{7f}.gcode", "a\u{85}b.gcode", "a\u{9f}.gcode", "\u{1b}[31m.gcode",
        String(repeating: "a", count: 256), String(repeating: "é", count: 128), "x/./y.gcode", "%2e%2e/a.gcode/",
        "a\u{0}b.gcode", "dir/../../a.gcode",
    ]

    @Test func uploadsRefuseBadInputAndLoseNothing() throws {
        let rig = try LanRig()
        let cube = try Fixture.data("cube.gcode")
        _ = try rig.storage.write("files/keep.gcode", Data("G28\n".utf8))
        let token = try rig.token()
        #expect(Self.hostileNames.count >= 30)
        for name in Self.hostileNames {
            let answer = try rig.upload(name, cube, token: token)
            #expect(answer.status == 400 && answer.json["code"] as? Int == 400, "name \(name.debugDescription): \(answer.text)")
        }
        let wrong: [(what: String, answer: LanRig.Answer, status: Int)] = [
            ("a wrong token", try rig.upload("a.gcode", cube, token: String(token.reversed())), 403),
            ("a body longer than announced", try rig.upload("a.gcode", cube, announced: cube.count - 1, token: token), 413),
            ("a body shorter than announced", try rig.upload("a.gcode", cube, announced: cube.count + 1, token: token), 400),
            ("a 0-byte body", try rig.request("POST", "/gcode_upload?s=\(token)",
                                              headers: ["Content-Type": "multipart/form-data; boundary=agent-test-boundary",
                                                        "X-File-Length": "0"], body: Data()), 400),
            ("a malformed X-File-Length", try rig.request("POST", "/gcode_upload?s=\(token)",
                                                          headers: ["Content-Type": "multipart/form-data; boundary=agent-test-boundary",
                                                                    "X-File-Length": "12kB"],
                                                          body: LanRig.form(filename: "a.gcode", file: cube)), 400),
            ("a body that is not a form", try rig.request("POST", "/gcode_upload?s=\(token)",
                                                          headers: ["Content-Type": "text/plain", "X-File-Length": "4"],
                                                          body: Data("G28\n".utf8)), 415),
            ("two files in one form", try rig.request("POST", "/gcode_upload?s=\(token)",
                                                      headers: ["Content-Type": "multipart/form-data; boundary=agent-test-boundary"],
                                                      body: LanRig.twoFileForm(cube)), 400),
            ("more than the disk holds", try rig.upload("a.gcode", cube, announced: 1 << 45, token: token), 507),
        ]
        for bad in wrong {
            #expect(bad.answer.status == bad.status && bad.answer.json["code"] as? Int == bad.status,
                    "\(bad.what): \(bad.answer.text)")
            #expect(!(bad.answer.json["message"] as? String ?? "").isEmpty, "\(bad.what) says why")
        }
        #expect(rig.rootNames == ["keep.gcode"], "nothing was written, no partial file is left")

        let stored = try rig.upload("cube upload.gcode", cube, token: token)
        #expect(stored.status == 200 && stored.json["code"] as? Int == 200, "\(stored.text)")
        let unannounced = try rig.request("POST", "/gcode_upload?s=\(token)",
                                          headers: ["Content-Type": "multipart/form-data; boundary=agent-test-boundary"],
                                          body: LanRig.form(filename: "unannounced.gcode", file: cube))
        #expect(unannounced.status == 200, "an upload without X-File-Length, as an OrcaSlicer fork sends it: \(unannounced.text)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.root + "/unannounced.gcode")) == cube)
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.root + "/cube upload.gcode")) == cube)
        let listing = try rig.harness.client.waitFor("a pushed file/listLocal report") {
            $0.topic == Wire.report("file") && ($0.json?["action"] as? String) == "listLocal"
        }
        let names = ((listing.json?["data"] as? [String: Any])?["records"] as? [[String: Any]])?.compactMap { $0["filename"] as? String }
        #expect(names?.contains("cube upload.gcode") == true, "clients see the upload: \(names ?? [])")
        let info = try rig.harness.ask("info", "query").json?["data"] as? [String: Any]
        #expect((info?["urls"] as? [String: Any])?["fileUploadurl"] as? String == "http://127.0.0.1:\(rig.port)/gcode_upload?s=\(token)")
    }

    @Test func aClientThatStopsMidUploadLeavesNoPartialFileAndFreesTheSlot() throws {
        let rig = try LanRig()
        let token = try rig.token()
        let connection = try rig.startPartialUpload()
        let busy = try rig.upload("other.gcode", Data("G28\n".utf8), token: token)
        #expect(busy.status == 409, "one upload at a time: \(busy.text)")
        connection.hangUp()
        try rig.harness.agent.waitForLog("LAN upload abandoned", timeout: 60)
        #expect(rig.rootNames.isEmpty, "the partial file is removed")
        let stored = try rig.upload("after.gcode", Data("G28\n".utf8), token: token)
        #expect(stored.status == 200, "the next upload goes through: \(stored.text)")
    }

    @Test(Root.required(reason: "mounts a 64 KiB tmpfs as the storage to fill"))
    func aDiskThatFillsUpMidUploadFailsCleanly() throws {
        let mount = try SmallFilesystem()
        let rig = try LanRig(root: mount.path)
        let token = try rig.token()
        // Chunked, with no size announced: the free space is found out by writing.
        let connection = try RawConnection(port: rig.port)
        let body = LanRig.form(filename: "big.gcode", file: Data(repeating: 0x47, count: 200_000))
        var request = Data(("POST /gcode_upload?s=\(token) HTTP/1.1\r\nHost: printer\r\nConnection: close\r\n"
                            + "Content-Type: multipart/form-data; boundary=agent-test-boundary\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n").utf8)
        var offset = 0
        while offset < body.count {
            let piece = body[offset..<min(offset + 16_384, body.count)]
            request += Data((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Data("\r\n".utf8)
            offset += piece.count
        }
        request += Data("0\r\n\r\n".utf8)
        connection.send(request)
        let answer = connection.receiveAll()
        #expect(answer.hasPrefix("HTTP/1.1 507"), "\(answer)")
        #expect(answer.contains("is full"), "the answer says why")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path).isEmpty, "the partial file is removed")
    }

    @Test func anSsdpSearchIsAnsweredWithTheInfoDocumentsAddress() throws {
        let rig = try LanRig()
        let probe = try UdpProbe()
        try probe.send("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n"
                       + "ST: ac:3dprinter:fdm\r\n\r\n", to: rig.ssdpPort)
        let reply = try #require(probe.receive(), "an answer within 5 s")
        let lines = reply.components(separatedBy: "\r\n")
        #expect(lines.first == "HTTP/1.1 200 OK")
        #expect(lines.contains("ST: ac:3dprinter:fdm") && lines.contains("SERVER: ac:fdm:ssdp"))
        #expect(lines.contains { $0.hasPrefix("USN: uuid:fdm:") }, "the USN names the interface's MAC: \(reply)")
        let location = try #require(lines.first { $0.hasPrefix("LOCATION: ") }?.dropFirst("LOCATION: ".count))
        #expect(location.hasPrefix("http://127.0.0.1:\(rig.port)/info?ip=127.0.0.1&modelId=\(AgentProcess.modelId)&"))
        let path = String(location.dropFirst("http://127.0.0.1:\(rig.port)".count))
        #expect(try rig.request("GET", path).json["ctrlType"] as? String == "lan", "the LOCATION is the discovery document")
    }

    @Test func theDevelopmentCommandStartsTheProfileAndTheAgentInLanMode() throws {
        let files = try TemporaryDirectory()
        let script = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/lan-broker/try").path
        let out = files.path + "/out"
        let child = try ChildProcess(script, [files.path + "/storage"], environment: ["PRINTER_AGENT": try Executables.agent()],
                                     stdout: out, stderr: files.path + "/err")
        var printed = ""
        try waitUntil("packaging/lan-broker/try to say LAN mode is up", timeout: 60) {
            printed = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            return printed.contains("Ctrl-C") || !child.isRunning
        }
        let words = printed.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let info = try #require(words.first { $0.hasPrefix("http://127.0.0.1:") && $0.hasSuffix("/info") }, "\(printed)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: try #require(URL(string: info)))) as? [String: Any]
        #expect(document?["ctrlType"] as? String == "lan", "the handshake answers at \(info)")
        let work = try #require(words.first { $0.hasSuffix("/agent.log,") }.map { URL(fileURLWithPath: String($0.dropLast())).deletingLastPathComponent().path })
        child.send(SIGTERM)
        _ = try child.waitForExit(timeout: 30)
        #expect(!FileManager.default.fileExists(atPath: work), "the temporary profile is removed")
        #expect(FileManager.default.fileExists(atPath: files.path + "/storage"), "the storage directory given is kept")
    }

    @Test func idleConnectionsDoNotStopTheAgentAnsweringMQTT() throws {
        let rig = try LanRig()
        try IdleConnections.check(port: rig.port, harness: rig.harness, server: "the LAN server") { timeout in
            let answer = try rig.request("GET", "/info", timeout: timeout)
            return (answer.status == 200, "GET /info: status \(answer.status)")
        }
    }
}
