import Foundation
import Testing
import TestSupport

/// Prints from a URL: the agent downloads the file from a real HTTP server on loopback into
/// the local storage, verifies it, and prints it through the Marlin simulator. Every failure
/// is checked on the disk afterwards: no partial file, listed or not.
@Suite struct DownloadPrintTests {
    /// A rig, a server over a folder holding the cube, and the cube's bytes and MD5.
    final class Cloud {
        let rig: PrintRig
        let files: TemporaryDirectory
        let server: HTTPTestServer
        let cube: Data
        let md5: String

        init(rig: PrintRig? = nil, config: [String] = []) throws {
            self.rig = try rig ?? PrintRig.marlin(["--heat-rate", "instant"], config: config)
            files = try TemporaryDirectory()
            cube = try Fixture.data("cube.gcode")
            _ = try files.write("cube.gcode", cube)
            server = try HTTPTestServer(root: files.path)
            md5 = try md5Hex(cube)
        }

        /// Sends print/start for `path` on the server, saved as `filename`.
        @discardableResult
        func start(_ path: String = "cube.gcode", filename: String = "cloud.gcode", md5: String? = nil,
                   size: Int? = nil) throws -> ReceivedMessage {
            let data = "{\"taskid\":\"cloud-1\",\"filename\":\"\(filename)\",\"url\":\"\(server.url(for: path))\","
                + "\"md5\":\"\(md5 ?? self.md5)\",\"filesize\":\(size ?? cube.count)}"
            return try rig.harness.ask("print", "start", data: data)
        }

        /// The names in the storage root, hidden ones included.
        var storedNames: [String] { (try? FileManager.default.contentsOfDirectory(atPath: rig.root).sorted()) ?? [] }

        /// Whether no temporary download file is left anywhere in the storage.
        var noPartialFile: Bool { !storedNames.contains { $0.hasPrefix(".agent-download-") } }
    }

    @Test func aFileFromTheCloudIsDownloadedVerifiedAndPrinted() throws {
        let cloud = try Cloud()
        try cloud.rig.waitForController()
        let answer = try cloud.start()
        #expect(answer.json?["state"] as? String == "downloading")
        try cloud.rig.waitForPrint("finished", timeout: 60)
        #expect(cloud.rig.printStates.starts(with: ["downloading", "checking", "preheating", "printing"]))
        #expect(cloud.rig.printStates.last == "finished")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cloud.rig.root + "/cloud.gcode")) == cloud.cube)
        #expect(cloud.noPartialFile)
        let listing = try cloud.rig.harness.ask("file", "listLocal", data: #"{"path":"/"}"#)
        let names = ((listing.json?["data"] as? [String: Any])?["records"] as? [[String: Any]])?.compactMap { $0["filename"] as? String }
        #expect(names?.sorted() == ["cloud.gcode", "cube.gcode"])
    }

    @Test(arguments: [
        ("md5", "a wrong MD5", 422, "MD5"),
        ("size", "a wrong size", 422, "bytes"),
        ("404", "a missing file", 502, "404"),
        ("corrupt", "a corrupted body", 422, "MD5"),
        ("truncate", "a server that keeps closing early", 502, "download failed"),
        ("wronglength", "a Content-Length over the announced size", 422, "more than the expected"),
    ])
    func aBadDownloadFailsAndLeavesNothing(fault: String, what: String, code: Int, words: String) throws {
        let cloud = try Cloud()
        try cloud.rig.waitForController()
        switch fault {
        case "md5": try cloud.start(md5: String(repeating: "0", count: 32))
        case "size": try cloud.start(size: cloud.cube.count + 1)
        default: try cloud.start("cube.gcode?fault=" + fault)
        }
        let failed = try cloud.rig.waitForPrint("failed", timeout: 60)
        #expect(failed["code"] as? Int == code, "\(what)")
        #expect((failed["msg"] as? String)?.contains(words) == true, "\(what): \(failed["msg"] ?? "")")
        #expect(!cloud.storedNames.contains("cloud.gcode"), "\(what)")
        #expect(cloud.noPartialFile, "\(what)")
        try cloud.rig.client.waitFor("status free") {
            $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free"
        }
    }

    @Test func aDroppedConnectionIsResumedWithARange() throws {
        let cloud = try Cloud()
        try cloud.rig.waitForController()
        try cloud.start("cube.gcode?fault=drop")
        try cloud.rig.waitForPrint("preheating", timeout: 60)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cloud.rig.root + "/cloud.gcode")) == cloud.cube)
        #expect(cloud.server.requests.count == 2)
        #expect(cloud.server.requests.last?.range?.hasPrefix("bytes=") == true)
        #expect(cloud.noPartialFile)
    }

    @Test func aStalledServerFails() throws {
        let cloud = try Cloud(config: ["download_stall_timeout = 5"])
        try cloud.rig.waitForController()
        try cloud.start("cube.gcode?fault=slow&rate=1")
        let failed = try cloud.rig.waitForPrint("failed", timeout: 30)
        #expect((failed["msg"] as? String)?.contains("stalled") == true, "\(failed["msg"] ?? "")")
        #expect(cloud.noPartialFile)
    }

    @Test func stopDuringTheDownloadAndASecondStart() throws {
        let cloud = try Cloud()
        try cloud.rig.waitForController()
        try cloud.start("cube.gcode?fault=slow&rate=2000")
        try cloud.rig.waitForPrint("downloading")
        let second = try cloud.start(filename: "other.gcode")
        #expect(second.json?["code"] as? Int == 10101)
        let stop = try cloud.rig.harness.ask("print", "stop", data: #"{"taskid":"cloud-1"}"#)
        #expect(stop.json?["state"] as? String == "stoped")
        let failed = try cloud.rig.client.waitFor("the task's failed report") {
            $0.topic == Wire.report("print") && ($0.json?["code"] as? Int) == 499
        }.json ?? [:]
        #expect(failed["state"] as? String == "failed")
        #expect((failed["msg"] as? String)?.contains("stopped during the download") == true)
        #expect(cloud.noPartialFile)
        #expect(!cloud.storedNames.contains("cloud.gcode"))
    }

    @Test func killedDuringADownloadLeavesNoPartialFileAfterRestart() throws {
        let cloud = try Cloud()
        try cloud.rig.waitForController()
        try cloud.start("cube.gcode?fault=slow&rate=2000")
        try waitUntil("the partial file exists", timeout: 10) { !cloud.noPartialFile }
        let listing = try cloud.rig.harness.ask("file", "listLocal", data: #"{"path":"/"}"#)
        #expect(!listing.payload.contains(".agent-download-"), "a listing never shows the partial file")
        cloud.rig.harness.agent.send(SIGKILL)
        _ = try cloud.rig.harness.agent.waitForExit()
        let second = try AgentProcess(broker: cloud.rig.harness.broker.url, extra: cloud.rig.agentArguments)
        try waitUntil("the restarted agent cleaned up", timeout: 15) {
            cloud.noPartialFile && second.log.contains("removed a stale temporary file: .agent-download-")
        }
    }

    @Test(Root.required(reason: "mounts a 64 KiB tmpfs as the storage to fill"))
    func aFullDiskFailsCleanly() throws {
        let mount = try SmallFilesystem()
        let storage = try TemporaryDirectory()
        let simulator = try PrinterSimulator.marlin(directory: storage, arguments: ["--heat-rate", "instant"])
        let config = try storage.write("agent.conf", "controller = marlin\nserial_port = \(simulator.path)\n"
                                                     + "state_dir = \(storage.path)/state\n")
        let harness = try Harness(agentArguments: ["-c", config, "--storage", mount.path])
        let files = try TemporaryDirectory()
        let big = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        _ = try files.write("big.gcode", big)
        let server = try HTTPTestServer(root: files.path)
        try waitUntil("the controller answers", timeout: 15) { harness.agent.log.contains("the board answers") }
        let data = "{\"filename\":\"big.gcode\",\"url\":\"\(server.url(for: "big.gcode"))\",\"md5\":\"\(try md5Hex(big))\"}"
        _ = try harness.ask("print", "start", data: data)
        let failed = try harness.client.waitFor("the failed report") {
            $0.topic == Wire.report("print") && ($0.json?["state"] as? String) == "failed"
        }
        #expect(failed.json?["code"] as? Int == 507)
        #expect((failed.json?["msg"] as? String)?.contains("full") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.path).isEmpty)
        _ = simulator
    }
}

extension Process {
    /// Runs `path` with `arguments` and returns its exit status (-1 when it cannot start).
    static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        do {
            try process.run()
        } catch {
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
