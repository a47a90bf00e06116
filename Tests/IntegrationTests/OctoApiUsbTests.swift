import Foundation
import Testing
import TestSupport

/// The USB stick as OctoPrint's `sdcard` origin (docs/octoprint-api.md): listed beside the
/// local files, printed from through the same path as `print/start` with `filetype` 2, deleted,
/// never written; hostile paths refused; with no stick, OctoPrint's answers for a printer
/// without an SD card. The stick is a real ext2 image on a loop device (`UsbStick`).
@Suite struct OctoApiUsbTests {
    static let json = ["Content-Type": "application/json"]
    static let selectAndPrint = Data("{\"command\":\"select\",\"print\":true}".utf8)
    /// curl's arguments for a slicer's upload of the fixture as `new.gcode`.
    static let uploadForm = ["-F", "path=", "-F", "file=@\(Fixture.folder.appendingPathComponent("cube.gcode").path);filename=new.gcode"]

    /// A stick holding a G-code file at its root, one in a folder, a text file and a hidden
    /// G-code file.
    static func stick() throws -> UsbStick {
        let cube = try Fixture.data("cube.gcode")
        return try UsbStick(files: ["stick-cube.gcode": cube, "models/deep.gcode": cube, "notes.txt": Data("hello\n".utf8),
                                    ".hidden.gcode": cube])
    }

    /// curl's output for `method` `path` on the API of `octo`, with the key, the path sent as
    /// it is (`..` included) and `extra` arguments.
    static func curl(_ octo: OctoRig, _ method: String, _ path: String, _ extra: [String] = []) throws -> String {
        try Tool.run("curl", ["-s", "-i", "--path-as-is", "-X", method, "-H", "X-Api-Key: \(octo.key)"] + extra
                             + ["http://127.0.0.1:\(octo.port)\(path)"])
    }

    /// The `files` array of `answer`.
    static func files(_ answer: LoopbackHttp.Answer) -> [[String: Any]] { answer.json["files"] as? [[String: Any]] ?? [] }

    /// `GET /api/files/sdcard` lists the stick's G-code files at every level (no folder, no
    /// text file, no hidden file) as OctoPrint lists an SD card's; `GET /api/files` has them
    /// beside the local ones; one file's entry is there, a folder or a text file is 404;
    /// `/api/printer` says the card is ready. Uploads to the stick are refused with 409.
    @Test(Root.required(reason: "mounts a USB stick's ext2 image on a loop device in a mount namespace"))
    func theStickIsListedAsTheSdcardOrigin() throws {
        let stick = try Self.stick()
        let octo = try OctoRig(stick: stick)
        let size = try Fixture.data("cube.gcode").count
        let sdcard = try octo.request("GET", "/api/files/sdcard")
        #expect(sdcard.status == 200, "\(sdcard.text)")
        let entries = Self.files(sdcard).sorted { ($0["path"] as? String ?? "") < ($1["path"] as? String ?? "") }
        #expect(entries.map { $0["path"] as? String } == ["models/deep.gcode", "stick-cube.gcode"], "\(sdcard.text)")
        for entry in entries {
            #expect(entry["origin"] as? String == "sdcard" && entry["type"] as? String == "machinecode", "\(entry)")
            #expect(entry["size"] as? Int == size, "\(entry)")
            #expect(entry["name"] as? String == entry["path"] as? String, "OctoPrint names an SD card's file by its path")
        }
        #expect(entries.last?["display"] as? String == "stick-cube.gcode")
        #expect((entries.first?["refs"] as? [String: Any])?["resource"] as? String
                == "http://127.0.0.1:\(octo.port)/api/files/sdcard/models/deep.gcode")
        #expect(sdcard.json["free"] == nil, "no free space for the SD card, as OctoPrint answers")
        let all = Self.files(try octo.request("GET", "/api/files"))
        #expect(all.map { "\($0["origin"] ?? "")/\($0["path"] ?? "")" }.sorted()
                == ["local/cube.gcode", "sdcard/models/deep.gcode", "sdcard/stick-cube.gcode"])
        let one = try octo.request("GET", "/api/files/sdcard/stick-cube.gcode")
        #expect(one.status == 200 && one.json["origin"] as? String == "sdcard", "\(one.text)")
        for path in ["models", "notes.txt", "missing.gcode"] {
            let answer = try octo.request("GET", "/api/files/sdcard/" + path)
            #expect(answer.status == 404 && answer.json["error"] is String, "\(path): \(answer.status) \(answer.text)")
        }
        let printer = try octo.request("GET", "/api/printer").json
        #expect((printer["sd"] as? [String: Any])?["ready"] as? Bool == true)
        #expect(((printer["state"] as? [String: Any])?["flags"] as? [String: Any])?["sdReady"] as? Bool == true)
        let upload = try Self.curl(octo, "POST", "/api/files/sdcard", Self.uploadForm)
        #expect(OctoRig.status(upload) == 409 && (OctoRig.body(upload)["error"] as? String)?.contains("local") == true, "\(upload)")
        #expect(Self.files(try octo.request("GET", "/api/files/sdcard")).count == 2, "nothing was written to the stick")
        #expect(octo.rootNames == ["cube.gcode"], "nor to the local storage")
    }

    /// A file on the stick, selected, then started by the job command, prints on the simulator through the
    /// Anycubic print path (`filetype` 2 in the reports); `/api/job` shows it with origin
    /// `sdcard` and its size; it cannot be deleted while it prints; after the cancel, DELETE
    /// removes it from the stick, and a second DELETE is 404. Paths out of the stick are 400, a
    /// hidden file 404, and they change nothing.
    @Test(Root.required(reason: "mounts a USB stick's ext2 image on a loop device in a mount namespace"))
    func aFileOnTheStickPrintsAndIsDeleted() throws {
        let stick = try Self.stick()
        let octo = try OctoRig(stick: stick)
        // Paths out of the stick are refused; a hidden file is not one the listing shows: 404.
        for (path, status) in [("..", 400), ("../cube.gcode", 400), ("a/../../b.gcode", 400), ("models/../../x.gcode", 400),
                               (".hidden.gcode", 404)] {
            for method in ["GET", "POST", "DELETE"] {
                let body = ["-H", "Content-Type: application/json", "--data", "{\"command\":\"select\",\"print\":true}"]
                let answer = try Self.curl(octo, method, "/api/files/sdcard/" + path, method == "POST" ? body : [])
                #expect(OctoRig.status(answer) == status, "\(method) \(path): \(answer)")
            }
        }
        #expect(Self.files(try octo.request("GET", "/api/files/sdcard")).count == 2, "the hostile requests deleted nothing")
        #expect(FileManager.default.fileExists(atPath: octo.root + "/cube.gcode"))
        #expect(try octo.jobState() == "Operational", "and printed nothing")

        // Selected only (octorest's test selects with print=true), then started by the job command.
        let select = try octo.request("POST", "/api/files/sdcard/stick-cube.gcode", headers: Self.json,
                                      body: Data("{\"command\":\"select\"}".utf8))
        #expect(select.status == 204, "\(select.text)")
        #expect(try octo.jobState() == "Operational", "selecting does not print")
        #expect(try octo.request("POST", "/api/job", headers: Self.json, body: Data("{\"command\":\"start\"}".utf8)).status == 204)
        let report = try octo.rig.waitForPrint("printing")
        #expect(PrintRig.data(report)["filetype"] as? Int == 2, "the Anycubic clients see a print from the USB stick")
        try octo.waitForJob("Printing")
        let file = ((try octo.request("GET", "/api/job").json["job"] as? [String: Any])?["file"] as? [String: Any]) ?? [:]
        #expect(file["origin"] as? String == "sdcard" && file["path"] as? String == "stick-cube.gcode", "\(file)")
        #expect(file["size"] as? Int == (try Fixture.data("cube.gcode")).count, "\(file)")
        let busy = try octo.request("DELETE", "/api/files/sdcard/stick-cube.gcode")
        #expect(busy.status == 409, "the file being printed is kept: \(busy.status) \(busy.text)")
        #expect(try octo.request("POST", "/api/job", headers: Self.json, body: Data("{\"command\":\"cancel\"}".utf8)).status == 204)
        try octo.waitForJob("Operational")

        #expect(try octo.request("DELETE", "/api/files/sdcard/stick-cube.gcode").status == 204)
        let left = Self.files(try octo.request("GET", "/api/files/sdcard")).map { $0["path"] as? String }
        #expect(left == ["models/deep.gcode"], "the file is gone from the stick: \(left)")
        #expect(try octo.request("DELETE", "/api/files/sdcard/stick-cube.gcode").status == 404)
        let listed = try octo.rig.harness.ask("file", "listUdisk").json
        #expect(!(String(describing: listed ?? [:])).contains("stick-cube.gcode"), "the Anycubic listing agrees")
        #expect(try stick.rootNames(inNamespaceOf: octo.rig.harness.agent.pid) == [".hidden.gcode", "lost+found", "models", "notes.txt"],
                "only that file was deleted")
    }

    /// octorest's own SD card calls (`files("sdcard")`, `files_info`, `select("sdcard/...",
    /// print=True)`, `delete("sdcard/...")`, `upload(location="sdcard")`): the stick's file is
    /// listed, prints with origin sdcard, is deleted; the upload is refused.
    @Test(Root.required(reason: "mounts a USB stick's ext2 image on a loop device in a mount namespace"))
    func octorestUsesTheStickAsItsSdCard() throws {
        let stick = try Self.stick()
        let octo = try OctoRig(stick: stick)
        let upload = try octo.rig.storage.write("upload/rest-cube.gcode", try Fixture.data("cube.gcode"))
        let steps = try ClientDriver.runOctoPrint("octorest", port: octo.port, key: octo.key, upload: upload,
                                                  sdcard: "stick-cube.gcode")
        #expect(steps.map(\.name) == ClientDriver.octorestSdcardSteps, "the driver ran every step")
        for step in steps where !step.ok { Issue.record("octorest, step \(step.name): \(step.error ?? "failed")") }
        let details = Dictionary(steps.map { ($0.name, $0.details) }, uniquingKeysWith: { first, _ in first })
        #expect((details["sd-files"]?["paths"] as? [String])?.sorted() == ["models/deep.gcode", "stick-cube.gcode"])
        #expect(details["sd-printing"]?["origin"] as? String == "sdcard")
        #expect(details["sd-delete"]?["paths"] as? [String] == ["models/deep.gcode"])
        #expect(details["sd-upload"]?["status"] as? Int == 409)
    }

    /// Without a stick the answers are OctoPrint's for a printer without an SD card: an empty
    /// list, 404 for a file, 409 for an upload, `sd.ready` false; hostile paths are still 400;
    /// nothing is 5xx.
    @Test func withoutAStickTheSdcardOriginIsEmpty() throws {
        let octo = try OctoRig()
        let sdcard = try octo.request("GET", "/api/files/sdcard")
        #expect(sdcard.status == 200 && Self.files(sdcard).isEmpty && sdcard.json["files"] != nil, "\(sdcard.text)")
        #expect(Self.files(try octo.request("GET", "/api/files")).map { $0["origin"] as? String } == ["local"])
        #expect(try octo.request("GET", "/api/files/sdcard/cube.gcode").status == 404)
        #expect(try octo.request("POST", "/api/files/sdcard/cube.gcode", headers: Self.json, body: Self.selectAndPrint).status == 404)
        let delete = try octo.request("DELETE", "/api/files/sdcard/cube.gcode")
        #expect(delete.status == 404 && (delete.json["error"] as? String)?.contains("no USB stick") == true, "\(delete.text)")
        #expect(OctoRig.status(try Self.curl(octo, "DELETE", "/api/files/sdcard/../cube.gcode")) == 400)
        let upload = try Self.curl(octo, "POST", "/api/files/sdcard", Self.uploadForm)
        #expect(OctoRig.status(upload) == 409 && upload.contains("none is inserted"), "\(upload)")
        #expect(((try octo.request("GET", "/api/printer").json["sd"]) as? [String: Any])?["ready"] as? Bool == false)
        #expect(octo.rootNames == ["cube.gcode"], "the local file is untouched")
        #expect(try octo.jobState() == "Operational")
    }
}
