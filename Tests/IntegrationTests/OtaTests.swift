import Foundation
import Testing
import TestSupport

/// Firmware updates end to end: the agent downloads an image from a real HTTP server,
/// verifies it (size, MD5, and an Ed25519 signature made in the test), records what it
/// installs, runs a fake installer script and reports each step; after a "reboot" (a new
/// agent with another boot id in the record) it reports whether the update took, once.
@Suite struct OtaTests {
    /// A state directory, a version file, an installer script, a server with an image, and
    /// a running agent configured for OTA.
    final class Rig {
        let folder: TemporaryDirectory
        let files: TemporaryDirectory
        let server: HTTPTestServer
        let image: Data
        let md5: String
        var harness: Harness!
        var arguments: [String] = []

        var stateDirectory: String { folder.path + "/state" }
        var installed: String { folder.path + "/installed.bin" }
        var record: String { stateDirectory + "/ota-pending.json" }

        /// `exitStatus` is what the installer exits with; `config` adds lines.
        init(exitStatus: Int = 0, config: [String] = [], start: Bool = true) throws {
            folder = try TemporaryDirectory()
            files = try TemporaryDirectory()
            image = Data((0..<300_000).map { UInt8(truncatingIfNeeded: ($0 * 7919) >> 3) })
            _ = try files.write("fw-2.0.0.swu", image)
            server = try HTTPTestServer(root: files.path)
            md5 = try md5Hex(image)
            _ = try folder.write("version", "1.0.0\n")
            _ = try folder.write("install.sh", """
                cp "$1" "\(folder.path)/installed.bin"
                echo "[ 10%] Installing"
                echo "[ 60%] Installing"
                echo "[100%] Installing"
                if [ \(exitStatus) -ne 0 ]; then echo "ERROR : image is not for this board"; fi
                exit \(exitStatus)
                """)
            let lines = ["state_dir = \(stateDirectory)", "version_file = \(folder.path)/version",
                         "ota_installer = /bin/sh \(folder.path)/install.sh {file}"] + config
            let path = try folder.write("agent.conf", lines.joined(separator: "\n") + "\n")
            arguments = ["-c", path, "--storage", folder.path]
            if start { harness = try Harness(agentArguments: arguments) }
        }

        /// Sends ota/update for the image (or `name` on the server) with `md5`.
        @discardableResult
        func update(_ name: String = "fw-2.0.0.swu", md5: String? = nil) throws -> ReceivedMessage {
            let data = "{\"firmware_url\":\"\(server.url(for: name))\",\"firmware_name\":\"fw.swu\",\"firmware_version\":\"2.0.0\","
                + "\"firmware_size\":\(image.count),\"firmware_md5\":\"\(md5 ?? self.md5)\"}"
            return try harness.ask("ota", "update", data: data)
        }

        /// Waits for an ota report in `state`.
        @discardableResult
        func waitFor(_ state: String, timeout: TimeInterval = 30) throws -> [String: Any] {
            try harness.client.waitFor("an ota report \(state)", timeout: timeout) {
                $0.topic == Wire.report("ota") && ($0.json?["state"] as? String) == state
            }.json ?? [:]
        }

        /// The ota/update states published so far, in order.
        var states: [String] { Self.updateStates(harness.client) }

        /// The ota/update states `client` received so far, in order.
        static func updateStates(_ client: MQTTTestClient) -> [String] {
            client.received.filter { $0.topic == Wire.report("ota") }.compactMap { $0.json }
                .filter { $0["action"] as? String == "update" }.compactMap { $0["state"] as? String }
        }

        /// Whether the state directory holds no download left over.
        var noPartialImage: Bool {
            !((try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []).contains { $0.hasPrefix(".agent-download-") }
        }
    }

    /// Runs openssl with `arguments`.
    private func openssl(_ arguments: [String]) throws {
        guard Process.run(try Executables.find("openssl"), arguments) == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) failed")
        }
    }

    @Test func aVerifiedImageIsInstalledWithProgress() throws {
        let rig = try Rig()
        let answer = try rig.update()
        #expect(answer.json?["state"] as? String == "downloading")
        let success = try rig.waitFor("update-success")
        #expect((success["data"] as? [String: Any])?["firmware_version"] as? String == "2.0.0")
        #expect(rig.states.first == "downloading")
        #expect(rig.states.contains("download-success"))
        #expect(rig.states.contains("updating"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
        let record = try String(contentsOfFile: rig.record, encoding: .utf8)
        #expect(record.contains("\"version\":\"2.0.0\"") && record.contains("\"previous_version\":\"1.0.0\""))
        #expect(rig.noPartialImage, "the image is removed once installed")
        let install = try rig.harness.ask("ota", "install")
        #expect(install.json?["code"] as? Int == 409, "nothing waits with ota_install = now")
        #expect((install.json?["msg"] as? String)?.contains("with ota_install = now, ota/update installs at once") == true)
    }

    @Test func aFailingInstallerIsReportedWithItsMessage() throws {
        let rig = try Rig(exitStatus: 3)
        try rig.update()
        let failed = try rig.waitFor("update-failed")
        #expect((failed["msg"] as? String)?.contains("status 3") == true)
        #expect((failed["msg"] as? String)?.contains("image is not for this board") == true)
        #expect(!FileManager.default.fileExists(atPath: rig.record), "no follow-up for an update that did not install")
    }

    @Test func aBadImageIsNeverInstalled() throws {
        let rig = try Rig()
        try rig.update(md5: String(repeating: "1", count: 32))
        let failed = try rig.waitFor("download-failed")
        #expect((failed["msg"] as? String)?.contains("MD5") == true)
        #expect(!FileManager.default.fileExists(atPath: rig.installed))
        #expect(rig.noPartialImage)
    }

    @Test func signaturesAreRequiredWhenAKeyIsConfigured() throws {
        let keys = try TemporaryDirectory()
        try openssl(["genpkey", "-algorithm", "ed25519", "-out", keys.path + "/key.pem"])
        try openssl(["pkey", "-in", keys.path + "/key.pem", "-pubout", "-out", keys.path + "/key.pub"])
        let rig = try Rig(config: ["ota_public_key = \(keys.path)/key.pub"], start: false)
        // A good signature of the image, and one of other bytes for a second image.
        try openssl(["dgst", "-sha256", "-binary", "-out", keys.path + "/digest", rig.files.path + "/fw-2.0.0.swu"])
        try openssl(["pkeyutl", "-sign", "-rawin", "-inkey", keys.path + "/key.pem", "-in", keys.path + "/digest",
                     "-out", rig.files.path + "/fw-2.0.0.swu.sig"])
        _ = try rig.files.write("forged.swu", rig.image)
        _ = try rig.files.write("forged.swu.sig", Data(repeating: 7, count: 64))
        _ = try rig.files.write("unsigned.swu", rig.image)
        rig.harness = try Harness(agentArguments: rig.arguments)

        try rig.update("forged.swu")
        let forged = try rig.waitFor("update-failed")
        #expect((forged["msg"] as? String)?.contains("does not verify") == true)
        #expect(!FileManager.default.fileExists(atPath: rig.installed))

        try rig.update("unsigned.swu")
        try rig.harness.client.waitFor("the unsigned image refused") {
            $0.topic == Wire.report("ota") && (($0.json?["msg"] as? String)?.contains("no signature") ?? false)
        }
        #expect(!FileManager.default.fileExists(atPath: rig.installed))

        try rig.update()
        try rig.waitFor("update-success")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
        #expect(rig.harness.agent.log.contains("signature verified (Ed25519)"))
    }

    @Test(arguments: [("2.0.0", "update-success"), ("1.0.0", "update-failed")])
    func afterTheRebootTheOutcomeIsReportedOnce(running: String, state: String) throws {
        let rig = try Rig(start: false)
        try FileManager.default.createDirectory(atPath: rig.stateDirectory, withIntermediateDirectories: true)
        _ = try rig.folder.write("state/ota-pending.json",
                                 #"{"version":"2.0.0","previous_version":"1.0.0","name":"fw.swu","boot_id":"an-earlier-boot"}"#)
        _ = try rig.folder.write("version", running + "\n")
        // Listen before the agent starts: the follow-up goes out with its first announcements.
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        try client.subscribe(Wire.everything)
        let first = try AgentProcess(broker: broker.url, extra: rig.arguments)
        func followUps() -> [String] { Rig.updateStates(client) }
        try waitUntil("the follow-up report", timeout: 10) { followUps() == [state] }
        #expect(!FileManager.default.fileExists(atPath: rig.record))
        first.send(SIGTERM)
        _ = try first.waitForExit()
        let second = try AgentProcess(broker: broker.url, extra: rig.arguments)
        try waitUntil("the second agent online", timeout: 10) { client.received.filter(Wire.isOnline).count == 2 }
        // A follow-up is published at start, before any command is handled: once a command
        // sent now is answered, a second follow-up would have arrived.
        #expect(try client.ask("info", "query").json?["code"] as? Int == 200)
        #expect(followUps() == [state], "reported once")
        withExtendedLifetime(second) {}
    }

    @Test func aRecordOfThisBootWaitsForTheReboot() throws {
        let rig = try Rig(start: false)
        try FileManager.default.createDirectory(atPath: rig.stateDirectory, withIntermediateDirectories: true)
        let bootId = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try rig.folder.write("state/ota-pending.json",
                                 "{\"version\":\"2.0.0\",\"name\":\"fw.swu\",\"boot_id\":\"\(bootId)\"}")
        // Listen before the agent starts (a Harness forgets what came before the online
        // report); once a command sent after the decision is logged is answered, everything
        // published at start has arrived.
        let broker = try MosquittoBroker()
        let client = try MQTTTestClient(port: broker.port)
        try client.subscribe(Wire.everything)
        let agent = try AgentProcess(broker: broker.url, extra: rig.arguments)
        try agent.waitForLog("firmware 2.0.0 waits for a reboot to be active")
        try client.waitFor("the online report", Wire.isOnline)
        #expect(try client.ask("info", "query").json?["code"] as? Int == 200)
        #expect(Rig.updateStates(client).isEmpty, "no outcome reported before the reboot")
        #expect(FileManager.default.fileExists(atPath: rig.record))
        withExtendedLifetime(agent) {}
    }

    @Test func refusedWithoutAnInstallerAndDuringAPrint() throws {
        let harness = try Harness()
        let data = #"{"firmware_url":"http://127.0.0.1:1/f","firmware_name":"f","firmware_version":"2","firmware_size":1,"firmware_md5":"0123456789abcdef0123456789abcdef"}"#
        #expect(try harness.ask("ota", "update", data: data).json?["code"] as? Int == 503)

        let rig = try PrintRig.marlin(["--speed", "100", "--heat-rate", "instant"],
                                      config: ["ota_installer = /bin/true {file}", "state_dir = \(NSTemporaryDirectory())ota-\(UUID().uuidString)"])
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        let refused = try rig.harness.ask("ota", "update", data: data)
        #expect(refused.json?["code"] as? Int == 10101)
        let forced = try rig.harness.ask("ota", "update", data: String(data.dropLast()) + #","force_update":true}"#)
        #expect(forced.json?["code"] as? Int == 10101, "force_update needs ota_allow_force")
    }
}
