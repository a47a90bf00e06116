import AgentCore
import AgentJSON
import Testing

private func data(_ text: String) throws -> JSONValue { try JSONCodec.parse(text) }

@Suite("print/start request")
struct PrintStartRequestTests {
    @Test func nameInTheRootByDefault() throws {
        let request = try PrintStartRequest.parse(data(#"{"filename":"cube.gcode","taskid":"7"}"#))
        #expect(request == PrintStartRequest(taskId: "7", filename: "cube.gcode", directory: .root, source: .local))
    }

    @Test func filepathMayBeTheDirectoryOrTheWholePath() throws {
        let directory = try PrintStartRequest.parse(data(#"{"filename":"a.gcode","filepath":"/models"}"#))
        let whole = try PrintStartRequest.parse(data(#"{"filename":"a.gcode","filepath":"/models/a.gcode"}"#))
        #expect(directory.directory == (try StoragePath(validating: "/models")))
        #expect(whole.directory == directory.directory)
    }

    @Test func usbAndNumericTaskIds() throws {
        let request = try PrintStartRequest.parse(data(#"{"filename":"a.gcode","file_location":"udisk","taskid":123}"#))
        #expect(request.source == .udisk)
        #expect(request.taskId == "123")
    }

    /// The app and Home Assistant name the storage with `filetype` (2 is the USB stick).
    @Test(arguments: [(1, PrintSource.local), (2, PrintSource.udisk), (0, PrintSource.local)])
    func filetypeNamesTheStorage(type: Int, source: PrintSource) throws {
        let request = try PrintStartRequest.parse(data(#"{"filename":"a.gcode","filetype":\#(type)}"#))
        #expect(request.source == source)
    }

    /// Slicer Next's LAN start: empty url and md5, size 0, filepath null, taskid "-1".
    @Test func slicerNextsLocalStartIsALocalPrint() throws {
        let request = try PrintStartRequest.parse(data(
            #"{"taskid":"-1","url":"","filename":"cube.gcode","filesize":0,"md5":"","filetype":1,"filepath":null,"project_type":1,"localtask":"b92a"}"#))
        #expect(request == PrintStartRequest(taskId: nil, filename: "cube.gcode", directory: .root, source: .local, localTask: "b92a"))
    }

    /// Rinkhals documents `"filename": "test_model/FlexibleShark-41m.gcode"`.
    @Test(arguments: [
        (#"{"filename":"test_model/a.gcode"}"#, "test_model"),
        (#"{"filename":"test_model/a.gcode","filepath":"/test_model"}"#, "test_model"),
        (#"{"filename":"test_model/a.gcode","filepath":"/test_model/a.gcode"}"#, "test_model"),
        (#"{"filename":"a.gcode","filepath":"/x/y"}"#, "x/y"),
        (#"{"filename":"b/a.gcode","filepath":"/x"}"#, "x/b"),
    ])
    func aFilenameMayNameDirectories(payload: String, directory: String) throws {
        let request = try PrintStartRequest.parse(data(payload))
        #expect(request.filename == "a.gcode")
        #expect(request.directory.relativeText == directory)
    }

    @Test func theColourBoxIsRefusedOnAPrinterWithoutOne() throws {
        let failure = try #require(throws: CommandFailure.self) {
            try PrintStartRequest.parse(try data(#"{"filename":"a.gcode","ams_settings":{"use_ams":true,"ams_box_mapping":[]}}"#))
        }
        #expect(failure.code == .notAvailable)
        #expect(failure.message.contains("colour box"))
        let single = try PrintStartRequest.parse(data(#"{"filename":"a.gcode","ams_settings":{"use_ams":false}}"#))
        #expect(single.filename == "a.gcode")
    }

    @Test(arguments: [
        (#"null"#, "print/start needs data with \"filename\""),
        (#"{"filename":"a.gcode","filetype":2,"file_location":"local"}"#, "\"filetype\" and \"file_location\" name different storages"),
        (#"{"filename":"a.gcode","filetype":7}"#, "\"filetype\" is 7, expected 0 to 2"),
        (#"{}"#, "\"filename\" is missing"),
        (#"{"filename":7}"#, "\"filename\" is a number, expected a string"),
        (#"{"filename":"a.gcode","file_location":"sd"}"#, "\"file_location\" is \"sd\", expected \"local\" or \"udisk\""),
        (#"{"filename":"a.gcode","taskid":[1]}"#, "\"taskid\" is an array, expected a string or a whole number"),
        (#"{"filename":"a.gcode","taskid":""# + String(repeating: "7", count: 129) + #""}"#,
         "\"taskid\" must be at most 128 printable ASCII characters"),
        (#"{"filename":"a.gcode","localtask":"b92a\n"}"#, "\"localtask\" must be at most 128 printable ASCII characters"),
    ])
    func badRequests(payload: String, message: String) throws {
        #expect(throws: CommandFailure(.badRequest, message)) { try PrintStartRequest.parse(try data(payload)) }
    }

    @Test func pathsThatLeaveTheRootAreRefused() throws {
        for payload in [#"{"filename":"../x.gcode"}"#, #"{"filename":"a.gcode","filepath":"/../etc"}"#,
                        #"{"filename":"a/../../b.gcode"}"#, #"{"filename":"/"}"#] {
            let failure = try #require(throws: CommandFailure.self) { try PrintStartRequest.parse(try data(payload)) }
            #expect(failure.code == .badRequest)
        }
    }

    @Test func urlsMustBeHttpOrHttps() throws {
        for url in ["ftp://x/a.gcode", "file:///etc/passwd", "https://x/a b.gcode", "javascript:alert(1)"] {
            let failure = try #require(throws: CommandFailure.self) {
                try PrintStartRequest.parse(try data(#"{"filename":"a.gcode","md5":"0123456789abcdef0123456789abcdef","url":"\#(url)"}"#))
            }
            #expect(failure.code == .badRequest, "\(url)")
        }
    }
}

@Suite("print/update settings")
struct PrintSettingsTests {
    @Test func anySubsetInsideSettings() throws {
        let settings = try PrintSettings.parse(data(#"{"taskid":"1","settings":{"target_nozzle_temp":215,"print_speed_mode":3}}"#))
        #expect(settings == PrintSettings(nozzleTarget: 215, speedMode: 3))
        #expect(settings.speedPercent == 150)
        #expect(settings.reportData["target_nozzle_temp"] == .number(215))
    }

    @Test func flatDataToo() throws {
        let settings = try PrintSettings.parse(data(#"{"fan_speed_pct":40,"z_comp":-0.05,"target_hotbed_temp":60}"#))
        #expect(settings == PrintSettings(bedTarget: 60, fanPercent: 40, zOffset: -0.05))
    }

    @Test(arguments: [
        (#"{"settings":{}}"#, ReplyCode.badRequest),
        (#"{"settings":{"target_nozzle_temp":400}}"#, .badRequest),
        (#"{"settings":{"target_hotbed_temp":-1}}"#, .badRequest),
        (#"{"settings":{"fan_speed_pct":50.5}}"#, .badRequest),
        (#"{"settings":{"fan_speed_pct":"50"}}"#, .badRequest),
        (#"{"settings":{"print_speed_mode":4}}"#, .badRequest),
        (#"{"settings":{"z_comp":3}}"#, .badRequest),
        (#"{"settings":{"aux_fan_speed_pct":30}}"#, .badRequest),
        (#"{"settings":{"box_fan_level":2}}"#, .badRequest),
    ])
    func refused(payload: String, code: ReplyCode) throws {
        let failure = try #require(throws: CommandFailure.self) { try PrintSettings.parse(try data(payload)) }
        #expect(failure.code == code)
        #expect(!failure.message.isEmpty)
    }

    @Test func rangeMessageNamesTheLimits() throws {
        #expect(throws: CommandFailure(.badRequest, "\"target_nozzle_temp\" is 400, expected 0 to 300")) {
            try PrintSettings.parse(try data(#"{"settings":{"target_nozzle_temp":400}}"#))
        }
    }
}
