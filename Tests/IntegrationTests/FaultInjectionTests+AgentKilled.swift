import Foundation
import Testing
import TestSupport

extension FaultInjectionTests {
    /// The agent killed with SIGKILL in the middle of a firmware update, then started again
    /// as its service manager would: nothing it was writing is left half-written, the record
    /// of the update is handled as OtaService documents, and a new update works.
    @Suite struct AgentKilledDuringAnUpdate {
        /// The names in the rig's state directory.
        private func stateFiles(_ rig: OtaTests.Rig) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: rig.stateDirectory)) ?? []).sorted()
        }

        /// Kills the rig's agent and starts another on the same broker and configuration.
        private func restart(_ rig: OtaTests.Rig) throws -> AgentProcess {
            rig.harness.agent.send(SIGKILL)
            _ = try rig.harness.agent.waitForExit()
            rig.harness.client.clear()
            let second = try AgentProcess(broker: rig.harness.broker.url, extra: rig.arguments)
            try rig.harness.client.waitFor("the restarted agent online") {
                $0.topic == Wire.report("lastWill") && $0.state == "online"
            }
            return second
        }

        /// Whether the restarted agent published no `ota/update` report: a query answered
        /// after its announcements (one connection, in order) proves that none came before.
        private func noUpdateReport(_ rig: OtaTests.Rig) throws -> Bool {
            try rig.harness.ask("status", "query")
            return rig.states.isEmpty
        }

        @Test func whileTheImageDownloads() throws {
            let rig = try OtaTests.Rig()
            try rig.update("fw-2.0.0.swu?fault=slow&rate=20000")
            try waitUntil("part of the image in the state directory", timeout: 10) { !rig.noPartialImage }
            let second = try restart(rig)
            try second.waitForLog("removed an unfinished firmware download: .agent-download-")
            #expect(stateFiles(rig) == [], "no partial image, no record: \(stateFiles(rig))")
            #expect(try noUpdateReport(rig), "nothing to follow up: \(rig.states)")
            #expect(!FileManager.default.fileExists(atPath: rig.installed))

            try rig.update()
            try rig.waitFor("update-success")
            #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
            #expect(stateFiles(rig) == [recordName(rig)])
        }

        /// The installer runs in a process group of its own with SIGPIPE ignored, so the
        /// agent's death neither signals it nor kills it at its next progress line: it
        /// finishes the install (under systemd, unless the service's control group is
        /// stopped; docs/downloads-and-ota.md, "Firmware updates"). The restarted agent removes the image's name (the
        /// installer holds it open, as swupdate and rauc do) and keeps the record, which waits
        /// for the reboot; after it, the running version says whether the update took.
        @Test func whileTheInstallerRuns() throws {
            let rig = try OtaTests.Rig(start: false)
            let go = rig.folder.path + "/go", pidFile = rig.folder.path + "/installer.pid"
            _ = try rig.folder.write("install.sh", """
                echo $$ >"\(pidFile)"
                exec 3<"$1"
                echo "[ 10%] Installing"
                while [ ! -e "\(go)" ]; do sleep 0.05; done
                echo "[ 50%] Installing"
                cat <&3 >"\(rig.installed)"
                echo "[100%] Installing"
                """)
            rig.harness = try Harness(agentArguments: rig.arguments)
            try rig.update()
            try rig.waitFor("updating")
            let record = try String(contentsOfFile: rig.record, encoding: .utf8)
            #expect(!rig.noPartialImage, "the image waits in the state directory while it installs")

            let second = try restart(rig)
            try second.waitForLog("removed an unfinished firmware download: .agent-download-")
            try second.waitForLog("firmware 2.0.0 waits for a reboot to be active")
            #expect(stateFiles(rig) == [recordName(rig)], "\(stateFiles(rig))")
            #expect(try String(contentsOfFile: rig.record, encoding: .utf8) == record, "the record is whole and kept")
            #expect(try noUpdateReport(rig), "no outcome before the reboot: \(rig.states)")

            // The orphaned installer goes on, writing progress into the dead agent's pipe, and
            // finishes the install.
            let installer = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(FileManager.default.createFile(atPath: go, contents: nil))
            try waitUntil("the orphaned installer ended", timeout: 10) { !Self.isAlive(installer) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image, "the installer finished")

            // The reboot (a record of an earlier boot): the old version runs, so it failed, once.
            second.send(SIGTERM)
            _ = try second.waitForExit()
            _ = try rig.folder.write("state/ota-pending.json",
                                     record.replacingOccurrences(of: Self.bootId(in: record), with: "an-earlier-boot"))
            rig.harness.client.clear()
            let third = try AgentProcess(broker: rig.harness.broker.url, extra: rig.arguments)
            let failed = try rig.waitFor("update-failed")
            #expect((failed["msg"] as? String) == "the printer runs 1.0.0 after installing 2.0.0")
            #expect(stateFiles(rig) == [])

            try? FileManager.default.removeItem(atPath: rig.installed)
            try rig.update()
            try rig.waitFor("update-success")
            #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
            #expect(stateFiles(rig) == [recordName(rig)])
            #expect(rig.states.filter { $0 == "update-failed" }.count == 1, "the outcome was reported once: \(rig.states)")
            _ = third
        }

        /// The name of the update record.
        private func recordName(_ rig: OtaTests.Rig) -> String { URL(fileURLWithPath: rig.record).lastPathComponent }

        /// Whether process `pid` runs (a zombie waiting for its reaper does not).
        private static func isAlive(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !stat[close...].hasPrefix(") Z")
        }

        /// The `boot_id` of a record's text.
        private static func bootId(in record: String) -> String {
            let parts = record.components(separatedBy: "\"boot_id\":\"")
            return parts.count == 2 ? String(parts[1].prefix { $0 != "\"" }) : "no boot id"
        }
    }
}
