import Foundation
import Testing
import TestSupport

/// `printerctl` end to end, as a person at a terminal and a script use it: the agent binary
/// with a real broker and the printer simulators, reached through a broker URL or the LAN
/// handshake, and every failure it names (docs/printerctl.md).
@Suite struct PrinterctlTests {
    /// The options that reach the harness's agent through its broker.
    static func brokerOptions(_ broker: MosquittoBroker) -> [String] {
        ["--broker", broker.url, "--model-id", AgentProcess.modelId, "--device-id", AgentProcess.deviceId]
    }

    @Test func scriptsDriveAKlipperPrintThroughABrokerURLWithJSON() throws {
        let rig = try PrintRig.klipper(["--speed", "20", "--heat-rate", "100"], config: ["gcode_console = M114"])
        try rig.waitForController()
        let options = Self.brokerOptions(rig.harness.broker) + ["--json"]

        let status = try PrinterctlRun.run(["status"] + options)
        #expect(status.status == 0, "\(status)")
        let idle = try #require(status.value as? [String: Any], "\(status)")
        #expect(idle["state"] as? String == "free" && idle["file"] is NSNull && idle["usb"] as? Bool == false)
        #expect((idle["printer"] as? [String: Any])?["device_id"] as? String == AgentProcess.deviceId)
        #expect(idle["nozzle"] is Int && idle["bed_target"] is Int, "temperatures are whole degrees: \(idle)")

        let listing = try PrinterctlRun.run(["ls"] + options)
        let files = try #require(listing.value as? [[String: Any]], "\(listing)")
        let cube = try Fixture.data("cube.gcode")
        #expect(files.contains { $0["name"] as? String == "cube.gcode" && $0["size"] as? Int == cube.count }, "\(files)")

        let console = try PrinterctlRun.run(["console"] + options, input: "M114\nM503\n")
        #expect(console.status == 1, "a refused line makes the exit status 1: \(console)")
        let lines = console.objects
        #expect(lines.count == 3, "one line per G-code line, then the failure: \(console)")
        #expect((lines.first?["lines"] as? [String])?.isEmpty == false, "M114's answer: \(console)")
        #expect(lines.dropFirst().allSatisfy { ($0["error"] as? String)?.contains("M503 is not allowed") == true }, "\(console)")

        let heat = try PrinterctlRun.run(["temp", "--nozzle", "180", "--bed", "50"] + options)
        #expect((heat.value as? [String: Any])?["nozzle_target"] as? Int == 180, "\(heat)")
        #expect((heat.value as? [String: Any])?["bed_target"] as? Int == 50, "\(heat)")
        let fan = try PrinterctlRun.run(["fan", "40"] + options)
        #expect((fan.value as? [String: Any])?["fan_speed_pct"] as? Int == 40, "\(fan)")
        let home = try PrinterctlRun.run(["home"] + options)
        #expect((home.value as? [String: Any])?["done"] as? String == "homed all", "\(home)")
        let move = try PrinterctlRun.run(["move", "z", "-2.5"] + options)
        #expect(move.status == 0, "\(move)")
        try rig.simulator.waitForTranscript("G1 Z-2.5")

        let print = try PrinterctlRun.run(["print", "cube.gcode"] + options)
        #expect(print.status == 0 && (print.value as? [String: Any])?["printing"] as? String == "cube.gcode", "\(print)")
        try rig.waitForPrint("printing")
        let screen = try PrinterctlRun.run(["status"] + Self.brokerOptions(rig.harness.broker))
        #expect(screen.out.contains("busy") && screen.out.contains("job           cube.gcode: printing ["), "\(screen)")
        #expect(!screen.out.contains("\u{1B}["), "no colours off a terminal")
        let watch = try PrinterctlRun(["watch"] + options)
        try waitUntil("watch's first line", timeout: 15) { watch.output.contains("\"phase\":\"printing\"") }

        let early = try PrinterctlRun.run(["resume"] + options)
        #expect(early.status == 1 && early.err.hasPrefix("printerctl: print/resume refused by the printer (code 409): "), "\(early)")
        let pause = try PrinterctlRun.run(["pause"] + options)
        #expect((pause.value as? [String: Any])?["state"] as? String == "pausing", "\(pause)")
        try rig.waitForPrint("paused")
        let resume = try PrinterctlRun.run(["resume"] + options)
        #expect((resume.value as? [String: Any])?["state"] as? String == "resuming", "\(resume)")
        let stop = try PrinterctlRun.run(["stop"] + options)
        #expect((stop.value as? [String: Any])?["state"] as? String == "stopping", "\(stop)")

        let watched = try watch.finish(timeout: 60)
        try rig.waitForPrint("stoped")
        #expect(watched.status == 2 && watched.err == "printerctl: the print was stopped\n", "\(watched)")
        let phases = watched.objects.compactMap { $0["phase"] as? String }
        #expect(phases.contains("paused") && phases.last == "stoped", "watch followed the print: \(phases)")
        #expect((watched.objects.first { $0["error"] != nil })?["exit"] as? Int == 2)
        let stopped = try PrinterctlRun.run(["pause"] + options)
        #expect(stopped.status == 1 && stopped.err.contains("no print is active"), "\(stopped)")
    }

    @Test func aPersonUploadsAndWatchesAMarlinPrintThroughTheLanHandshake() throws {
        let storage = try TemporaryDirectory()
        let root = storage.path + "/gcodes"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let simulator = try PrinterSimulator.marlin(directory: storage, arguments: ["--speed", "300", "--heat-rate", "200"])
        let rig = try LanRig(root: root, extra: ["controller = marlin", "serial_port = \(simulator.path)", "serial_baud = 115200"])
        try rig.waitForController()
        let options = ["--host", "127.0.0.1", "--port", "\(rig.port)"]
        let found = try PrinterctlRun.run(["discover", "--address", "127.0.0.1", "--port", "\(rig.ssdpPort)", "--wait", "2", "--json"])
        let printers = try #require(found.value as? [[String: Any]], "\(found)")
        #expect(printers.count == 1 && printers.first?["cn"] as? String == AgentProcess.deviceId
                && printers.first?["modelId"] as? String == AgentProcess.modelId && printers.first?["ip"] as? String == "127.0.0.1",
                "the printer answers the SSDP search: \(found)")
        let file = try storage.write("my cube.gcode", try Fixture.data("cube.gcode"))

        let upload = try PrinterctlRun.run(["upload", file, "--print"] + options)
        #expect(upload.status == 0, "\(upload)")
        #expect(upload.out.contains("uploaded my cube.gcode (") && upload.out.contains("printing my cube.gcode"), "\(upload)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/my cube.gcode")) == (try Fixture.data("cube.gcode")))

        let hostile = try PrinterctlRun.run(["upload", file, "--name", "../escape.gcode"] + options)
        #expect(hostile.status == 1 && hostile.err.hasPrefix("printerctl: upload refused by the printer (code 400): "), "\(hostile)")

        let watch = try PrinterctlRun(["watch"] + options, terminal: true)
        let watched = try watch.finish(timeout: 120)
        #expect(watched.status == 0, "\(watched)")
        let screen = watched.out
        #expect(screen.contains("\r\u{1B}[2K"), "the bar is redrawn in place: \(screen.debugDescription)")
        #expect(screen.contains("\u{1B}[32m[##############################]\u{1B}[0m  100%"), "a full green bar at the end")
        #expect(screen.contains("my cube.gcode") && screen.contains("layer ") && screen.contains("nozzle "), "\(screen)")
        #expect(screen.contains("finished"), "\(screen)")
        let frames = screen.components(separatedBy: "\r\u{1B}[2K").filter { !$0.isEmpty }
        let percents = frames.compactMap { frame in frame.range(of: #"\d+%"#, options: .regularExpression).map { Int(frame[$0].dropLast()) ?? -1 } }
        #expect(percents.count >= 3 && percents == percents.sorted(), "the bar only moves forward: \(percents)")

        let status = try PrinterctlRun(["status"] + options, terminal: true).finish()
        #expect(status.status == 0 && status.out.contains("\u{1B}[32mfree\u{1B}[0m"), "\(status)")
        let listing = try PrinterctlRun.run(["ls"] + options)
        #expect(listing.out.contains("my cube.gcode") && !listing.out.contains("\u{1B}["), "no colours off a terminal: \(listing)")
        let removed = try PrinterctlRun.run(["rm", "my cube.gcode"] + options)
        #expect(removed.status == 0 && !FileManager.default.fileExists(atPath: root + "/my cube.gcode"), "\(removed)")
    }

    /// `discover` asks SSDP and mDNS together and lists a printer found both ways once, merged
    /// by address: the agent's SSDP answer in LAN mode, and a real mDNS responder
    /// (python-zeroconf, `Tests/Fixtures/mdns/announce.py`) announcing the OctoPrint API at the
    /// same address with the TXT records the printer's Avahi file has.
    @Test func discoverMergesTheSsdpAndMdnsAnswersOfOnePrinter() throws {
        let rig = try LanRig()
        let python = try ClientDriver.venvPython("mdns").get()
        let files = try TemporaryDirectory()
        let announcer = try ChildProcess(python, [Fixture.folder.appendingPathComponent("mdns/announce.py").path, "Kobra Test",
                                                  "127.0.0.1", "8080", "path=/", "version=1.10.3", "api=0.1", "uuid=abc-123",
                                                  "model=Kobra 2 Pro", "vendor=Anycubic"],
                                         stdout: files.path + "/out", stderr: files.path + "/err")
        defer { announcer.send(SIGTERM) }
        try waitUntil("the service announced", timeout: 30) {
            ((try? String(contentsOfFile: files.path + "/out", encoding: .utf8)) ?? "").contains("announced")
        }
        let api = ["name": "Kobra Test", "host": "printer-under-test.local", "port": "8080", "path": "/",
                                  "version": "1.10.3", "api": "0.1", "uuid": "abc-123", "model": "Kobra 2 Pro", "vendor": "Anycubic"]

        // Asked at the printer's address: both answer, one printer.
        let asked = try PrinterctlRun.run(["discover", "--address", "127.0.0.1", "--port", "\(rig.ssdpPort)", "--wait", "2", "--json"])
        let printers = try #require(asked.value as? [[String: Any]], "\(asked)")
        #expect(printers.count == 1, "\(asked)")
        let printer = try #require(printers.first)
        #expect(Set(printer["found"] as? [String] ?? []) == ["ssdp", "mdns"] && printer["ip"] as? String == "127.0.0.1", "\(asked)")
        #expect(printer["cn"] as? String == AgentProcess.deviceId && printer["modelId"] as? String == AgentProcess.modelId, "\(asked)")
        #expect((printer["mdns"] as? [String: Any])?.mapValues { "\($0)" } == api, "\(asked)")
        #expect((printer["mdns"] as? [String: Any])?["port"] is Int, "\(asked)")
        let human = try PrinterctlRun.run(["discover", "--address", "127.0.0.1", "--port", "\(rig.ssdpPort)", "--wait", "2"])
        #expect(human.out.hasPrefix("127.0.0.1  ") && human.out.contains("device \(AgentProcess.deviceId)")
                && human.out.hasSuffix("OctoPrint API on port 8080\n") && human.out.split(separator: "\n").count == 1, "\(human)")

        // Through the mDNS group (multicast, looped back by this machine's interface).
        let group = try PrinterctlRun.run(["discover", "--port", "\(rig.ssdpPort)", "--wait", "2", "--json"])
        let announced = (group.value as? [[String: Any]] ?? []).first { $0["ip"] as? String == "127.0.0.1" }
        #expect(announced?["found"] as? [String] == ["mdns"], "the multicast query is answered: \(group)")
        #expect((announced?["mdns"] as? [String: Any])?["uuid"] as? String == "abc-123", "\(group)")
    }

    @Test func everyFailureIsOneLineAndItsOwnExitStatus() throws {
        let harness = try Harness()
        let options = Self.brokerOptions(harness.broker)

        let refused = try PrinterctlRun.run(["temp", "--nozzle", "999"] + options)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.err.hasPrefix("printerctl: tempature/set refused by the printer (code 400): ") && refused.err.contains("target_nozzle_temp"))

        let firmware = try PrinterctlRun.run(["ota", "http://127.0.0.1:1/fw.bin", "--version", "9.9.9", "--size", "4",
                                              "--md5", "d41d8cd98f00b204e9800998ecf8427e"] + options)
        #expect(firmware.status == 1 && firmware.err.hasPrefix("printerctl: ota/update refused by the printer (code 503): "),
                "no installer configured: \(firmware)")
        let idle = try PrinterctlRun.run(["watch"] + options)
        #expect(idle.status == 2 && idle.err == "printerctl: no print is running\n", "\(idle)")

        let lan = try PrinterctlRun.run(["status", "--host", "127.0.0.1", "--port", "\(try FreePort.find())"])
        #expect(lan.status == 3 && lan.err.hasPrefix("printerctl: cannot reach http://127.0.0.1:"), "\(lan)")
        let folder = try TemporaryDirectory()
        let empty = try folder.write("printerctl.conf", "# nothing yet\n")
        let usage = try PrinterctlRun.run(["status", "--config", empty], timeout: 10)
        #expect(usage.status == 64 && usage.err.contains("say where the printer is"), "\(usage)")

        let other = try PrinterctlRun.run(["status", "--timeout", "1", "--json", "--broker", harness.broker.url,
                                           "--model-id", AgentProcess.modelId, "--device-id", "nosuchprinter"])
        #expect(other.status == 5 && other.err.contains("did not answer within 1 s"), "no printer answers: \(other)")
        #expect((other.value as? [String: Any])?["exit"] as? Int == 5, "scripts read the failure as JSON too: \(other)")

        harness.agent.send(SIGTERM)
        #expect(try harness.agent.waitForExit() == 0)
        let offline = try PrinterctlRun.run(["status"] + options)
        #expect(offline.status == 4 && offline.err == "printerctl: the printer \(AgentProcess.deviceId) is offline (device offline)\n",
                "the retained will answers at once: \(offline)")

        harness.broker.stop()
        let down = try PrinterctlRun.run(["status"] + options)
        #expect(down.status == 3 && down.err.hasPrefix("printerctl: cannot reach the broker mqtt://127.0.0.1:"), "\(down)")
        #expect(down.err.split(separator: "\n").count == 1)
    }

    /// `ota` follows the installation to its end, as `watch` follows a print: the progress,
    /// then the new version (0) or the failure (2); `--no-wait` returns with the answer; with
    /// `ota_install = on_request` the update waits for `ota --install`.
    @Test func otaFollowsTheInstallationToItsEnd() throws {
        let rig = try OtaTests.Rig()
        let options = Self.brokerOptions(rig.harness.broker)
        let image = [rig.server.url(for: "fw-2.0.0.swu"), "--version", "2.0.0", "--size", "\(rig.image.count)"]

        let early = try PrinterctlRun.run(["ota"] + image + ["--md5", String(repeating: "1", count: 32), "--no-wait"] + options)
        #expect(early.status == 0 && early.out == "firmware 2.0.0: downloading\n", "\(early)")
        try rig.waitFor("download-failed")
        let bad = try PrinterctlRun.run(["ota"] + image + ["--md5", String(repeating: "1", count: 32)] + options)
        #expect(bad.status == 2 && bad.err.hasPrefix("printerctl: firmware 2.0.0: download-failed: ") && bad.err.contains("MD5"), "\(bad)")
        #expect(!FileManager.default.fileExists(atPath: rig.installed))

        let good = try PrinterctlRun.run(["ota"] + image + ["--md5", rig.md5, "--json"] + options)
        #expect(good.status == 0, "\(good)")
        let states = good.objects.compactMap { $0["state"] as? String }
        #expect(states.first == "downloading" && states.contains("updating") && states.last == "update-success", "\(good)")
        #expect(good.objects.last?["progress"] as? Int == 100 && good.objects.last?["version"] as? String == "2.0.0", "\(good)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)

        let usage = try PrinterctlRun.run(["ota", "--install", "--version", "2.0.0"] + options, timeout: 10)
        #expect(usage.status == 64 && usage.err.contains("--install takes no URL"), "\(usage)")
    }

    @Test func otaInstallsTheAvailableUpdateOnRequest() throws {
        let rig = try OtaTests.Rig(config: ["ota_install = on_request"])
        let options = Self.brokerOptions(rig.harness.broker)
        let none = try PrinterctlRun.run(["ota", "--install"] + options)
        #expect(none.status == 1 && none.err.contains("(code 409): no firmware update is available"), "\(none)")

        let offered = try PrinterctlRun.run(["ota", rig.server.url(for: "fw-2.0.0.swu"), "--version", "2.0.0", "--size",
                                             "\(rig.image.count)", "--md5", rig.md5] + options)
        #expect(offered.status == 0 && offered.out.contains("firmware 2.0.0 is available"), "\(offered)")
        #expect(!FileManager.default.fileExists(atPath: rig.installed), "kept, not installed")

        let installed = try PrinterctlRun(["ota", "--install"] + options, terminal: true).finish()
        #expect(installed.status == 0, "\(installed)")
        #expect(installed.out.contains("\r\u{1B}[2Kfirmware 2.0.0  "), "the bar is redrawn in place: \(installed.out.debugDescription)")
        #expect(installed.out.contains("\u{1B}[32m[##############################]\u{1B}[0m  100%  installed"), "\(installed.out.debugDescription)")
        #expect(installed.out.contains("firmware 2.0.0 installed: it is active after the printer restarts"), "\(installed)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
    }
}

extension LanRig: AgentPrintRig {}
