import Foundation
import Testing
import TestSupport

/// The real Home Assistant (PyPI `homeassistant` 2025.4.4, the newest that installs on Python
/// 3.13.0, in the venv `scripts/client-venv Tests/Fixtures/homeassistant/requirements.txt`
/// makes) with its MQTT integration on the home broker and nothing else: the frontend, the
/// recorder and the cloud stay off. `mqtt_statestream` publishes every entity's state on the
/// broker under `hastate/`, where the test reads what Home Assistant shows.
final class HomeAssistant {
    private let directory: TemporaryDirectory
    private let process: ChildProcess

    /// Home Assistant with `Tests/Fixtures/homeassistant/configuration.yaml` and an MQTT config
    /// entry for the broker on `port`.
    init(brokerPort port: Int) throws {
        let python = try ClientDriver.venvPython("homeassistant").get()
        directory = try TemporaryDirectory()
        _ = try directory.write("configuration.yaml", try Fixture.data("homeassistant/configuration.yaml"))
        try FileManager.default.createDirectory(atPath: directory.path + "/.storage", withIntermediateDirectories: true)
        let entry: [String: Any] = [
            "entry_id": "01JPRINTERAGENTMQTT0000000", "version": 1, "minor_version": 1, "domain": "mqtt",
            "title": "127.0.0.1", "data": ["broker": "127.0.0.1", "port": port], "options": [:],
            "pref_disable_new_entities": false, "pref_disable_polling": false, "source": "user", "unique_id": NSNull(),
            "disabled_by": NSNull(), "discovery_keys": [:], "subentries": [],
            "created_at": "2025-01-01T00:00:00+00:00", "modified_at": "2025-01-01T00:00:00+00:00",
        ]
        let entries: [String: Any] = ["version": 1, "minor_version": 1, "key": "core.config_entries",
                                      "data": ["entries": [entry]]]
        _ = try directory.write(".storage/core.config_entries", try JSONSerialization.data(withJSONObject: entries))
        process = try ChildProcess(python, ["-m", "homeassistant", "--config", directory.path, "--skip-pip",
                                            "--log-file", directory.path + "/home-assistant.log"])
    }

    deinit {
        process.send(SIGTERM)
        _ = try? process.waitForExit(timeout: 30)
    }

    /// Home Assistant's log.
    var log: String { (try? String(contentsOfFile: directory.path + "/home-assistant.log", encoding: .utf8)) ?? "" }

    /// The lines of the log that name the MQTT integration's errors and warnings.
    var mqttProblems: [String] {
        log.split(separator: "\n").map(String.init).filter {
            ($0.contains("ERROR") || $0.contains("WARNING")) && $0.contains("mqtt")
        }
    }
}

extension HomeBroker {
    /// Waits until Home Assistant shows `entity` (`sensor.kobra_state`) in `state`.
    func waitForEntity(_ entity: String, _ state: String, ha: HomeAssistant, timeout: TimeInterval = 60) throws {
        let topic = "hastate/" + entity.replacingOccurrences(of: ".", with: "/") + "/state"
        do {
            try client.waitFor("\(entity) = \(state) in Home Assistant (so far: \(messages(topic).map(\.payload)))", timeout: timeout) {
                $0.topic == topic && $0.payload == state
            }
        } catch {
            throw TestFailure("\(error); Home Assistant's MQTT problems: \(ha.mqttProblems)")
        }
    }
}

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["HOME_ASSISTANT_TESTS"] == "1",
                             "slow the first time (Home Assistant installs from PyPI in a few minutes): set HOME_ASSISTANT_TESTS=1 (docs/home-assistant.md)"))
struct HomeAssistantTests {
    @Test func theDeviceAppearsFollowsAPrintAndItsPauseSwitchPausesIt() throws {
        let home = try HomeBroker()
        let ha = try HomeAssistant(brokerPort: home.broker.port)
        let rig = try PrintRig.marlin(["--speed", "50", "--heat-rate", "100"],
                                      config: home.config + ["printer_name = Kobra", "light_head = marlin-m355"])
        // The device and its entities appear from the discovery alone.
        try home.waitForEntity("sensor.kobra_state", "idle", ha: ha, timeout: 180)
        try home.waitForEntity("binary_sensor.kobra_printing", "off", ha: ha)
        try home.waitForEntity("switch.kobra_pause", "off", ha: ha)
        try home.waitForEntity("update.kobra_firmware", "off", ha: ha)

        // Its states follow a print.
        try rig.waitForController()
        try rig.start()
        try home.waitForEntity("binary_sensor.kobra_printing", "on", ha: ha)
        try home.waitForEntity("sensor.kobra_state", "printing", ha: ha)
        try home.waitForEntity("sensor.kobra_file", "cube.gcode", ha: ha)
        try home.client.waitFor("a nozzle temperature in Home Assistant") {
            $0.topic == "hastate/sensor/kobra_nozzle_temperature/state" && (Double($0.payload) ?? 0) > 30
        }
        try home.client.waitFor("a progress in Home Assistant") {
            $0.topic == "hastate/sensor/kobra_progress/state" && (Int($0.payload) ?? 0) > 0
        }

        // Turning its Pause switch on, as from the dashboard, pauses the print.
        home.client.publish("test/pause", "now")
        try rig.waitForPrint("paused")
        try home.waitForEntity("switch.kobra_pause", "on", ha: ha)
        try home.waitForEntity("sensor.kobra_state", "paused", ha: ha)
        try home.client.waitFor("the PrintPaused event in Home Assistant") {
            $0.topic == "hastate/event/kobra_print_event/event_type" && $0.payload.contains("PrintPaused")
        }
        #expect(ha.mqttProblems.isEmpty, "Home Assistant took the discovery without a complaint: \(ha.mqttProblems)")
    }

    /// `ota_install = on_request` and `home_ota_install = yes`: the firmware entity shows the
    /// available update and installs it with Home Assistant's own `update.install`.
    @Test func theFirmwareEntityInstallsTheAvailableUpdate() throws {
        let home = try HomeBroker()
        let ha = try HomeAssistant(brokerPort: home.broker.port)
        let rig = try OtaTests.Rig(config: home.config + ["printer_name = Kobra", "ota_install = on_request", "home_ota_install = yes"])
        try home.waitForEntity("update.kobra_firmware", "off", ha: ha, timeout: 180)
        try rig.update()
        try home.waitForEntity("update.kobra_firmware", "on", ha: ha)
        try home.client.waitFor("the latest version in Home Assistant") {
            $0.topic == "hastate/update/kobra_firmware/latest_version" && $0.payload.contains("2.0.0")
        }
        home.client.publish("test/install", "now")
        try rig.waitFor("update-success")
        try home.waitForEntity("update.kobra_firmware", "off", ha: ha)
        try home.client.waitFor("the installed version in Home Assistant") {
            $0.topic == "hastate/update/kobra_firmware/installed_version" && $0.payload.contains("2.0.0")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
        #expect(ha.mqttProblems.isEmpty, "Home Assistant took the discovery without a complaint: \(ha.mqttProblems)")
    }
}
