import Foundation
import Testing
import TestSupport

/// The OctoPrint-compatible API driven by what users point at it: a slicer's upload-and-print
/// (the exact request OrcaSlicer and PrusaSlicer send, with curl), and the published OctoPrint
/// client libraries from PyPI (`octorest`; `pyoctoprintapi`, the library of Home Assistant's
/// OctoPrint integration) through their own APIs, on the Marlin simulator (the slicer and
/// octorest on the Klipper one too). The Anycubic clients, on the broker, see the same print.
@Suite struct OctoApiClientTests {
    /// A slicer's upload with print=true stores the file under the name it gave and starts
    /// printing it; the answer is OctoPrint's (201, Location, files.local, done, effectivePrint),
    /// and the print reports go out on MQTT as for a print the app started.
    @Test(arguments: ["marlin", "klipper"])
    func slicerUploadAndPrint(controller: String) throws {
        let octo = try OctoRig(controller: controller)
        let answer = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "orca cube.gcode", print: true)
        #expect(OctoRig.status(answer) == 201, "the upload is created: \(answer)")
        #expect(answer.contains("Location: http://127.0.0.1:\(octo.port)/api/files/local/orca%20cube.gcode"), "\(answer)")
        let body = OctoRig.body(answer)
        let local = (body["files"] as? [String: Any])?["local"] as? [String: Any]
        #expect(local?["name"] as? String == "orca cube.gcode")
        #expect(local?["origin"] as? String == "local")
        #expect(body["done"] as? Bool == true)
        #expect(body["effectivePrint"] as? Bool == true)
        #expect(FileManager.default.contents(atPath: octo.root + "/orca cube.gcode") == (try Fixture.data("cube.gcode")),
                "the stored file is the uploaded one, byte for byte")
        let report = try octo.rig.waitForPrint("printing")
        #expect(PrintRig.data(report)["filename"] as? String == "orca cube.gcode", "the Anycubic clients see the print")
        try octo.waitForJob("Printing")
        let job = try octo.request("GET", "/api/job").json
        #expect(((job["job"] as? [String: Any])?["file"] as? [String: Any])?["name"] as? String == "orca cube.gcode")
        #expect(try octo.request("POST", "/api/job", headers: ["Content-Type": "application/json"],
                                 body: Data("{\"command\":\"cancel\"}".utf8)).status == 204)
        try octo.waitForJob("Operational")
        try octo.rig.waitForPrint("stoped")
    }

    /// An upload into a folder that is not there yet (PrusaSlicer's `folder/name.gcode`)
    /// makes the folder, inside the storage root whatever the path says.
    @Test func anUploadIntoANewFolderMakesIt() throws {
        let octo = try OctoRig()
        let cube = Fixture.folder.appendingPathComponent("cube.gcode").path
        let answer = try Tool.run("curl", ["-s", "-i", "-H", "X-Api-Key: \(octo.key)", "-F", "print=false", "-F", "path=/models/new",
                                           "-F", "file=@\(cube);filename=deep.gcode", "http://127.0.0.1:\(octo.port)/api/files/local"])
        #expect(OctoRig.status(answer) == 201, "\(answer)")
        let local = (OctoRig.body(answer)["files"] as? [String: Any])?["local"] as? [String: Any]
        #expect(local?["path"] as? String == "models/new/deep.gcode")
        #expect(FileManager.default.contents(atPath: octo.root + "/models/new/deep.gcode") == (try Fixture.data("cube.gcode")))
        let listing = try octo.request("GET", "/api/files?recursive=true").json["files"] as? [[String: Any]] ?? []
        let models = listing.first { $0["name"] as? String == "models" }
        #expect(models?["type"] as? String == "folder")
        let new = (models?["children"] as? [[String: Any]])?.first { $0["name"] as? String == "new" }
        #expect((new?["children"] as? [[String: Any]])?.first?["path"] as? String == "models/new/deep.gcode")
    }

    /// octorest: version, files, an upload, select with print, the job printing, pause,
    /// resume, cancel, the file deleted: every step passes and leaves what a user expects.
    @Test(arguments: ["marlin", "klipper"])
    func octorestDrivesAPrint(controller: String) throws {
        let octo = try OctoRig(controller: controller)
        let upload = try octo.rig.storage.write("upload/rest-cube.gcode", try Fixture.data("cube.gcode"))
        let steps = try ClientDriver.runOctoPrint("octorest", port: octo.port, key: octo.key, upload: upload)
        #expect(steps.map(\.name) == ClientDriver.octorestSteps, "the driver ran every step")
        for step in steps where !step.ok { Issue.record("octorest on \(controller), step \(step.name): \(step.error ?? "failed")") }
        #expect((steps.first { $0.name == "version" }?.details["version"] as? [String: Any])?["server"] as? String == "1.10.3")
        #expect(octo.rig.printStates.contains("paused") && octo.rig.printStates.contains("stoped"),
                "the Anycubic clients saw the pause and the stop: \(octo.rig.printStates)")
        #expect(!FileManager.default.fileExists(atPath: octo.root + "/rest-cube.gcode"), "the deleted file is gone")
        #expect(FileManager.default.fileExists(atPath: octo.root + "/cube.gcode"), "the other file is still there")
    }

    /// pyoctoprintapi, as Home Assistant's integration runs it: the app-key flow, approved by
    /// the owner on the printer (`printer-agent --approve-app` with the code of the log) or
    /// with the API key (the request found in `GET /api/plugin/appkeys` and approved with
    /// `POST /plugin/appkeys/decision/<code>`, as the web page does), then
    /// with the key it got: server, discovery UUID (stable: made from the device id), webcam,
    /// printer, new heater targets, and a print a slicer started, paused, resumed and cancelled.
    @Test(arguments: ["on the printer", "with the API key"])
    func homeAssistantLibraryGetsAKeyAndFollowsAPrint(approvedBy: String) throws {
        let octo = try OctoRig()
        let answer = try octo.slicerUpload(Fixture.folder.appendingPathComponent("cube.gcode").path, as: "ha-cube.gcode", print: true)
        #expect(OctoRig.status(answer) == 201, "\(answer)")
        let config = octo.rig.agentArguments[1]
        let steps = try ClientDriver.runOctoPrint("pyoctoprintapi", port: octo.port) {
            try octo.rig.harness.agent.waitForLog("printer-agent --approve-app ", timeout: 30)
            if approvedBy == "with the API key" {
                let pending = try octo.request("GET", "/api/plugin/appkeys").json["pending"] as? [String: [String: Any]] ?? [:]
                let code = try #require(pending.first { $0.value["app_id"] as? String == "Home Assistant" }?.key, "\(pending)")
                let decided = try octo.request("POST", "/plugin/appkeys/decision/" + code, headers: ["Content-Type": "application/json"],
                                               body: Data("{\"decision\":true}".utf8))
                #expect(decided.status == 204, "\(decided.text)")
                return
            }
            let log = octo.rig.harness.agent.log
            guard let range = log.range(of: "--approve-app ") else { return }
            let code = String(log[range.upperBound...].prefix { $0.isLetter || $0.isNumber })
            let approved = try AgentProcess.runToEnd(["-c", config, "--model-id", AgentProcess.modelId,
                                                      "--device-id", AgentProcess.deviceId, "--approve-app", code])
            #expect(approved.status == 0, "\(approved.err)")
        }
        #expect(steps.map(\.name) == ClientDriver.pyoctoprintapiSteps, "the driver ran every step")
        for step in steps where !step.ok { Issue.record("pyoctoprintapi, step \(step.name): \(step.error ?? "failed")") }
        let uuid = steps.first { $0.name == "discovery" }?.details["uuid"] as? String
        #expect(uuid == Self.expectedUuid(deviceId: AgentProcess.deviceId), "the UUID is the device id's")
        let printer = steps.first { $0.name == "printer" }?.details ?? [:]
        #expect(printer["operational"] as? Bool == true)
        #expect((printer["tools"] as? [String: Any])?.keys.sorted() == ["bed", "tool0"])
        #expect(steps.first { $0.name == "webcam" }?.details["enabled"] as? Bool == false, "no camera is offered")
        let received = octo.rig.simulator.commandsReceived
        #expect(received.contains { $0.hasPrefix("M104 S205") } && received.contains { $0.hasPrefix("M140 S65") },
                "the new targets reached the board")
        #expect(octo.rig.harness.agent.log.contains("approved " + approvedBy))
    }

    /// The version 3 UUID of the MD5 of `deviceId`.
    static func expectedUuid(deviceId: String) -> String? {
        guard let hex = try? md5Hex(Data(deviceId.utf8)) else { return nil }
        var digits = Array(hex)
        digits[12] = "3"
        let variant = Int(String(digits[16]), radix: 16).map { ($0 & 0x3) | 0x8 } ?? 8
        digits[16] = Character(String(variant, radix: 16))
        let text = String(digits)
        let cuts = [0, 8, 12, 16, 20, 32].map { text.index(text.startIndex, offsetBy: $0) }
        return (0..<5).map { String(text[cuts[$0]..<cuts[$0 + 1]]) }.joined(separator: "-")
    }
}
