import AgentCore
import AgentJSON
import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// A print nobody numbered gets a whole number, as the firmware's jobs have: the clients
/// pause, resume and stop by `int(task_id)`. A restarted agent never gives a number again,
/// and `-1` names the active job.
@Suite struct TaskNumberTests {
    /// The local storage with a file to print, and the state directory the numbers are kept in.
    private let files: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory()
        try files.write("local/cube.gcode", try Fixture.data("cube.gcode"))
    }

    /// A print service as a fresh agent makes it, on the same storage and state directory.
    private func agent() throws -> (ServiceRig, AcceptingBackend, PrintService) {
        let rig = ServiceRig()
        let backend = AcceptingBackend()
        let config = try makeConfig(["storage_local = " + files.path + "/local", "state_dir = " + files.path + "/state"])
        let service = PrintService(backend: backend, config: config, kobra2: false, usbRoot: { nil },
                                   reactor: rig.time.reactor, outbox: rig.outbox, logger: rig.log.logger)
        service.register(in: rig.router)
        service.start()
        return (rig, backend, service)
    }

    /// Starts the cube with `data` and returns the answer's task id.
    private func start(_ rig: ServiceRig, data: String) throws -> String {
        try rig.send("print", "start", data: data)
        let answer = try #require(try rig.published().first { $0.topic.hasSuffix("print/report") })
        #expect(answer.state == "preheating")
        return try #require(answer.fields["data"]?["taskid"]?.stringValue)
    }

    @Test func numbersAreWholeAndNeverGivenTwiceAcrossRestarts() throws {
        let (rig, backend, service) = try agent()
        let first = try start(rig, data: #"{"filename":"cube.gcode"}"#)
        #expect(Int64(first) != nil, "a whole number, not \(first)")
        #expect(service.supervisor.job?.projectData(speedMode: 2)["task_id"] == .int64(Int64(first) ?? 0))
        try rig.send("print", "stop", data: #"{"taskid":"-1"}"#)
        #expect(try rig.published().contains { $0.state == "stopping" }, "-1 names the active job")
        backend.onEvent(.stopped)
        #expect(service.supervisor.job == nil)

        let (restarted, _, _) = try agent()
        let second = try start(restarted, data: #"{"taskid":"-1","filename":"cube.gcode"}"#)
        #expect((Int64(second) ?? 0) > (Int64(first) ?? 0), "\(second) after \(first)")
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: files.path + "/state/last-task-id")), as: UTF8.self)
                == second + "\n")
    }

    @Test func theCloudsIdIsKept() throws {
        let (rig, _, _) = try agent()
        #expect(try start(rig, data: #"{"taskid":614707220,"filename":"cube.gcode"}"#) == "614707220")
        #expect(!FileManager.default.fileExists(atPath: files.path + "/state/last-task-id"), "no number was given")
    }
}
