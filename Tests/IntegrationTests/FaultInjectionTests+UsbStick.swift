import Foundation
import Testing
import TestSupport

extension FaultInjectionTests {
    /// A USB stick pulled out while the agent reads it (`UsbStick`: a real ext2 filesystem on
    /// a loop device, cut off at the block level, then unmounted as an automounter does).
    @Suite(Root.required(reason: "mounts an ext2 image on a loop device in a mount namespace"))
    struct UsbStickPulledOut {
        /// The `udisk` flag of a `peripherie` report.
        private static func udisk(_ message: ReceivedMessage) -> Int? {
            (message.json?["data"] as? [String: Any])?["udisk"] as? Int
        }

        /// Whether process `pid` has `path` open (a directory being listed).
        private static func hasOpen(_ pid: Int32, _ path: String) -> Bool {
            let folder = "/proc/\(pid)/fd"
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return descriptors.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0)) == path }
        }

        /// After the cut, the automounter detaches the stick: the agent pushes that it is
        /// gone, and USB commands answer 503 from then on.
        private func unmount(_ stick: UsbStick, _ harness: Harness) throws {
            harness.client.clear()
            try stick.unmount(inNamespaceOf: harness.agent.pid)
            try harness.client.waitFor("the pushed peripherie report", timeout: 10) {
                $0.topic == Wire.report("peripherie") && Self.udisk($0) == 0
            }
            // As the firmware: no stick lists nothing (an error would stand as a printer fault).
            try harness.client.waitFor("the pushed listing of no stick") {
                $0.topic == Wire.report("file") && $0.json?["action"] as? String == "listUdisk"
                    && ($0.json?["data"] as? [String: Any])?["records"] as? [Any] != nil
                    && (($0.json?["data"] as? [String: Any])?["records"] as? [Any])?.isEmpty == true
            }
            let listing = try harness.ask("file", "listUdisk", data: #"{"path":"/"}"#)
            #expect(listing.json?["code"] as? Int == 200)
            #expect((listing.json?["data"] as? [String: Any])?["records"] as? [Any] != nil)
            #expect(((listing.json?["data"] as? [String: Any])?["records"] as? [Any])?.count == 0)
        }

        @Test func duringAListing() throws {
            let count = 3_000
            let names = (0..<count).map { "gcodes/part-\($0).gcode" }
            let stick = try UsbStick(files: Dictionary(uniqueKeysWithValues: names.map { ($0, Data("G28\n".utf8)) }))
            let storage = try TemporaryDirectory()
            let harness = try Harness(agentArguments: ["--storage", storage.path], launcher: try stick.launcher())
            try harness.agent.waitForLog("USB stick \(stick.device) mounted on \(stick.mountPoint)")
            #expect(Self.udisk(try harness.ask("peripherie", "query")) == 1)

            // The stick is cut as soon as the agent has its folder open (or has answered). A
            // page is asked for, so that the answer says the listing's total.
            let msgid = UUID().uuidString
            harness.client.publish(Wire.command("file"), Wire.envelope("file", "listUdisk", msgid: msgid,
                                                                       data: #"{"path":"/gcodes","page":1,"limit":200}"#))
            let answered: (ReceivedMessage) -> Bool = { $0.topic == Wire.report("file") && $0.payload.contains(msgid) }
            try waitUntil("the agent reading the stick's folder", timeout: 10) {
                Self.hasOpen(harness.agent.pid, stick.mountPoint + "/gcodes") || harness.client.received.contains(where: answered)
            }
            try stick.cut()
            let answer = try harness.client.waitFor("the listing's answer", answered).json ?? [:]
            let data = answer["data"] as? [String: Any] ?? [:]
            switch answer["code"] as? Int {
            case 500?:
                #expect(answer["msg"] as? String == "cannot read \"/gcodes\": input/output error (was the USB stick removed?)")
                #expect(answer["data"] is NSNull || data.isEmpty, "no half listing: \(data)")
            case 200?:  // it finished before the cut: then it is whole
                #expect(data["total"] as? Int == count, "a listing that succeeds is whole: \(data["total"] ?? "none")")
            default:
                Issue.record("neither a whole listing nor an I/O error: \(answer)")
            }

            // Any listing now reads the dead stick (nothing of it is cached: `cut`): an error,
            // and the agent answers on. Which errno a dead ext2 gives depends on what the
            // kernel must read: EIO, or ENOMEM when it reads a directory's pages again.
            let next = try harness.ask("file", "listUdisk", data: #"{"path":"/gcodes"}"#).json ?? [:]
            #expect(next["code"] as? Int == 500)
            #expect(next["data"] is NSNull, "no half listing: \(next)")
            let message = next["msg"] as? String ?? ""
            #expect(message.hasPrefix("cannot read \"/gcodes\": ") || message.hasPrefix("cannot open \"/gcodes\": "), "\(next)")
            try unmount(stick, harness)
        }

        /// The cube with a 3 KB comment after every move: about 4 MB, far more than the
        /// kernel reads ahead, so the print reads the stick until its end.
        private static func paddedCube() throws -> Data {
            let padding = "; " + String(repeating: "padding ", count: 384) + "\n"
            var text = ""
            for line in String(decoding: try Fixture.data("cube.gcode"), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                text += line + "\n"
                if line.hasPrefix("G1 ") { text += padding }
            }
            return Data(text.utf8)
        }

        @Test func duringAPrintFromIt() throws {
            let stick = try UsbStick(files: ["big.gcode": try Self.paddedCube()])
            let rig = try PrintRig.marlin(["--speed", "100", "--heat-rate", "instant"], launcher: try stick.launcher())
            try rig.harness.agent.waitForLog("USB stick \(stick.device) mounted on \(stick.mountPoint)")
            try rig.waitForController()
            let start = try rig.harness.ask("print", "start",
                                            data: #"{"taskid":"usb-1","filename":"big.gcode","filepath":"/","file_location":"udisk"}"#)
            #expect(start.json?["state"] as? String == "preheating")
            try rig.waitForPrint("printing")
            try stick.cut()

            let failed = try rig.waitForPrint("failed", timeout: 30)
            #expect(failed["code"] as? Int == 502)
            let message = failed["msg"] as? String ?? ""
            #expect(message.contains("cannot read the file") && message.lowercased().contains("input/output error"), "\(message)")
            #expect(PrintRig.data(failed)["filetype"] as? Int == 2, "the USB stick")
            try rig.client.waitFor("status free") { $0.topic == Wire.report("status") && $0.state == "free" }
            #expect(rig.printStates == ["preheating", "printing", "failed"])
            #expect(try rig.harness.ask("status", "query").json?["state"] as? String == "free")
            try unmount(stick, rig.harness)
        }
    }
}
