import Foundation
import Testing
import TestSupport

/// The web page (www/, docs/web-page.md) as the API's server serves it, and as a person uses
/// it in a real browser: Debian's headless Chromium, driven by Selenium, against the agent
/// printing on the Marlin simulator.
@Suite struct WebPageTests {
    /// `/` is the page and its files come with their types, with no key; a name that is not a
    /// file of the folder, a hidden one or one outside it is 404; the API still needs its key.
    @Test func theFolderIsServedAndNothingElse() throws {
        let octo = try OctoRig()
        let url = "http://127.0.0.1:\(octo.port)"
        let page = try Tool.run("curl", ["-s", "-i", url + "/"])
        #expect(OctoRig.status(page) == 200, "\(page)")
        #expect(page.contains("Content-Type: text/html; charset=utf-8"), "\(page)")
        #expect(page.contains("<script src=\"page.js\"></script>"))
        for (name, type) in [("page.js", "text/javascript"), ("page.css", "text/css"), ("index.html", "text/html")] {
            let answer = try Tool.run("curl", ["-s", "-i", url + "/" + name])
            #expect(OctoRig.status(answer) == 200 && answer.contains("Content-Type: \(type)"), "\(name): \(answer.prefix(200))")
        }
        for path in ["/missing.js", "/../Package.swift", "/%2e%2e/Package.swift", "/www/page.js", "/.git", "/api"] {
            let answer = try Tool.run("curl", ["-s", "-i", "--path-as-is", url + path])
            #expect(OctoRig.status(answer) == 404, "\(path): \(answer.prefix(200))")
        }
        #expect(try octo.request("GET", "/api/printer", key: .some(nil)).status == 403, "the API still needs the key")
    }

    /// Without a page in `http_api_www`, `/` says where it was looked for; the API works.
    @Test func aMissingPageIsSaidSo() throws {
        let empty = try TemporaryDirectory()
        let octo = try OctoRig(www: empty.path)
        let answer = try LoopbackHttp.request(port: octo.port, "GET", "/")
        #expect(answer.status == 404)
        #expect(answer.text.contains("no index.html in \(empty.path)"), "\(answer.text)")
        #expect(octo.rig.harness.agent.log.contains("index.html is missing"))
        #expect(try octo.request("GET", "/api/version").status == 200)
    }

    /// In Chromium: the page asks for the key (a wrong one is refused, saying where the right
    /// one is), then shows the printer Operational with its temperatures and version; an
    /// application's key request shows in its box, and Approve gives the polling application
    /// the key (Deny, on another, ends its request: 404); new
    /// targets and the fan's commands reach the board (M106 and M107 allowed on the
    /// console); a file uploaded with the progress bar shows in the list;
    /// its Print button starts the print (Printing, the file and its progress); Pause, Resume
    /// and Stop work; the console shows the API's refusal of a command not allowed; Delete
    /// removes the file; a print another client starts shows. The Anycubic clients see the
    /// same print. The screenshots stay in the folder the test prints.
    @Test func aPersonPrintsFromThePage() throws {
        let octo = try OctoRig(config: ["gcode_console = M106 M107"])
        let upload = try octo.rig.storage.write("upload/page-cube.gcode", try Fixture.data("cube.gcode"))
        let screens = ClientDriver.repository.appendingPathComponent(".build/page-screenshots/\(Int(Date().timeIntervalSince1970))").path
        print("WebPageTests: the browser's screenshots are in \(screens)")
        let steps = try ClientDriver.runPage(url: "http://127.0.0.1:\(octo.port)/", key: octo.key, upload: upload, screens: screens)
        #expect(steps.map(\.name) == ClientDriver.pageSteps, "the driver ran every step")
        for step in steps where !step.ok { Issue.record("the page, step \(step.name): \(step.error ?? "failed")") }
        let details = Dictionary(steps.map { ($0.name, $0.details) }, uniquingKeysWith: { first, _ in first })
        #expect(details["key"]?["stored_key"] as? String == octo.key, "the key is kept in the browser")
        #expect(details["key"]?["usb_shown"] as? Bool == false, "without a USB stick there is no USB list")
        #expect((details["key"]?["wrong_key"] as? String)?.contains("printer-agent --print-identity") == true,
                "a wrong key is refused saying where the right one is")
        print("WebPageTests: the page loaded in \((details["key"]?["load_ms"] as? Double).map { Int($0) } ?? -1) ms")
        #expect((details["key"]?["version"] as? String)?.contains("agent ") == true, "the version line shows")
        #expect((details["app-request"]?["row"] as? String)?.contains("Page Test App") == true, "the request is listed")
        #expect(details["app-request"]?["poll"] as? Int == 202, "the application waits")
        #expect(details["app-approve"]?["api_key"] as? String == octo.key, "Approve gives the application the key")
        #expect(details["app-approve"]?["message"] as? String == "Approved Page Test App")
        #expect(details["app-deny"]?["poll"] as? Int == 404, "Deny ends the request")
        #expect(octo.rig.harness.agent.log.contains("application \"Page Test App\" approved with the API key"))
        #expect(details["upload"]?["progress"] as? Double == 100, "the progress bar is full")
        #expect(details["upload"]?["stored_size"] as? Int == (try Fixture.data("cube.gcode")).count,
                "the uploaded file is stored whole")
        #expect(details["print"]?["file"] as? String == "page-cube.gcode")
        let received = octo.rig.simulator.commandsReceived
        let fanOn = received.firstIndex(of: "M106 S128")
        #expect(fanOn.map { received.dropFirst($0 + 1).first == "M107" } == true,
                "the page's fan commands (50 %, then off) reached the board: \(received.filter { $0.hasPrefix("M10") })")
        #expect((details["console"]?["answer"] as? String)?.contains("M115 is not allowed") == true,
                "the refusal is shown: \(details["console"] ?? [:])")
        #expect(details["console"]?["key_form_hidden"] as? Bool == true, "a refused command does not ask for the key again")
        #expect(octo.rig.printStates.contains("paused") && octo.rig.printStates.contains("stoped"),
                "the Anycubic clients saw the pause and the stop: \(octo.rig.printStates)")
        #expect(received.contains { $0.hasPrefix("M104 S190") } && received.contains { $0.hasPrefix("M140 S55") },
                "the page's targets reached the board")
        #expect(details["stop"]?["enabled"] as? [String: Bool] == ["pause": false, "resume": false, "stop": false],
                "without a print, the print's buttons are off")
        #expect(!FileManager.default.fileExists(atPath: octo.root + "/page-cube.gcode"), "the page deleted the file")
        #expect(details["outside-print"]?["file"] as? String == "cube.gcode", "the page follows a print started elsewhere")
        for step in steps {
            let shot = step.details["screenshot"] as? String ?? ""
            #expect(FileManager.default.fileExists(atPath: shot), "the screenshot of \(step.name) is kept")
        }
    }

    /// With a USB stick in, the page shows its G-code files in their own list (not among the
    /// local ones); Print prints from the stick (origin sdcard, `filetype` 2 for the Anycubic
    /// clients); Delete, confirmed, removes the file from the stick.
    @Test(Root.required(reason: "mounts a USB stick's ext2 image on a loop device in a mount namespace"))
    func aStickHasItsOwnList() throws {
        let stick = try UsbStick(files: ["usb-cube.gcode": try Fixture.data("cube.gcode")])
        let octo = try OctoRig(stick: stick)
        let upload = try octo.rig.storage.write("upload/page-cube.gcode", try Fixture.data("cube.gcode"))
        let screens = ClientDriver.repository.appendingPathComponent(".build/page-screenshots/usb-\(Int(Date().timeIntervalSince1970))").path
        print("WebPageTests: the browser's screenshots are in \(screens)")
        let steps = try ClientDriver.runPage(url: "http://127.0.0.1:\(octo.port)/", key: octo.key, upload: upload, screens: screens,
                                             usb: "usb-cube.gcode")
        #expect(steps.map(\.name) == ClientDriver.pageUsbSteps, "the driver ran every step")
        for step in steps where !step.ok { Issue.record("the page, step \(step.name): \(step.error ?? "failed")") }
        let details = Dictionary(steps.map { ($0.name, $0.details) }, uniquingKeysWith: { first, _ in first })
        #expect(details["key"]?["usb_shown"] as? Bool == true)
        #expect((details["usb-list"]?["row"] as? String)?.contains("usb-cube.gcode") == true)
        #expect(details["usb-list"]?["local_rows"] as? [String] == ["cube.gcode"], "the stick's file is not among the local ones")
        #expect(details["usb-print"]?["origin"] as? String == "sdcard")
        #expect(PrintRig.data(try octo.rig.waitForPrint("printing"))["filetype"] as? Int == 2,
                "the Anycubic clients saw a print from the USB stick")
        #expect(details["usb-delete"]?["sdcard"] as? [String] == [], "the file is gone from the stick")
        #expect(FileManager.default.fileExists(atPath: octo.root + "/cube.gcode"), "the local file is kept")
    }
}
