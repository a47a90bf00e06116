import AgentCore
import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// A firmware update across the reboot that makes it active: the record written before the
/// installer runs, an agent restarted in the same boot (nothing to report yet), the agent of
/// the next boot (the outcome, once), and the one after it (nothing). A reboot changes the
/// kernel's boot id, which the record carries: the test rewrites that id, as a reboot would.
@Suite struct OtaRebootTests {
    /// A state directory, a version file, a server with an image, and how to make the
    /// service of an agent (as each boot does).
    private final class Device {
        let folder: TemporaryDirectory
        let server: HTTPTestServer
        let image = Data(String(repeating: "firmware image ", count: 4_000).utf8)

        init() throws {
            folder = try TemporaryDirectory()
            try folder.write("www/fw.swu", image)
            try folder.write("version", "1.0.0\n")
            try FileManager.default.createDirectory(atPath: folder.path + "/state", withIntermediateDirectories: true)
            server = try HTTPTestServer(root: folder.path + "/www")
        }

        var record: String { folder.path + "/state/" + OtaService.recordName }

        /// The OTA service of an agent that starts now, on `rig`.
        func service(on rig: ServiceRig) throws -> OtaService {
            let config = try makeConfig(["state_dir = \(folder.path)/state", "version_file = \(folder.path)/version",
                                         "ota_installer = /bin/true {file}"])
            let version = folder.path + "/version"
            let service = OtaService(config: config, reactor: rig.time.reactor, outbox: rig.outbox, logger: rig.log.logger,
                                     isPrinting: { false }, runningVersion: {
                                         (try? String(contentsOfFile: version, encoding: .utf8))?
                                             .trimmingCharacters(in: .whitespacesAndNewlines)
                                     })
            service.register(in: rig.router)
            service.start()
            return service
        }
    }

    @Test func theOutcomeIsReportedOnceByTheAgentOfTheNextBoot() throws {
        let device = try Device()
        let installing = ServiceRig()
        let ota = try device.service(on: installing)
        try installing.send("ota", "update", data: """
            {"firmware_url":"http://127.0.0.1:\(device.server.port)/fw.swu","firmware_name":"fw.swu",
             "firmware_version":"2.0.0","firmware_size":\(device.image.count),"firmware_md5":"\(try md5Hex(device.image))"}
            """)
        var states: [String?] = []
        try installing.time.run(until: "the installer exited") {
            states += ((try? installing.published()) ?? []).map(\.state)
            return states.contains("update-success")
        }
        #expect(Array(states.prefix(2)) == [nil, "downloading"], "acknowledged, then answered: \(states)")
        #expect(states.contains("updating"))
        _ = ota
        let record = try String(contentsOfFile: device.record, encoding: .utf8)
        #expect(record.contains("\"2.0.0\""))

        // Restarted in the same boot: the image is not active yet.
        let sameBoot = ServiceRig()
        _ = try device.service(on: sameBoot)
        #expect(try sameBoot.published().isEmpty)
        #expect(FileManager.default.fileExists(atPath: device.record))

        // The next boot: a new boot id, and the new version running.
        try record.replacingOccurrences(of: Self.bootId(), with: "an-earlier-boot")
            .write(toFile: device.record, atomically: true, encoding: .utf8)
        try device.folder.write("version", "2.0.0\n")
        let nextBoot = ServiceRig()
        _ = try device.service(on: nextBoot)
        let followUp = try nextBoot.published()
        #expect(followUp.map(\.state) == ["update-success"])
        #expect(followUp.first?.fields["data"]?["firmware_version"]?.stringValue == "2.0.0")
        #expect(!FileManager.default.fileExists(atPath: device.record), "reported once: the record is gone")

        let bootAfter = ServiceRig()
        _ = try device.service(on: bootAfter)
        #expect(try bootAfter.published().isEmpty)
    }

    /// The kernel's id of this boot, as the record carries it.
    private static func bootId() throws -> String {
        try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
