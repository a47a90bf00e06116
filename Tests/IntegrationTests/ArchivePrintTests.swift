import Foundation
import Testing
import TestSupport

/// Prints of a `.gcode.3mf` (the cube's G-code as plate 1 of a sliced 3MF made by Python's
/// zipfile) through both simulators: the plate's G-code reaches the controller whole, the
/// reports name the archive, and the extracted copy is gone once the print is over.
@Suite struct ArchivePrintTests {
    /// Writes the sliced cube into the rig's local storage as `name`, then lets `patch` (Python,
    /// see `ZipFixture.patch`) damage it.
    private func writeArchive(_ rig: PrintRig, _ name: String = "cube.gcode.3mf", plates: Int = 1,
                              patch: String? = nil) throws {
        let cube = try Fixture.data("cube.gcode")
        let path = rig.root + "/" + name
        try ZipFixture.writeSliced(path, plates: [cube] + Array(repeating: Data("G28\n".utf8), count: plates - 1))
        if let patch { try ZipFixture.patch(path, patch) }
    }

    /// The files the agent holds open whose path contains `text` (from /proc/<pid>/fd).
    private func openFiles(_ rig: PrintRig, containing text: String) -> [String] {
        let directory = "/proc/\(rig.harness.agent.pid)/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
            .filter { $0.contains(text) }
    }

    /// The agent's extracted files left in the local storage.
    private func extractedFiles(_ rig: PrintRig) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: rig.root).filter { $0.hasPrefix(".agent-extract-") }
    }

    @Test func marlinPrintsEveryLineOfThePlateAndRemovesTheExtractedCopy() throws {
        let rig = try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"])
        try writeArchive(rig, plates: 2)
        try rig.waitForController()
        let info = try rig.harness.ask("info", "query").json?["data"] as? [String: Any]
        #expect((info?["features"] as? [String: Any])?["gcode_3mf_support"] as? Bool == true)
        let answer = try rig.start("cube.gcode.3mf")
        #expect(answer.json?["code"] as? Int == 200)
        #expect(answer.json?["state"] as? String == "checking")
        let finished = try rig.waitForPrint("finished", timeout: 60)
        #expect(rig.printStates == ["checking", "preheating", "printing", "finished"])
        let data = PrintRig.data(finished)
        #expect(data["filename"] as? String == "cube.gcode.3mf")
        #expect(data["display_filename"] as? String == "cube.gcode.3mf")
        #expect(data["curr_layer"] as? Int == 33)
        #expect((data["supplies_usage"] as? Int ?? 0) > 0, "the filament of the plate's header")
        let inOrder = try rig.fileCommandsReceivedInOrder()
        #expect(inOrder.received == inOrder.total, "the board got \(inOrder.received) of the plate's \(inOrder.total) commands in order")
        #expect(rig.harness.agent.log.contains("extracting plate 1 of /cube.gcode.3mf"))
        // The extracted copy is removed before the finished report is published.
        #expect(try extractedFiles(rig) == [])
        #expect(FileManager.default.fileExists(atPath: rig.root + "/cube.gcode.3mf"), "the archive itself stays")
        #expect(openFiles(rig, containing: "cube.gcode.3mf") == [], "the archive is closed after its extraction")
        #expect(openFiles(rig, containing: ".agent-extract-") == [])
    }

    @Test func klipperPrintsTheExtractedCopyFromItsVirtualSDCard() throws {
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "200"])
        try writeArchive(rig)
        try rig.waitForController()
        #expect(try rig.start("cube.gcode.3mf").json?["state"] as? String == "checking")
        try rig.waitForPrint("printing")
        #expect(openFiles(rig, containing: "cube.gcode.3mf") == [], "the archive is not held open during the print")
        let printing = try extractedFiles(rig)
        #expect(printing.count == 1 && printing.allSatisfy { $0.hasSuffix(".gcode") }, "\(printing)")
        #expect(rig.simulator.transcript.contains(#"SDCARD_PRINT_FILE FILENAME=\"\#(printing.first ?? "?")\""#))
        let delete = try rig.harness.ask("file", "deleteLocal", data: #"{"path":"/","filename":"cube.gcode.3mf"}"#)
        #expect(delete.json?["code"] as? Int == 409, "the archive being printed is not deleted")
        try rig.waitForPrint("finished", timeout: 60)
        #expect(try extractedFiles(rig) == [])
    }

    @Test func aDamagedPlateFailsTheTaskWithAClearReport() throws {
        let rig = try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"])
        try writeArchive(rig, patch: """
            put32(central("Metadata/plate_1.gcode") + 16, 0x12345678)
            put32(local("Metadata/plate_1.gcode") + 14, 0x12345678)
            """)
        try rig.waitForController()
        #expect(try rig.start("cube.gcode.3mf").json?["state"] as? String == "checking")
        let failed = try rig.waitForPrint("failed")
        #expect(failed["code"] as? Int == 422)
        #expect(failed["msg"] as? String == "cannot print \"/cube.gcode.3mf\": \"Metadata/plate_1.gcode\" fails its CRC-32 check: the archive is damaged")
        try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "free" }
        #expect(try extractedFiles(rig) == [])
        #expect(rig.simulator.commandsReceived.allSatisfy { !$0.hasPrefix("G1 ") }, "nothing of the plate reached the board")
    }

    @Test func anArchiveThatCannotBePrintedIsRefusedAtOnce() throws {
        let rig = try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"])
        try writeArchive(rig)
        try writeArchive(rig, "evil.gcode.3mf", patch: """
            c = central("Metadata/plate_1.png")
            data[c + 46:c + 49] = b"../"
            """)
        try rig.waitForController()
        let noPlate = try rig.start("cube.gcode.3mf", extra: #","plate_index":2"#)
        #expect(noPlate.json?["code"] as? Int == 400)
        #expect(noPlate.json?["msg"] as? String == "cannot print \"/cube.gcode.3mf\": it has no plate 2 (its plates: 1)")
        let evil = try rig.start("evil.gcode.3mf")
        #expect(evil.json?["code"] as? Int == 400)
        #expect((evil.json?["msg"] as? String)?.contains("climbs out of the archive") == true, "\(evil.json ?? [:])")
        #expect(try rig.harness.ask("info", "query").json.flatMap { ($0["data"] as? [String: Any])?["state"] as? String } == "free")
        #expect(!rig.client.received.contains { $0.topic == Wire.report("status") && ($0.json?["state"] as? String) == "busy" })
    }

    @Test func anArchiveFromAURLIsDownloadedThenItsPlatePrinted() throws {
        let rig = try PrintRig.marlin(["--heat-rate", "instant", "--speed", "1000"])
        let files = try TemporaryDirectory()
        try ZipFixture.writeSliced(files.path + "/cube.gcode.3mf", plates: [Data("G28\n".utf8), try Fixture.data("cube.gcode")])
        let archive = try Data(contentsOf: URL(fileURLWithPath: files.path + "/cube.gcode.3mf"))
        let server = try HTTPTestServer(root: files.path)
        try rig.waitForController()
        let answer = try rig.harness.ask("print", "start", data: "{\"taskid\":\"cloud-1\",\"filename\":\"cloud.gcode.3mf\","
            + "\"url\":\"\(server.url(for: "cube.gcode.3mf"))\",\"md5\":\"\(try md5Hex(archive))\","
            + "\"filesize\":\(archive.count),\"plate_index\":2}")
        #expect(answer.json?["state"] as? String == "downloading")
        let finished = try rig.waitForPrint("finished", timeout: 60)
        #expect(rig.printStates.starts(with: ["downloading", "checking", "preheating", "printing"]))
        #expect(PrintRig.data(finished)["filename"] as? String == "cloud.gcode.3mf")
        let inOrder = try rig.fileCommandsReceivedInOrder()
        #expect(inOrder.received == inOrder.total, "plate 2 (the cube) reached the board whole")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.root + "/cloud.gcode.3mf")) == archive)
        #expect(try extractedFiles(rig) == [])
    }

    /// From a USB stick, the plate is extracted to the local storage: the stick is not held
    /// open during the print, and cutting it off mid-print does not stop the print.
    @Test(Root.required(reason: "mounts an ext2 image on a loop device in a mount namespace"))
    func aPlateFromAUSBStickPrintsOnWhenTheStickIsPulledOut() throws {
        let files = try TemporaryDirectory()
        try ZipFixture.writeSliced(files.path + "/cube.gcode.3mf", plates: [try Fixture.data("cube.gcode")])
        let stick = try UsbStick(files: ["cube.gcode.3mf": try Data(contentsOf: URL(fileURLWithPath: files.path + "/cube.gcode.3mf"))])
        let rig = try PrintRig.marlin(["--speed", "300", "--heat-rate", "instant"], launcher: try stick.launcher())
        try rig.harness.agent.waitForLog("USB stick \(stick.device) mounted on \(stick.mountPoint)")
        try rig.waitForController()
        let start = try rig.harness.ask("print", "start", data: #"{"taskid":"7","filename":"cube.gcode.3mf","filetype":2}"#)
        #expect(start.json?["state"] as? String == "checking")
        try rig.waitForPrint("printing")
        #expect(try extractedFiles(rig).count == 1, "the plate is extracted to the local storage")
        #expect(openFiles(rig, containing: stick.mountPoint) == [], "nothing on the stick is held open")
        try stick.cut()
        let finished = try rig.waitForPrint("finished", timeout: 60)
        #expect(PrintRig.data(finished)["filetype"] as? Int == 2)
        let inOrder = try rig.fileCommandsReceivedInOrder()
        #expect(inOrder.received == inOrder.total)
        #expect(try extractedFiles(rig) == [])
    }
}
