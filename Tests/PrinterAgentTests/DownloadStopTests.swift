import AgentCore
import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// A print from a URL whose connection drops half-way waits a second, then resumes. A
/// `print/stop` during that wait must end the task for good: the wait was a timer holding
/// the download (once an unowned reference into a freed object), and nothing of the
/// download may run after the stop. On virtual time, so the wait is crossed at once.
@Suite struct DownloadStopTests {
    /// The file served, the local storage, the server and the print service on virtual time.
    private final class Cloud {
        let files: TemporaryDirectory
        let server: HTTPTestServer
        let rig = ServiceRig()
        let backend = AcceptingBackend()
        let service: PrintService
        let body = String(repeating: "G1 X1 Y1 E0.1\n", count: 20_000)

        init() throws {
            files = try TemporaryDirectory()
            try files.write("www/cloud.gcode", body)
            try FileManager.default.createDirectory(atPath: files.path + "/local", withIntermediateDirectories: true)
            server = try HTTPTestServer(root: files.path + "/www")
            let config = try makeConfig(["storage_local = " + files.path + "/local", "state_dir = " + files.path + "/state"])
            service = PrintService(backend: backend, config: config, kobra2: false, usbRoot: { nil }, reactor: rig.time.reactor,
                                   outbox: rig.outbox, logger: rig.log.logger)
            service.register(in: rig.router)
        }

        /// Starts the print of the served file through a connection that drops half-way,
        /// and turns the loop until the download waits to resume.
        func startAndWaitForTheDrop() throws {
            let md5 = try md5Hex(Data(body.utf8))
            try rig.send("print", "start", data: """
                {"taskid":"t1","filename":"cloud.gcode","filepath":"/","md5":"\(md5)","filesize":\(body.utf8.count),
                 "url":"http://127.0.0.1:\(server.port)/cloud.gcode?fault=drop"}
                """)
            try rig.time.run(until: "the download waits to resume") { rig.log.contains("download interrupted") }
        }

        /// The files in the local storage, hidden ones included.
        var localFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: files.path + "/local")) ?? [] }
    }

    @Test func aStopDuringTheResumeWaitEndsTheTaskForGood() throws {
        let cloud = try Cloud()
        try cloud.startAndWaitForTheDrop()
        _ = try cloud.rig.published()
        try cloud.rig.send("print", "stop", data: #"{"taskid":"t1"}"#)
        let stop = try cloud.rig.published()
        #expect(stop.map(\.state) == [nil, "stoped", "failed", "free"])
        #expect(stop.first?.msgid == "m2")
        #expect(stop.dropFirst(2).first?.code == 499)

        try cloud.rig.time.advance(by: 60_000)
        #expect(cloud.server.requests.count == 1, "the download was not resumed after the stop")
        #expect(cloud.localFiles.isEmpty, "no partial file is left: \(cloud.localFiles)")
        #expect(cloud.backend.started.isEmpty)
        #expect(try cloud.rig.published().isEmpty, "nothing is reported after the task ended")
    }

    /// The same drop without a stop: one second later the download resumes with a range,
    /// and the verified file goes to the backend.
    @Test func withoutAStopTheDownloadResumesAfterASecond() throws {
        let cloud = try Cloud()
        try cloud.startAndWaitForTheDrop()
        try cloud.rig.time.advance(by: 999)
        #expect(cloud.server.requests.count == 1, "not resumed before its second is up")
        try cloud.rig.time.advance(by: 1)
        try cloud.rig.time.run(until: "the backend has the file") { !cloud.backend.started.isEmpty }
        #expect(cloud.server.requests.last?.range?.hasPrefix("bytes=") == true)
        let printed = try String(contentsOfFile: cloud.files.path + "/local/cloud.gcode", encoding: .utf8)
        #expect(printed == cloud.body)
        #expect(cloud.localFiles == ["cloud.gcode"])
    }
}
