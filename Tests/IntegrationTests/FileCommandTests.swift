import Foundation
import Testing
import TestSupport

/// file/listLocal, listUdisk, deleteLocal, deleteUdisk, deleteBatch and fileDetails, and
/// peripherie/query, through a real broker,
/// with the agent serving a temporary directory (`--storage DIR`). This machine has no USB
/// stick, so the Udisk commands answer 503.
@Suite struct FileCommandTests {
    /// A storage root with known files and, beside it, a sentinel that must survive every test:
    ///
    ///     T/outside/OUTSIDE-SENTINEL.txt
    ///     T/storage/new.gcode (newest), old.gcode, .hidden.gcode, .agent-download.tmp
    ///     T/storage/models/ (part-1..5.gcode, then the older benchy.gcode and cube.gcode), empty/,
    ///     T/storage/to-outside -> T/outside
    final class Storage {
        let directory: TemporaryDirectory
        var root: String { directory.path + "/storage" }
        var sentinel: String { directory.path + "/outside/OUTSIDE-SENTINEL.txt" }

        init() throws {
            directory = try TemporaryDirectory()
            try directory.write("outside/OUTSIDE-SENTINEL.txt", "sentinel")
            try directory.write("storage/new.gcode", "G28\nG1 X1\n")
            try directory.write("storage/old.gcode", "G28\n")
            try directory.write("storage/.hidden.gcode", "G28\n")
            try directory.write("storage/.agent-download.tmp", "partial")
            try directory.write("storage/models/benchy.gcode", "benchy")
            try directory.write("storage/models/cube.gcode", "cube")
            for index in 1...5 { try directory.write("storage/models/part-\(index).gcode", "part") }
            try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: root + "/to-outside",
                                                       withDestinationPath: directory.path + "/outside")
            try setModified("new.gcode", 1_700_000_300)
            try setModified("old.gcode", 1_700_000_100)
            try setModified("empty", 1_700_000_000)
            try setModified("models", 1_700_000_200)
            try setModified("models/benchy.gcode", 1_700_000_500)
            try setModified("models/cube.gcode", 1_700_000_500)
            for index in 1...5 { try setModified("models/part-\(index).gcode", 1_700_001_000 + index) }
        }

        func setModified(_ relative: String, _ seconds: Int) throws {
            var times = [timespec(tv_sec: seconds, tv_nsec: 5_000_000), timespec(tv_sec: seconds, tv_nsec: 5_000_000)]
            guard utimensat(AT_FDCWD, root + "/" + relative, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw TestFailure("utimensat \(relative): errno \(errno)")
            }
        }

        func exists(_ relative: String) -> Bool {
            var info = stat()
            return lstat(root + "/" + relative, &info) == 0
        }

        var sentinelIsIntact: Bool { (try? String(contentsOfFile: sentinel, encoding: .utf8)) == "sentinel" }
    }

    private func records(_ report: [String: Any]) -> [[String: Any]] {
        ((report["data"] as? [String: Any])?["records"] as? [[String: Any]]) ?? []
    }

    @Test func listLocalAnswersTheRootsRecordsDirectoriesFirstThenNewestFirst() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let message = try harness.ask("file", "listLocal", data: "{\"path\":\"/\"}")
        let report = try #require(message.json)
        #expect(report["code"] as? Int == 200, "\(message.payload)")
        #expect(report["state"] as? String == "done")
        #expect(report["type"] as? String == "file")
        #expect(report["action"] as? String == "listLocal")
        let listed = records(report)
        #expect(listed.map { $0["filename"] as? String } == ["models", "empty", "new.gcode", "old.gcode"])
        let newest = try #require(listed.first { $0["filename"] as? String == "new.gcode" })
        #expect(newest["size"] as? Int == 10)
        #expect(newest["timestamp"] as? Int == 1_700_000_300_005)
        #expect(newest["file_location"] as? String == "local")
        #expect(message.payload.contains("\"filename\":\"models\",\"size\":0,\"timestamp\":1700000200005,\"is_dir\":true"))
        #expect(message.payload.contains("\"is_dir\":false,\"file_location\":\"local\""), "is_dir is a JSON boolean")
        let data = try #require(report["data"] as? [String: Any])
        #expect(data.keys.sorted() == ["records"], "as the firmware: no page unless one is asked for")
        #expect(!message.payload.contains(storage.root), "the device path is not reported")

        // The same without data, with an empty path, and with data null.
        for data in ["null", "{}", "{\"path\":\"\"}"] {
            let same = try #require(try harness.ask("file", "listLocal", data: data).json)
            #expect(records(same).count == 4, "data \(data)")
        }
    }

    @Test func listLocalPagesASubdirectory() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let report = try #require(try harness.ask("file", "listLocal",
                                                  data: "{\"path\":\"/models\",\"page\":2,\"limit\":3}").json)
        #expect(report["code"] as? Int == 200)
        // part-5 … part-1 are the newest, then benchy and cube (same time: by name).
        #expect(records(report).map { $0["filename"] as? String } == ["part-2.gcode", "part-1.gcode", "benchy.gcode"])
        let data = try #require(report["data"] as? [String: Any])
        #expect(data["total"] as? Int == 7)
        #expect(data["page"] as? Int == 2)
        #expect(data["limit"] as? Int == 3)
    }

    @Test func badListingRequestsAreAnsweredWithTheirCodesAndTheAgentKeepsWorking() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let cases: [(data: String, code: Int, mentions: String)] = [
            ("{\"path\":\"..\"}", 400, "\"..\""),
            ("{\"path\":\"../outside\"}", 400, "\"../outside\""),
            ("{\"path\":\"/models/../../outside\"}", 400, "\"..\""),
            ("{\"path\":\"to-outside\"}", 400, "\"/to-outside\" is a symbolic link"),
            ("{\"path\":\"/nowhere\"}", 404, "\"/nowhere\" does not exist"),
            ("{\"path\":\"/new.gcode\"}", 400, "is not a directory"),
            ("{\"path\":7}", 400, "\"path\" is a number, expected a string"),
            ("{\"path\":\"/\",\"page\":0}", 400, "\"page\" must be a whole number"),
            ("{\"path\":\"/\",\"limit\":5000}", 400, "\"limit\" must be a whole number from 1 to 1000, got 5000"),
            ("{\"path\":\"/\",\"limit\":\"10\"}", 400, "\"limit\" is a string"),
            ("{\"path\":\"a\\nb\"}", 400, "control character"),
        ]
        for testCase in cases {
            let message = try harness.ask("file", "listLocal", data: testCase.data)
            let report = try #require(message.json)
            #expect(report["code"] as? Int == testCase.code, "\(testCase.data): \(message.payload)")
            #expect(report["state"] as? String == "failed")
            #expect((report["msg"] as? String)?.contains(testCase.mentions) == true, "\(testCase.data): \(message.payload)")
            #expect(!message.payload.contains(storage.root), "the device path is not reported: \(message.payload)")
        }
        #expect(try harness.ask("status", "query").json?["code"] as? Int == 200)
        #expect(storage.sentinelIsIntact)
    }

    @Test func deleteLocalDeletesAFileOrAnEmptyDirectoryAndRefusesTheRest() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let deleted = try #require(try harness.ask("file", "deleteLocal",
                                                   data: "{\"path\":\"/models\",\"filename\":\"cube.gcode\"}").json)
        #expect(deleted["code"] as? Int == 200)
        #expect(deleted["state"] as? String == "success")
        #expect(!storage.exists("models/cube.gcode"))
        #expect(try harness.ask("file", "deleteLocal", data: "{\"path\":\"/\",\"filename\":\"empty\"}").json?["code"] as? Int == 200)
        #expect(!storage.exists("empty"))

        // A link as the file name: the link goes, its target stays.
        #expect(try harness.ask("file", "deleteLocal", data: "{\"filename\":\"to-outside\"}").json?["code"] as? Int == 200)
        #expect(!storage.exists("to-outside"))
        #expect(storage.sentinelIsIntact)

        let cases: [(data: String, code: Int, mentions: String)] = [
            ("{\"path\":\"/\",\"filename\":\"models\"}", 409, "directory \"/models\" is not empty"),
            ("{\"path\":\"/\",\"filename\":\"gone.gcode\"}", 404, "\"/gone.gcode\" does not exist"),
            ("{\"path\":\"/\",\"filename\":\"..\"}", 400, "\"..\""),
            ("{\"path\":\"/\",\"filename\":\"\"}", 400, "file name \"\" is empty"),
            ("{\"path\":\"/\",\"filename\":\"/\"}", 400, "contains \"/\""),
            ("{\"path\":\"..\",\"filename\":\"OUTSIDE-SENTINEL.txt\"}", 400, "\"..\""),
            ("{\"path\":\"/\",\"filename\":\"../outside/OUTSIDE-SENTINEL.txt\"}", 400, "contains \"/\""),
            ("{\"path\":\"/\"}", 400, "\"filename\" is missing"),
            ("{\"path\":\"/\",\"filename\":3}", 400, "\"filename\" is a number"),
        ]
        for testCase in cases {
            let message = try harness.ask("file", "deleteLocal", data: testCase.data)
            let report = try #require(message.json)
            #expect(report["code"] as? Int == testCase.code, "\(testCase.data): \(message.payload)")
            #expect(report["state"] as? String == "failed")
            #expect((report["msg"] as? String)?.contains(testCase.mentions) == true, "\(testCase.data): \(message.payload)")
        }
        #expect(storage.exists("models/benchy.gcode"))
        #expect(storage.exists("new.gcode"))
        #expect(storage.sentinelIsIntact)
    }

    @Test func deleteBatchReportsEachFilesOutcome() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let files = "[\"old.gcode\",\"/models/benchy.gcode\",\"missing.gcode\",\"../outside/OUTSIDE-SENTINEL.txt\",\"models\",\"/\"]"
        let message = try harness.ask("file", "deleteBatch", data: "{\"root\":\"local\",\"files\":\(files)}")
        let report = try #require(message.json)
        #expect(report["state"] as? String == "failed")
        #expect(report["code"] as? Int == 404, "the first failure's code: \(message.payload)")
        #expect((report["msg"] as? String)?.hasPrefix("4 of 6 files could not be deleted") == true, "\(message.payload)")
        let results = try #require((report["data"] as? [String: Any])?["results"] as? [[String: Any]])
        #expect(results.map { $0["filename"] as? String }
                == ["old.gcode", "/models/benchy.gcode", "missing.gcode", "../outside/OUTSIDE-SENTINEL.txt", "models", "/"])
        #expect(results.map { $0["code"] as? Int } == [200, 200, 404, 400, 409, 400])
        #expect(results[0]["msg"] as? String == "ok")
        #expect((results[5]["msg"] as? String)?.contains("storage root") == true)
        #expect(!storage.exists("old.gcode"))
        #expect(!storage.exists("models/benchy.gcode"))
        #expect(storage.exists("models/cube.gcode"))
        #expect(storage.sentinelIsIntact)

        let allGood = try #require(try harness.ask("file", "deleteBatch",
                                                   data: "{\"root\":\"local\",\"files\":[\"new.gcode\",\"models/cube.gcode\"]}").json)
        #expect(allGood["code"] as? Int == 200)
        #expect(allGood["state"] as? String == "success")
        #expect(!storage.exists("new.gcode"))

        for (data, mentions) in [("{\"root\":\"cloud\",\"files\":[\"a\"]}", "expected \"local\" or \"udisk\""),
                                 ("{\"files\":[\"a\"]}", "\"root\" is missing"),
                                 ("{\"root\":\"local\",\"files\":\"a\"}", "\"files\" is a string"),
                                 ("{\"root\":\"local\",\"files\":[]}", "\"files\" is empty"),
                                 ("{\"root\":\"local\",\"files\":[\"a\",2]}", "\"files\"[1] is a number")] {
            let refused = try #require(try harness.ask("file", "deleteBatch", data: data).json)
            #expect(refused["code"] as? Int == 400, "\(data)")
            #expect((refused["msg"] as? String)?.contains(mentions) == true, "\(data): \(refused)")
        }
    }

    @Test func udiskCommandsAnswer503WhenNoStickIsInserted() throws {
        let storage = try Storage()
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        // Listing no stick lists nothing, as the firmware does; changing one is an error.
        let listing = try #require(try harness.ask("file", "listUdisk", data: "{\"path\":\"/\"}").json)
        #expect(listing["state"] as? String == "done")
        #expect(((listing["data"] as? [String: Any])?["records"] as? [Any])?.isEmpty == true)
        for (action, data) in [("deleteUdisk", "{\"path\":\"/\",\"filename\":\"new.gcode\"}"),
                               ("deleteBatch", "{\"root\":\"udisk\",\"files\":[\"new.gcode\"]}")] {
            let report = try #require(try harness.ask("file", action, data: data).json)
            #expect(report["code"] as? Int == 503, "\(action)")
            #expect(report["state"] as? String == "failed")
            #expect(report["msg"] as? String == "no USB stick is inserted")
        }
        #expect(storage.exists("new.gcode"))
    }

    @Test func fileDetailsReadsTheSlicersCommentsAndThumbnail() throws {
        let storage = try Storage()
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 40)).base64EncodedString()
        let gcode = """
            ; generated by PrusaSlicer 2.7.1+linux-x64-GTK3 on 2026-11-21 at 07:00:00 UTC

            ; thumbnail begin 32x32 \(png.count)
            ; \(png)
            ; thumbnail end

            G28
            G1 X10 Y10
            ; filament used [mm] = 1234.56
            ; filament used [g] = 3.70
            ; estimated printing time (normal mode) = 1h 2m 3s
            ; prusaslicer_config = begin
            ; bed_temperature = 60
            ; layer_height = 0.2
            ; temperature = 215
            ; prusaslicer_config = end

            """
        try storage.directory.write("storage/models/part.gcode", gcode)
        let harness = try Harness(agentArguments: ["--storage", storage.root])
        let report = try #require(try harness.ask("file", "fileDetails",
                                                  data: "{\"root\":\"local\",\"filename\":\"models/part.gcode\"}").json)
        #expect(report["code"] as? Int == 200, "\(report)")
        let data = try #require(report["data"] as? [String: Any])
        #expect(data["estimated_time"] as? Int == 3723)
        #expect(data["filament_weight_g"] as? Double == 3.7)
        #expect(data["layer_height_mm"] as? Double == 0.2)
        #expect(data["nozzle_temp"] as? Double == 215)
        #expect(data["bed_temp"] as? Double == 60)
        #expect((data["slicer"] as? String)?.hasPrefix("PrusaSlicer") == true)
        #expect((data["thumbnail"] as? [String: Any])?["base64"] as? String == png)
        #expect(data["filename"] as? String == "models/part.gcode")

        for (payload, code) in [("{\"root\":\"local\",\"filename\":\"../outside/OUTSIDE-SENTINEL.txt\"}", 400),
                                ("{\"root\":\"local\",\"filename\":\"to-outside/OUTSIDE-SENTINEL.txt\"}", 400),
                                ("{\"root\":\"local\",\"filename\":\"missing.gcode\"}", 404),
                                ("{\"root\":\"udisk\",\"filename\":\"new.gcode\"}", 503),
                                ("{\"root\":\"cloud\",\"filename\":\"new.gcode\"}", 400)] {
            let refused = try #require(try harness.ask("file", "fileDetails", data: payload).json)
            #expect(refused["code"] as? Int == code, "\(payload): \(refused)")
        }
        #expect(storage.sentinelIsIntact)
    }

    @Test func peripherieQueryReportsNoStickOnThisMachine() throws {
        let harness = try Harness()
        let report = try #require(try harness.ask("peripherie", "query").json)
        #expect(report["code"] as? Int == 200)
        let data = try #require(report["data"] as? [String: Any])
        #expect(data["udisk"] as? Int == 0)
        #expect(data["camera"] as? Int == 0)
    }
}
