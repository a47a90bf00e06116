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

    @Test(arguments: [
        (#"null"#, "print/start needs data with \"filename\""),
        (#"{}"#, "\"filename\" is missing"),
        (#"{"filename":7}"#, "\"filename\" is a number, expected a string"),
        (#"{"filename":"a.gcode","file_location":"sd"}"#, "\"file_location\" is \"sd\", expected \"local\" or \"udisk\""),
        (#"{"filename":"a.gcode","taskid":[1]}"#, "\"taskid\" is an array, expected a string or a whole number"),
    ])
    func badRequests(payload: String, message: String) throws {
        #expect(throws: CommandFailure(.badRequest, message)) { try PrintStartRequest.parse(try data(payload)) }
    }

    @Test func pathsThatLeaveTheRootAreRefused() throws {
        for payload in [#"{"filename":"../x.gcode"}"#, #"{"filename":"a.gcode","filepath":"/../etc"}"#,
                        #"{"filename":"a/b.gcode"}"#] {
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
