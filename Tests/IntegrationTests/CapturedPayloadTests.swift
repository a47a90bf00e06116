import Foundation
import Testing
import TestSupport

/// Every captured command of Tests/Fixtures/captured/ sent, as its sender sent it, to the agent
/// driving a Marlin simulator, in the state the capture needs (idle, printing, paused): the
/// answer must be the firmware's (state, code, key fields), a command the firmware answers
/// with silence must get none, and a delete must remove the file. The commands about a USB
/// stick's files run with a real stick inserted, as root.
@Suite struct CapturedPayloadTests {
    @Test(arguments: CapturedCommand.names(usb: false))
    func replay(name: String) throws {
        try replay(try CapturedCommand(name))
    }

    /// The commands about files on a USB stick, with a stick inserted (`UsbStick`).
    @Test(Root.required(reason: "mounts a USB stick's ext2 image on a loop device in a mount namespace"),
          arguments: CapturedCommand.names(usb: true))
    func replayWithStick(name: String) throws {
        let fixture = try CapturedCommand(name)
        let cube = try Fixture.data("cube.gcode")
        let stick = try UsbStick(files: Dictionary(uniqueKeysWithValues: fixture.usbFiles.map { ($0, cube) }))
        try replay(fixture, launcher: try stick.launcher()) { rig in
            try rig.harness.agent.waitForLog("USB stick \(stick.device) mounted on \(stick.mountPoint)")
        }
    }

    /// Sends `fixture`'s command to an agent (started through `launcher`, after `ready`
    /// returns) in the state the fixture needs, and checks the answer.
    private func replay(_ fixture: CapturedCommand, launcher: [String] = [],
                        ready: (PrintRig) throws -> Void = { _ in }) throws {
        let name = fixture.name
        let rig = try PrintRig.marlin(["--speed", "20", "--heat-rate", "instant"], config: fixture.config, launcher: launcher)
        for file in fixture.files { _ = try rig.storage.write("gcodes/" + file, try Fixture.data("cube.gcode")) }
        try rig.waitForController()
        try ready(rig)
        let taskid = try prepare(rig, for: fixture.needs)

        rig.client.clear()
        let payload = try fixture.payload(jobTaskid: taskid)
        rig.client.publish(Wire.command(fixture.type, sender: fixture.sender), payload)
        let isAnswer = { (message: ReceivedMessage) -> Bool in
            guard message.topic == Wire.report(fixture.type), let json = message.json else { return false }
            return fixture.msgid.map { json["msgid"] as? String == $0 } ?? true
        }
        // An answer may wait for the controller (axis/query's M114): wait for it. Silence is
        // checked after the answer to a later command, which the agent gives in order.
        if fixture.expect["silent"] as? Bool != true {
            _ = try? rig.client.waitFor("the answer to \(name)", isAnswer)
        }
        let marker = try rig.harness.ask("status", "query")
        let answer = rig.client.received.first(where: isAnswer)?.json

        let wrong = fixture.mismatches(answer)
        if !wrong.isEmpty { Issue.record("\(name) (\(fixture.source)): \(wrong.joined(separator: "; "))") }
        for file in (fixture.expect["deleted"] as? [String]) ?? [] {
            #expect(!FileManager.default.fileExists(atPath: rig.root + "/" + file), "\(name): \(file) is still there")
        }
        if fixture.expect["idle_after"] as? Bool == true {
            #expect(marker.json?["state"] as? String == "free", "\(name): nothing was started")
        }
    }

    /// Brings the printer into the state `needs` names and returns the task id the agent
    /// reports for its job (nil when idle).
    private func prepare(_ rig: PrintRig, for needs: String) throws -> String? {
        guard needs != "idle" else { return nil }
        try rig.start()
        try rig.waitForPrint("printing")
        let info = try rig.harness.ask("info", "query").json ?? [:]
        let project = PrintRig.data(info)["project"] as? [String: Any] ?? [:]
        let taskid = (project["task_id"] as? Int).map(String.init) ?? project["task_id"] as? String
        if needs == "paused" {
            try rig.harness.ask("print", "pause", data: "{\"taskid\":\"\(taskid ?? "")\"}")
            try rig.waitForPrint("paused")
        }
        return taskid
    }
}
