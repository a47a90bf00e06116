import Foundation
import Testing
import TestSupport

/// The OctoPrint-compatible API refuses what it must, clearly, and changes nothing then:
/// requests without the key or with a wrong one, hostile names, bad bodies, oversized
/// uploads, a controller that is not connected. The broker commands are still answered.
@Suite struct OctoApiSecurityTests {
    /// Every route but the version and the app-key flow needs the key: without it or with a
    /// wrong one the answer is 403 and nothing happens (no file stored, none deleted, no
    /// print started); with `?apikey=` it works as with the header.
    @Test func everyRouteButTheVersionNeedsTheKey() throws {
        let octo = try OctoRig()
        let keyed: [(String, String)] = [
            ("GET", "/api/server"), ("POST", "/api/login"), ("GET", "/api/settings"), ("GET", "/api/printerprofiles"),
            ("GET", "/api/printer"), ("POST", "/api/printer/command"), ("GET", "/api/job"), ("POST", "/api/job"),
            ("GET", "/api/files"), ("GET", "/api/files/local"), ("POST", "/api/files/local"),
            ("GET", "/api/files/local/cube.gcode"), ("POST", "/api/files/local/cube.gcode"),
            ("DELETE", "/api/files/local/cube.gcode"), ("GET", "/api/files/sdcard"), ("POST", "/api/files/sdcard"),
            ("GET", "/api/files/sdcard/cube.gcode"), ("POST", "/api/files/sdcard/cube.gcode"), ("DELETE", "/api/files/sdcard/cube.gcode"),
            ("GET", "/api/plugin/appkeys"), ("POST", "/plugin/appkeys/decision/ABCD1234"),
        ]
        let job = Data("{\"command\":\"select\",\"print\":true}".utf8)
        for (method, path) in keyed {
            for key: String? in [nil, "wrong", String(octo.key.dropLast()), octo.key + "x"] {
                let answer = try octo.request(method, path, key: .some(key), headers: ["Content-Type": "application/json"],
                                              body: method == "POST" ? job : nil)
                #expect(answer.status == 403, "\(method) \(path) with key \(key ?? "none"): \(answer.status) \(answer.text)")
                #expect((answer.json["error"] as? String)?.contains("key") == true, "the answer says why: \(answer.text)")
            }
        }
        #expect(try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "sneaky.gcode",
                                      print: true, key: "wrong").hasPrefix("HTTP/1.1 403"))
        #expect(octo.rootNames == ["cube.gcode"], "nothing stored, nothing deleted, no temporary file left")
        #expect(try octo.jobState() == "Operational", "no print started")
        #expect(!octo.rig.printStates.contains("printing"))
        #expect(try LoopbackHttp.request(port: octo.port, "GET", "/api/version").status == 200, "the version needs no key")
        #expect(try LoopbackHttp.request(port: octo.port, "GET", "/plugin/appkeys/probe").status == 204)
        #expect(try octo.request("GET", "/api/server?apikey=\(octo.key)", key: .some(nil)).status == 200,
                "the key works as ?apikey= too")
        #expect(try octo.request("GET", "/api/server", key: .some(nil), headers: ["Authorization": "Bearer \(octo.key)"]).status == 200,
                "and as a bearer token")
        #expect(try octo.request("GET", "/api/server", key: .some(nil), headers: ["Authorization": "Bearer wrong"]).status == 403)
        #expect(octo.rig.harness.agent.log.contains("API request with a wrong key from 127.0.0.1"))
    }

    /// Hostile names and paths, bodies that are not what the route takes, and uploads that
    /// cannot fit: each is refused with its status and a sentence, and the storage holds what
    /// it held (no partial or temporary file); the broker is still answered.
    @Test func badInputIsRefusedAndChangesNothing() throws {
        let octo = try OctoRig()
        let cube = Fixture.folder.appendingPathComponent("cube.gcode").path
        for name in ["../escape.gcode", ".hidden.gcode", "a/b.gcode", "..", "bad\u{7f}.gcode"] {
            let answer = try octo.slicerUpload(cube, as: name, print: false)
            #expect(OctoRig.status(answer) == 400, "\(name): \(answer)")
            #expect(OctoRig.body(answer)["error"] is String, "\(name): the answer says why")
        }
        for path in ["..", "../..", "a/../../b", ".hidden", "a/.git"] {
            let answer = try Tool.run("curl", ["-s", "-i", "-H", "X-Api-Key: \(octo.key)", "-F", "path=\(path)",
                                               "-F", "file=@\(cube);filename=x.gcode", "http://127.0.0.1:\(octo.port)/api/files/local"])
            #expect(OctoRig.status(answer) == 400, "path \(path): \(answer)")
        }
        let json = ["Content-Type": "application/json"]
        #expect(try octo.request("POST", "/api/files/local", headers: json, body: Data("{}".utf8)).status == 415,
                "a body that is not multipart")
        // A multipart body that ends inside the file part.
        let truncated = Data("--octo-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.gcode\"\r\n\r\nG28\nG1 X1".utf8)
        let cut = try octo.request("POST", "/api/files/local", headers: ["Content-Type": "multipart/form-data; boundary=octo-boundary"],
                                   body: truncated)
        #expect(cut.status == 400, "a truncated form: \(cut.status) \(cut.text)")
        // An upload announced larger than the free space is refused before its body is read.
        let huge = try Tool.run("curl", ["-s", "-i", "-H", "X-Api-Key: \(octo.key)", "-H", "Content-Length: 999999999999999",
                                         "-H", "Content-Type: multipart/form-data; boundary=octo-boundary", "--data-binary", "x",
                                         "http://127.0.0.1:\(octo.port)/api/files/local"])
        #expect(OctoRig.status(huge) == 507, "\(huge)")
        #expect(try octo.request("POST", "/api/job", headers: json, body: Data(repeating: 0x20, count: 70_000)).status == 413)
        for (body, status) in [("not json", 400), ("[]", 400), ("{\"command\":\"restart\"}", 400), ("{\"command\":\"start\"}", 409),
                               ("{\"command\":\"pause\",\"action\":\"sideways\"}", 400), ("{\"command\":\"cancel\"}", 409)] {
            let answer = try octo.request("POST", "/api/job", headers: json, body: Data(body.utf8))
            #expect(answer.status == status, "job \(body): \(answer.status) \(answer.text)")
            #expect(answer.json["error"] is String, "job \(body): the answer says why")
        }
        #expect(try octo.request("DELETE", "/api/files/local/missing.gcode").status == 404)
        #expect(try octo.request("GET", "/api/files/local/missing.gcode").status == 404)
        #expect(try octo.request("POST", "/api/files/local/missing.gcode", headers: json,
                                 body: Data("{\"command\":\"select\"}".utf8)).status == 404)
        let traversal = try Tool.run("curl", ["-s", "-i", "--path-as-is", "-X", "DELETE", "-H", "X-Api-Key: \(octo.key)",
                                              "http://127.0.0.1:\(octo.port)/api/files/local/../../agent.conf"])
        #expect(OctoRig.status(traversal) == 400, "\(traversal)")
        #expect(FileManager.default.fileExists(atPath: octo.rig.storage.path + "/agent.conf"))
        // The console is off by default: refused with 403, naming the key that turns it on.
        let console = try octo.request("POST", "/api/printer/command", headers: json, body: Data("{\"command\":\"M104 S200\"}".utf8))
        #expect(console.status == 403 && console.text.contains("gcode_console"), "\(console.text)")
        #expect(octo.rootNames == ["cube.gcode"], "nothing stored and no temporary file left: \(octo.rootNames)")
        #expect(try octo.rig.harness.ask("info", "query").json?["code"] as? Int == 200, "the broker is still answered")
    }

    /// A client that stops half way through an upload leaves no partial file, holds the one
    /// upload slot only until it is dropped, and the next upload goes through.
    @Test func aClientThatStopsMidUploadLeavesNoPartialFile() throws {
        let octo = try OctoRig()
        var connection: RawConnection? = try RawConnection(port: octo.port)
        let head = "POST /api/files/local HTTP/1.1\r\nHost: printer\r\nX-Api-Key: \(octo.key)\r\n"
            + "Content-Type: multipart/form-data; boundary=agent-test-boundary\r\nContent-Length: 100300\r\n\r\n"
        let part = "--agent-test-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.gcode\"\r\n\r\n"
        #expect(connection?.send(Data((head + part).utf8) + Data(repeating: 0x47, count: 60_000)) == true)
        try waitUntil("the partial file in the storage root", timeout: 10) {
            octo.rootNames.contains { $0.hasPrefix(".agent-download-") }
        }
        let busy = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "other.gcode", print: false)
        #expect(OctoRig.status(busy) == 409, "one upload at a time: \(busy)")
        connection = nil  // the client goes away
        try octo.rig.harness.agent.waitForLog("API upload abandoned", timeout: 60)
        #expect(octo.rootNames == ["cube.gcode"], "the partial file is removed")
        let stored = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "after.gcode", print: false)
        #expect(OctoRig.status(stored) == 201, "the next upload goes through: \(stored)")
    }

    /// `printer-agent --rotate-api-key` while the agent runs: a new key in the file, with the
    /// old file's owner and permissions; the running agent (the same process) refuses the old
    /// key at once and takes the new one; `--print-identity` shows it. Without a key yet it is
    /// refused and makes none.
    @Test func aRotatedKeyReplacesTheOldOneWithoutARestart() throws {
        let api = try ApiAgent()
        let (port, config, file) = (api.port, api.config, api.keyFile)
        let old = try api.key()
        // As a package leaves it: the agent's user's (here nobody's), readable by its group.
        try FileManager.default.setAttributes([.ownerAccountID: 65534, .groupOwnerAccountID: 65534, .posixPermissions: 0o640],
                                              ofItemAtPath: file)
        let job = { (key: String) throws -> Int in try LoopbackHttp.request(port: port, "GET", "/api/job", headers: ["X-Api-Key": key]).status }
        #expect(try job(old) == 200)

        let rotated = try AgentProcess.runToEnd(["-c", config, "--rotate-api-key"])
        #expect(rotated.status == 0, "\(rotated.err)")
        let new = try api.key()
        #expect(new.count == 32 && new != old && new.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(rotated.out.hasPrefix("http_api_key = \(new) "), "the new key is printed: \(rotated.out)")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect(attributes[.ownerAccountID] as? Int == 65534 && attributes[.groupOwnerAccountID] as? Int == 65534)
        #expect(attributes[.posixPermissions] as? Int == 0o640, "the old file's permissions are kept")
        #expect(try FileManager.default.contentsOfDirectory(atPath: api.storage.path + "/state").filter { $0.hasPrefix(".") } == [],
                "no temporary file left")

        let refused = try LoopbackHttp.request(port: port, "GET", "/api/job", headers: ["X-Api-Key": old])
        #expect(refused.status == 403 && refused.text.contains("wrong API key"), "the old key is refused at once: \(refused.text)")
        #expect(try job(new) == 200, "the new key is taken")
        #expect(try LoopbackHttp.request(port: port, "GET", "/api/version").status == 200)
        #expect(api.harness.agent.log.components(separatedBy: "OctoPrint-compatible API on").count == 2, "the agent was not restarted")
        #expect(try api.harness.ask("info", "query").json?["code"] as? Int == 200, "the agent still runs and answers")
        let identity = try AgentProcess.runToEnd(["-c", config, "--print-identity"])
        #expect(identity.out.contains("http_api_key = \(new)"), "--print-identity shows the new key: \(identity.out)")

        let empty = try TemporaryDirectory()
        let fresh = try empty.write("agent.conf", "model_id = \(AgentProcess.modelId)\ndevice_id = \(AgentProcess.deviceId)\nstate_dir = \(empty.path)/state\n")
        let missing = try AgentProcess.runToEnd(["-c", fresh, "--rotate-api-key"])
        #expect(missing.status == 1 && missing.err.contains("there is no API key in \(empty.path)/state/api-key"), "\(missing.err)")
        #expect(!FileManager.default.fileExists(atPath: empty.path + "/state/api-key"), "no key made")
    }

    /// A hundred clients holding idle connections to the API's port: the API still answers
    /// (the open `/api/version` and a route behind the key), and so do the MQTT commands.
    @Test func idleConnectionsDoNotStopTheApiOrMQTT() throws {
        let octo = try OctoRig()
        try IdleConnections.check(port: octo.port, harness: octo.rig.harness, server: "the API") { timeout in
            let version = try octo.request("GET", "/api/version", timeout: timeout)
            let job = try octo.request("GET", "/api/job", timeout: timeout)
            return (version.json["server"] as? String == "1.10.3" && job.json["state"] as? String == "Operational",
                    "GET /api/version: \(version.status) \(version.text); GET /api/job: \(job.status) \(job.text.prefix(200))")
        }
    }

    /// One upload at a time, whichever server it comes through: while a LAN upload runs, the
    /// API's is refused with 409, and goes through once the LAN one has ended.
    @Test func oneUploadAtATimeAcrossLanModeAndTheApi() throws {
        let apiPort = try FreePort.find()
        let rig = try LanRig(extra: ["http_api = yes", "http_api_listen = 127.0.0.1", "http_api_port = \(apiPort)"])
        try rig.harness.agent.waitForLog("OctoPrint-compatible API on")
        let key = try String(contentsOfFile: rig.storage.path + "/state/api-key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let cube = Fixture.folder.appendingPathComponent("cube.gcode").path
        let upload = ["-s", "-i", "-H", "X-Api-Key: \(key)", "-F", "path=", "-F", "file=@\(cube);filename=api.gcode",
                      "http://127.0.0.1:\(apiPort)/api/files/local"]
        let connection = try rig.startPartialUpload()
        let busy = try Tool.run("curl", upload)
        #expect(OctoRig.status(busy) == 409 && busy.contains("another upload"), "\(busy)")
        connection.hangUp()
        try rig.harness.agent.waitForLog("LAN upload abandoned", timeout: 60)
        let stored = try Tool.run("curl", upload)
        #expect(OctoRig.status(stored) == 201, "\(stored)")
        #expect(rig.rootNames == ["api.gcode"])
    }

    /// A file cannot be uploaded over the one being printed, nor deleted while it prints.
    @Test func theFileBeingPrintedIsKept() throws {
        let octo = try OctoRig()
        let json = ["Content-Type": "application/json"]
        // Selected only, then started by the job command.
        #expect(try octo.request("POST", "/api/files/local/cube.gcode", headers: json,
                                 body: Data("{\"command\":\"select\"}".utf8)).status == 204)
        #expect(try octo.jobState() == "Operational", "selecting does not print")
        #expect(try octo.request("POST", "/api/job", headers: json, body: Data("{\"command\":\"start\"}".utf8)).status == 204)
        try octo.waitForJob("Printing")
        #expect(try octo.request("DELETE", "/api/files/local/cube.gcode").status == 409)
        let over = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "cube.gcode", print: false)
        #expect(OctoRig.status(over) == 409, "\(over)")
        let again = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "other.gcode", print: true)
        #expect(OctoRig.status(again) == 409 && again.contains("was stored"), "a second print is refused, the file kept: \(again)")
        #expect(octo.rootNames == ["cube.gcode", "other.gcode"])
        #expect(try octo.request("POST", "/api/job", headers: json, body: Data("{\"command\":\"cancel\"}".utf8)).status == 204)
        try octo.waitForJob("Operational")
    }

    /// An API that cannot have its port (taken here; port 80 without the right to bind it on a
    /// printer) is logged, and the agent serves its MQTT clients without it.
    @Test func anApiThatCannotListenLeavesTheAgentRunning() throws {
        let storage = try TemporaryDirectory()
        let holder = try HTTPTestServer(root: storage.path)  // holds the port
        let config = try storage.write("agent.conf", ["state_dir = \(storage.path)/state", "http_api = yes",
                                                      "http_api_listen = 127.0.0.1", "http_api_port = \(holder.port)"]
                                                        .joined(separator: "\n") + "\n")
        let harness = try Harness(agentArguments: ["-c", config, "--storage", storage.path])
        try harness.agent.waitForLog("the OctoPrint-compatible API is off: ")
        #expect(try harness.ask("info", "query").json?["code"] as? Int == 200, "the broker is answered")
    }

    /// With the controller not connected, `/api/printer` is 409 as on OctoPrint and the job
    /// says Offline.
    @Test func aDisconnectedControllerIsOffline() throws {
        let port = try FreePort.find()
        let storage = try TemporaryDirectory()
        let config = try storage.write("agent.conf", ["controller = marlin", "serial_port = \(storage.path)/no-such-port",
                                                      "state_dir = \(storage.path)/state", "http_api = yes",
                                                      "http_api_listen = 127.0.0.1", "http_api_port = \(port)"].joined(separator: "\n") + "\n")
        let harness = try Harness(agentArguments: ["-c", config, "--storage", storage.path])
        try harness.agent.waitForLog("OctoPrint-compatible API on")
        let key = try String(contentsOfFile: storage.path + "/state/api-key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let printer = try LoopbackHttp.request(port: port, "GET", "/api/printer", headers: ["X-Api-Key": key])
        #expect(printer.status == 409, "\(printer.text)")
        let job = try LoopbackHttp.request(port: port, "GET", "/api/job", headers: ["X-Api-Key": key])
        #expect(job.json["state"] as? String == "Offline")
        let identity = try AgentProcess.runToEnd(["-c", config, "--model-id", AgentProcess.modelId, "--device-id",
                                                  AgentProcess.deviceId, "--print-identity"])
        #expect(identity.out.contains("http_api_key = \(key)"), "--print-identity shows the key: \(identity.out)")
        let refused = try AgentProcess.runToEnd(["-c", config, "--model-id", AgentProcess.modelId, "--device-id",
                                                 AgentProcess.deviceId, "--approve-app", "../../etc/passwd"])
        #expect(refused.status == 2 && refused.err.contains("letters and digits"), "a code that is not one: \(refused.err)")
    }
}
