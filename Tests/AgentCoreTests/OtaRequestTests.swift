import AgentCore
import AgentJSON
import Testing

private func data(_ text: String) throws -> JSONValue { try JSONCodec.parse(text) }

private let good = #"{"firmware_url":"https://cdn.example.com/fw/2.4.0.swu","firmware_name":"kobra-2.4.0.swu","firmware_version":"2.4.0","firmware_size":123456,"firmware_md5":"0123456789ABCDEF0123456789abcdef"}"#

@Suite("ota/update request")
struct OtaRequestTests {
    @Test func everyFieldIsRead() throws {
        let request = try OtaRequest.parse(data(good))
        #expect(request == OtaRequest(url: "https://cdn.example.com/fw/2.4.0.swu", name: "kobra-2.4.0.swu", version: "2.4.0",
                                      size: 123_456, md5: "0123456789abcdef0123456789abcdef", force: false))
    }

    @Test func forceAndStringSizes() throws {
        var text = good.replacingOccurrences(of: #""firmware_size":123456"#, with: #""firmware_size":"123456""#)
        text = String(text.dropLast()) + #","force_update":true}"#
        let request = try OtaRequest.parse(data(text))
        #expect(request.force)
        #expect(request.size == 123_456)
    }

    @Test(arguments: [
        ("firmware_url", #""ftp://x/fw""#), ("firmware_url", #""https://x/a b""#), ("firmware_md5", #""abc""#),
        ("firmware_md5", #""0123456789abcdef0123456789abcdeg""#), ("firmware_size", "-1"), ("firmware_size", "1.5"),
        ("firmware_name", #""../fw.swu""#), ("firmware_version", #""""#), ("force_update", #""yes""#),
    ])
    func badFieldsAreRefused(key: String, value: String) throws {
        let object = try #require(try data(good).objectValue)
        var changed = object
        changed[key] = try data(value)
        let failure = try #require(throws: CommandFailure.self) { try OtaRequest.parse(.object(changed)) }
        #expect(failure.code == .badRequest)
    }

    @Test func missingFieldsAreNamed() throws {
        #expect(throws: CommandFailure(.badRequest, "\"firmware_size\" is missing")) {
            try OtaRequest.parse(try data(#"{"firmware_url":"http://x/f","firmware_name":"f","firmware_version":"1","firmware_md5":"0123456789abcdef0123456789abcdef"}"#))
        }
    }
}

@Suite("OTA record and the reboot follow-up")
struct OtaRecordTests {
    private let record = OtaRecord(version: "2.4.0", previousVersion: "2.3.9", name: "fw.swu", bootId: "b-1")

    @Test func roundTripsThroughItsText() throws {
        #expect(try OtaRecord.parse(Array(record.text.utf8)) == record)
    }

    @Test func damagedRecordsAreErrors() {
        #expect(throws: CommandFailure.self) { try OtaRecord.parse(Array("{\"version\":".utf8)) }
        #expect(throws: CommandFailure.self) { try OtaRecord.parse(Array("{\"version\":\"1\"}".utf8)) }
    }

    @Test func theNewVersionRunningIsSuccess() {
        let report = record.followUp(runningVersion: "2.4.0")
        #expect(report.state == "update-success")
        #expect(report.code == .ok)
        #expect(report.type == "ota" && report.action == "update")
    }

    @Test func anotherVersionRunningIsAFailureSayingWhich() {
        let report = record.followUp(runningVersion: "2.3.9")
        #expect(report.state == "update-failed")
        #expect(report.code != .ok)
        #expect(report.message == "the printer runs 2.3.9 after installing 2.4.0")
        #expect(record.followUp(runningVersion: nil).message == "the printer runs an unknown version after installing 2.4.0")
    }
}

@Suite("print/start from a URL")
struct PrintDownloadRequestTests {
    @Test func urlMd5AndSize() throws {
        let request = try PrintStartRequest.parse(data(#"{"filename":"cube.gcode","url":"https://files.example.com/c.gcode","md5":"0123456789abcdef0123456789abcdef","filesize":4096,"taskid":"77"}"#))
        #expect(request.download == PrintStartRequest.Download(url: "https://files.example.com/c.gcode",
                                                                md5: "0123456789abcdef0123456789abcdef", size: 4096))
        #expect(request.source == .local)
    }

    @Test func aUrlNeedsAnMd5AndTheLocalStorage() throws {
        #expect(throws: CommandFailure(.badRequest, "\"md5\" is missing")) {
            try PrintStartRequest.parse(try data(#"{"filename":"c.gcode","url":"http://x/c.gcode"}"#))
        }
        let usb = try #require(throws: CommandFailure.self) {
            try PrintStartRequest.parse(try data(#"{"filename":"c.gcode","url":"http://x/c.gcode","md5":"0123456789abcdef0123456789abcdef","file_location":"udisk"}"#))
        }
        #expect(usb.code == .badRequest)
    }
}

@Suite("Print supervisor downloads")
struct PrintSupervisorDownloadTests {
    private func job() -> PrintJob {
        PrintJob(taskId: "t", filename: "c.gcode", directory: .root, source: .local, absolutePath: "/s/c.gcode", now: 0)
    }

    @Test func downloadingCheckingThenPreheating() {
        var supervisor = PrintSupervisor()
        let start = supervisor.beginDownload(job(), answering: Command(type: "print", action: "start", msgid: "m"), now: 0)
        #expect(start.map(\.state) == ["downloading", "busy"])
        #expect(supervisor.job?.phase.printStatus == 4)
        #expect(supervisor.downloadProgressed(0.1, now: 500).isEmpty, "at most once a second")
        let progress = supervisor.downloadProgressed(0.2, now: 1_100)
        #expect(progress.map(\.state) == ["downloading"])
        #expect(progress.first?.data["progress"] == .int(20))
        let checking = supervisor.checking(now: 1_200)
        #expect(checking.map(\.state) == ["checking"])
        #expect(supervisor.job?.phase.printStatus == 5)
        #expect(checking.first?.data["progress"] == .int(100))
        let preheating = supervisor.downloaded(now: 1_300)
        #expect(preheating.map(\.state) == ["preheating"])
        #expect(preheating.first?.data["progress"] == .int(0))
        #expect(supervisor.job?.printMinutes == 0, "download time is not print time")
    }

    @Test func aFailedDownloadEndsTheTask() {
        var supervisor = PrintSupervisor()
        _ = supervisor.beginDownload(job(), answering: Command(type: "print", action: "start"), now: 0)
        let reports = supervisor.fail(.verificationFailed, "the MD5 differs")
        #expect(reports.map(\.state) == ["failed", "free"])
        #expect(reports[0].code == .verificationFailed)
        #expect(reports[0].message == "the MD5 differs")
        #expect(!supervisor.isActive)
    }

    @Test func pauseDuringADownloadIsRefused() {
        var supervisor = PrintSupervisor()
        _ = supervisor.beginDownload(job(), answering: Command(type: "print", action: "start"), now: 0)
        #expect(throws: CommandFailure(.conflict, "cannot pause a print that is downloading")) {
            try supervisor.transition(for: Command(type: "print", action: "pause"))
        }
    }
}
