import Foundation
import Testing
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The mDNS announcement of the OctoPrint-compatible API: `packaging/discovery/octoprint-service`
/// (which every init script runs) writes the Avahi service file from what the agent says of
/// itself, and it announces what the running API answers. packaging/test runs it through the
/// unit, the SysV script and the procd script.
@Suite struct OctoDiscoveryTests {
    @Test func theServiceFileAnnouncesTheRunningApi() throws {
        let api = try ApiAgent()
        let (port, storage, config) = (api.port, api.storage, api.config)
        let script = ClientDriver.repository.appendingPathComponent("packaging/discovery/octoprint-service").path
        let out = storage.path + "/avahi/printer-agent-octoprint.service"
        try FileManager.default.createDirectory(atPath: storage.path + "/avahi", withIntermediateDirectories: true)
        let run = try ChildProcess(script, ["--from-agent", config, "--out", out],
                                   environment: ["PRINTER_AGENT": try Executables.agent()],
                                   stdout: storage.path + "/script.out", stderr: storage.path + "/script.err")
        #expect(try run.waitForExit(timeout: 30) == 0, "\((try? String(contentsOfFile: storage.path + "/script.err", encoding: .utf8)) ?? "")")

        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: out), options: [])
        let services = try document.nodes(forXPath: "/service-group/service")
        let types = try services.map { try $0.nodes(forXPath: "type").first?.stringValue ?? "" }
        #expect(types == ["_octoprint._tcp", "_http._tcp"])
        let ports = try services.map { try $0.nodes(forXPath: "port").first?.stringValue ?? "" }
        #expect(ports == [String(port), String(port)])
        var txt: [String: String] = [:]
        for record in try document.nodes(forXPath: "/service-group/service[1]/txt-record") {
            let parts = (record.stringValue ?? "").split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { txt[parts[0]] = parts[1] }
        }
        let key = try api.key()
        let version = try LoopbackHttp.request(port: port, "GET", "/api/version").json
        let settings = try LoopbackHttp.request(port: port, "GET", "/api/settings", headers: ["X-Api-Key": key]).json
        let discovery = (settings["plugins"] as? [String: Any])?["discovery"] as? [String: Any]
        #expect(txt["path"] == "/")
        #expect(txt["version"] == version["server"] as? String)
        #expect(txt["api"] == version["api"] as? String)
        #expect(txt["uuid"] == discovery?["upnpUuid"] as? String)
        #expect(txt["uuid"] == OctoApiClientTests.expectedUuid(deviceId: AgentProcess.deviceId))
        #expect(txt["model"] == "Kobra 2 Pro")
        #expect(txt["vendor"] == "Anycubic")

        // Run again with nothing changed: the file is left as it was.
        let before = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date
        let again = try ChildProcess(script, ["--from-agent", config, "--out", out],
                                     environment: ["PRINTER_AGENT": try Executables.agent()],
                                     stdout: storage.path + "/again.out", stderr: storage.path + "/again.err")
        #expect(try again.waitForExit(timeout: 30) == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date == before)
        #expect((try? String(contentsOfFile: storage.path + "/again.out", encoding: .utf8)) == "")
    }
}
