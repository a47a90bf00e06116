import Foundation
import Testing
import TestSupport

/// The agent driven by the published Anycubic client libraries themselves, through their own
/// APIs (`ClientDriver`), on a Marlin and a Klipper simulator: connect, the queries the library
/// sends on connect, info, the local and USB listings, a delete, temperatures, fan and light,
/// then a print started, paused, resumed and stopped. Each step must pass with no exception,
/// no report the library dropped and no standing error it keeps. No USB stick is inserted,
/// as on most printers most of the time.
@Suite struct RealClientTests {
    /// A broker with a plain listener for the agent and a TLS one for the library (both
    /// libraries always speak TLS to the printer's broker, and check no certificate). A port
    /// found free can be taken by a parallel test before the broker binds it; the broker then
    /// exits, and the next pair of ports is tried.
    private static func broker() throws -> (MosquittoBroker, tlsPort: Int, CertificateAuthority) {
        let authority = try CertificateAuthority()
        for _ in 1...5 {
            let tlsPort = try FreePort.find()
            // The broker waits until every listener is open, and fails when one was taken.
            if let broker = try? MosquittoBroker(extra: ["listener \(tlsPort) 127.0.0.1",
                                                         "certfile \(authority.serverCert)", "keyfile \(authority.serverKey)"]) {
                return (broker, tlsPort, authority)
            }
        }
        throw TestFailure("no broker with both listeners up after 5 pairs of ports")
    }

    /// A head and a chamber light for `controller` (each library switches one of them).
    private static func lights(_ controller: String) -> [String] {
        controller == "marlin" ? ["light_head = marlin-m355", "light_chamber = marlin-m150"]
                               : ["light_head = klipper-pin:caselight", "light_chamber = klipper-led:chamber_led"]
    }

    @Test(arguments: ["anycubic-lan", "anycubic-cloud-api"], ["marlin", "klipper"])
    func everyStepPasses(library: String, controller: String) throws {
        let (broker, tlsPort, _) = try Self.broker()
        let identity = try TemporaryDirectory()
        // A firmware version and a head and a chamber light, as on a printer.
        let config = ["version_file = \(try identity.write("version", "2.3.5.3\n"))"] + Self.lights(controller)
        let simulator = ["--speed", "20", "--heat-rate", "instant"]  // a 60 s print
        let rig = controller == "marlin" ? try PrintRig.marlin(simulator, config: config, broker: broker)
                                         : try PrintRig.klipper(simulator, config: config, broker: broker)
        _ = try rig.storage.write("gcodes/delete-me.gcode", try Fixture.data("cube.gcode"))
        try rig.waitForController()

        let steps = try ClientDriver.run(library, tlsPort: tlsPort, file: "cube.gcode", delete: "delete-me.gcode")
        #expect(steps.map(\.name) == ClientDriver.steps, "the driver ran every step")
        for step in steps where !step.ok {
            Issue.record("\(library) on \(controller), step \(step.name): \(step.error ?? "failed")")
        }
        if steps.first(where: { $0.name == "delete" })?.ok == true {
            #expect(!FileManager.default.fileExists(atPath: rig.root + "/delete-me.gcode"), "the deleted file is gone")
        }
    }

    /// The same flow as a LAN user has it: the agent in LAN mode behind the shipped broker
    /// profile (packaging/lan-broker), the library finding the broker and its login through
    /// the handshake (`GET /info`, the signed `POST /ctrl`), then uploading a file to the
    /// `fileUploadurl` of `info`, listing it and printing it.
    @Test(arguments: ["anycubic-lan", "anycubic-cloud-api"], ["marlin", "klipper"])
    func everyStepPassesThroughTheHandshake(library: String, controller: String) throws {
        let profile = try LanBrokerProfile()
        let identity = try TemporaryDirectory()
        let lanPort = try FreePort.find()
        let config = try profile.agentConfig() + ["version_file = \(try identity.write("version", "2.3.5.3\n"))",
                                                  "lan_listen = 127.0.0.1", "lan_port = \(lanPort)", "lan_ssdp_port = 0"]
            + Self.lights(controller)
        let simulator = ["--speed", "20", "--heat-rate", "instant"]
        let client = try profile.agentClient()
        let rig = controller == "marlin" ? try PrintRig.marlin(simulator, config: config, broker: profile.broker, client: client)
                                         : try PrintRig.klipper(simulator, config: config, broker: profile.broker, client: client)
        _ = try rig.storage.write("gcodes/delete-me.gcode", try Fixture.data("cube.gcode"))
        let upload = try identity.write("uploaded-cube.gcode", try Fixture.data("cube.gcode"))
        try rig.waitForController()

        let steps = try ClientDriver.run(library, handshakePort: lanPort, upload: upload, file: "cube.gcode",
                                         delete: "delete-me.gcode")
        #expect(steps.map(\.name) == ClientDriver.handshakeSteps, "the driver ran every step")
        for step in steps where !step.ok {
            Issue.record("\(library) on \(controller) through the handshake, step \(step.name): \(step.error ?? "failed")")
        }
        #expect(steps.first?.details["broker"] as? String == "127.0.0.1:\(profile.tlsPort)",
                "the handshake handed out the profile's TLS listener")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.root + "/uploaded-cube.gcode")) == (try Fixture.data("cube.gcode")),
                "the uploaded file is on the printer's storage, whole")
    }
}
