import Foundation
import Testing
import TestSupport

/// What the OctoPrint-MQTT plugin publishes, from its source (OctoPrint/OctoPrint-MQTT,
/// `octoprint_mqtt/__init__.py`) and OctoPrint's event payloads (OctoPrint/OctoPrint,
/// `docs/events/index.rst`):
/// - `on_event` publishes `event/<Event>` with the event's payload plus `_event`, and
///   `mqtt_publish_with_timestamp` adds `_timestamp = int(time.time())`; only `ZChange` and
///   `FirmwareData` are retained;
/// - `on_print_progress` publishes `progress/printing` with `location`, `path`, `progress`
///   (0 on PrintStarted, 100 on PrintDone), retained (`broker.retain` defaults to True);
/// - `on_printer_add_temperature` publishes `temperature/<tool>` with `actual`, `target`
///   when either moved by `temperatureThreshold` (0.1), retained;
/// - the will is `mqtt` = `disconnected`, QoS 1, retained, and `connected` on connect.
/// OctoPrint's `owner` and `user` are "if available": the printer has no users, so they are absent.
private enum Plugin {
    static let stamp: Set<String> = ["_event", "_timestamp"]
    static let job: Set<String> = ["name", "path", "origin", "size"]
    static let fields: [String: Set<String>] = [
        "PrintStarted": job, "PrintPaused": job, "PrintResumed": job,
        "PrintDone": job.union(["time"]), "PrintCancelled": job.union(["time"]),
        "PrintFailed": job.union(["time", "reason"]),
        "PrinterStateChanged": ["state_id", "state_string"],
        "Connected": ["port", "baudrate"], "ZChange": ["new", "old"], "Disconnected": [], "Error": ["error"],
        "Upload": ["name", "path", "target", "select", "print", "effective_select", "effective_print"],
        "FileAdded": ["storage", "path", "name", "type"], "FileRemoved": ["storage", "path", "name", "type"],
    ]
    static let progress: Set<String> = ["location", "path", "progress", "_timestamp"]
    static let temperature: Set<String> = ["actual", "target", "_timestamp"]
}

/// The home broker of a test: a second mosquitto and a client that sees everything on it.
final class HomeBroker {
    let broker: MosquittoBroker
    private(set) var client: MQTTTestClient

    init() throws {
        broker = try MosquittoBroker()
        client = try Self.watcher(broker.port)
    }

    /// A client subscribed to everything on the broker at `port`.
    private static func watcher(_ port: Int) throws -> MQTTTestClient {
        let client = try MQTTTestClient(port: port)
        try client.subscribe("#")
        return client
    }

    /// Restarts the killed broker (it kept nothing) and watches it with a new client.
    func restart() throws {
        try broker.start()
        client = try Self.watcher(broker.port)
    }

    /// The firmware documents of Home Assistant's update entity received, in order.
    var firmware: [[String: Any]] { messages("octoPrint/hass/update").compactMap(\.json) }

    /// Waits for the firmware document whose latest version is `latest` and installing is `busy`.
    @discardableResult
    func waitForFirmware(latest: String, installing busy: Bool, timeout: TimeInterval = 30) throws -> [String: Any] {
        try client.waitFor("the firmware entity with latest_version \(latest), in_progress \(busy) (so far: \(firmware))", timeout: timeout) {
            $0.topic == "octoPrint/hass/update" && $0.json?["latest_version"] as? String == latest
                && $0.json?["in_progress"] as? Bool == busy
        }.json ?? [:]
    }

    /// The agent's configuration lines for this broker.
    var config: [String] { ["home_broker = \(broker.url)"] }

    /// The messages received on `topic`.
    func messages(_ topic: String) -> [ReceivedMessage] { client.received.filter { $0.topic == topic } }

    /// The event payloads received, in order.
    var events: [(name: String, payload: [String: Any])] {
        client.received.filter { $0.topic.hasPrefix("octoPrint/event/") }.map {
            (String($0.topic.dropFirst("octoPrint/event/".count)), $0.json ?? [:])
        }
    }

    /// Waits for event `name` and returns its payload.
    @discardableResult
    func waitForEvent(_ name: String, timeout: TimeInterval = 30) throws -> [String: Any] {
        try client.waitFor("event \(name) on the home broker (so far: \(events.map(\.name)))", timeout: timeout) {
            $0.topic == "octoPrint/event/" + name
        }.json ?? [:]
    }

    /// Waits for the state document with `field` = `value`.
    func waitForState(_ field: String, _ value: String, timeout: TimeInterval = 30) throws {
        try client.waitFor("the home state with \(field) = \(value)", timeout: timeout) {
            $0.topic == "octoPrint/hass/state" && ($0.json?[field] as? String) == value
        }
    }

    /// Waits for the agent's `mqtt` = `payload`.
    func waitForWill(_ payload: String, timeout: TimeInterval = 30) throws {
        try client.waitFor("octoPrint/mqtt = \(payload)", timeout: timeout) { $0.topic == "octoPrint/mqtt" && $0.payload == payload }
    }

    /// The discovery config of the test printer, as the broker retains it once the agent is
    /// connected (a fresh subscriber's view).
    func retainedDiscovery(timeout: TimeInterval = 15) throws -> [String: Any] {
        try waitForWill("connected", timeout: timeout)
        let fresh = try MQTTTestClient(port: broker.port)
        try fresh.subscribe("homeassistant/device/+/config")
        return try fresh.waitFor("a retained discovery config", timeout: timeout) { $0.retained && !$0.payload.isEmpty }.json ?? [:]
    }
}

@Suite(.serialized) struct HomeBrokerTests {
    @Test func aMarlinPrintPublishesTheOctoPrintMQTTTopicsWithThePluginsFields() throws {
        let home = try HomeBroker()
        let rig = try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"], config: home.config)
        try home.waitForWill("connected")
        try rig.waitForController()
        let before = Int(Date().timeIntervalSince1970)
        try rig.start()
        try home.waitForEvent("PrintDone", timeout: 60)
        let after = Int(Date().timeIntervalSince1970) + 1

        let names = home.events.map(\.name).filter { $0.hasPrefix("Print") && $0 != "PrinterStateChanged" }
        #expect(names == ["PrintStarted", "PrintDone"])
        for (name, payload) in home.events {
            let expected = try #require(Plugin.fields[name], "\(name) is one of the plugin's events")
            #expect(Set(payload.keys) == expected.union(Plugin.stamp), "\(name)'s fields are the plugin's")
            #expect(payload["_event"] as? String == name)
            let stamp = payload["_timestamp"] as? Int ?? 0
            #expect(stamp >= before - 60 && stamp <= after, "\(name)'s _timestamp is whole seconds since the epoch")
        }
        let started = try home.waitForEvent("PrintStarted")
        #expect(started["name"] as? String == "cube.gcode" && started["path"] as? String == "cube.gcode")
        #expect(started["origin"] as? String == "local")
        #expect(started["size"] as? Int == (try Fixture.data("cube.gcode")).count)
        #expect(try home.waitForEvent("PrintDone")["time"] as? Double ?? 0 > 0)
        // Every height the file's moves command, in order (cube.gcode: 5 mm to clear, then 0.3 to 9.9 mm).
        let heights = home.events.filter { $0.name == "ZChange" }.compactMap { $0.payload["new"] as? Double }
        #expect(heights.count == 34 && heights.first == 5 && heights.dropFirst().first == 0.3 && heights.last == 9.9,
                "ZChange: \(heights)")
        let states = home.events.filter { $0.name == "PrinterStateChanged" }.map { $0.payload["state_id"] as? String ?? "" }
        #expect(states.suffix(2) == ["PRINTING", "OPERATIONAL"])

        let progress = home.messages("octoPrint/progress/printing").compactMap(\.json)
        #expect(progress.allSatisfy { Set($0.keys) == Plugin.progress })
        let percents = progress.compactMap { $0["progress"] as? Int }
        #expect(percents.first == 0 && percents.last == 100 && percents == percents.sorted(), "progress: \(percents)")
        let tool = home.messages("octoPrint/temperature/tool0").compactMap(\.json)
        #expect(tool.count >= 2 && tool.allSatisfy { Set($0.keys) == Plugin.temperature })
        #expect(tool.contains { $0["target"] as? Double == 210 }, "the nozzle's target from the file")

        // The retained topics are there for a subscriber that comes later.
        let late = try MQTTTestClient(port: home.broker.port)
        try late.subscribe("octoPrint/#")
        for topic in ["octoPrint/mqtt", "octoPrint/progress/printing", "octoPrint/temperature/tool0", "octoPrint/temperature/bed",
                      "octoPrint/event/ZChange"] {
            try late.waitFor("\(topic) retained") { $0.topic == topic && $0.retained }
        }
        #expect(try late.waitFor("the retained progress") { $0.topic == "octoPrint/progress/printing" }.json?["progress"] as? Int == 100)
        #expect(late.received.filter { $0.topic.hasPrefix("octoPrint/event/") }.map(\.topic) == ["octoPrint/event/ZChange"],
                "of the events only ZChange is retained")

        // The agent vanishing leaves the will.
        rig.harness.agent.send(SIGKILL)
        try home.waitForWill("disconnected")
    }

    @Test func homeAssistantDiscoveryDescribesTheDeviceAndItsPauseSwitchPausesThePrint() throws {
        let home = try HomeBroker()
        let rig = try PrintRig.marlin(["--speed", "200", "--heat-rate", "100"],
                                      config: home.config + ["light_head = marlin-m355", "gcode_console = M112 M114"])
        let config = try home.retainedDiscovery()
        let device = try #require(config["dev"] as? [String: Any])
        #expect(device["ids"] as? [String] == ["printer_agent_\(AgentProcess.deviceId)"])
        #expect(config["avty_t"] as? String == "octoPrint/mqtt")
        let components = try #require(config["cmps"] as? [String: [String: Any]])
        #expect(components["pause"]?["command_topic"] as? String == "octoPrint/hass/set/pause")
        #expect(components["light_head"] != nil && components["emergency_stop"] != nil)
        #expect(components.values.allSatisfy { $0["object_id"] == nil && $0["unique_id"] is String })

        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        try home.waitForState("printing", "ON")
        home.client.publish("octoPrint/hass/set/pause", "ON")
        try rig.waitForPrint("paused")
        try home.waitForEvent("PrintPaused")
        try home.waitForState("paused", "ON")
        home.client.publish("octoPrint/hass/set/pause", "OFF")
        try rig.waitForPrint("resumed")
        try home.waitForEvent("PrintResumed")

        // A refused control changes nothing and says why in the log.
        home.client.publish("octoPrint/hass/set/nozzle_target", "999")
        try rig.harness.agent.waitForLog("refused (400)")
        #expect(rig.printStates.last == "resumed")

        // Home Assistant restarting asks for the discovery again.
        home.client.clear()
        home.client.publish("homeassistant/status", "online")
        try home.client.waitFor("the discovery again") { $0.topic.hasPrefix("homeassistant/device/") && !$0.payload.isEmpty }
        home.client.publish("octoPrint/hass/set/cancel", "PRESS")
        try rig.waitForPrint("stoped")
        try home.waitForEvent("PrintCancelled")
        #expect(try home.waitForEvent("PrintFailed")["reason"] as? String == "cancelled")
    }

    /// Also: a retained command waiting on the broker is never run, a deleted file is told, and
    /// a clean stop says `disconnected`.
    @Test func discoveryTurnedOffRemovesTheDevice() throws {
        let home = try HomeBroker()
        let topic = "homeassistant/device/printer_agent_\(AgentProcess.deviceId)/config"
        home.client.publish(topic, "{\"dev\":{}}", retain: true)
        home.client.publish("octoPrint/hass/set/light_head", "ON", retain: true)
        try home.client.waitFor("the old config") { $0.topic == topic }
        let rig = try PrintRig.marlin(config: home.config + ["home_discovery = no", "light_head = marlin-m355"])
        try home.client.waitFor("the empty config") { $0.topic == topic && $0.payload.isEmpty }
        try rig.harness.agent.waitForLog("ignored a retained message on octoPrint/hass/set/light_head")
        #expect(!rig.simulator.commandsReceived.contains { $0.hasPrefix("M355") }, "the light was not switched")
        let fresh = try MQTTTestClient(port: home.broker.port)
        try fresh.subscribe("homeassistant/#")
        try fresh.subscribe("octoPrint/mqtt")
        try fresh.waitFor("the will topic, retained") { $0.topic == "octoPrint/mqtt" }
        #expect(!fresh.received.contains { $0.topic == topic }, "nothing is retained on the config topic")

        // A file deleted through the main session is a FileRemoved with the plugin's fields.
        #expect(try rig.harness.ask("file", "deleteLocal", data: "{\"filename\":\"cube.gcode\",\"path\":\"/\"}").json?["code"] as? Int == 200)
        let removed = try home.waitForEvent("FileRemoved")
        let expected = try #require(Plugin.fields["FileRemoved"])
        #expect(Set(removed.keys) == expected.union(Plugin.stamp))
        #expect(removed["path"] as? String == "cube.gcode" && removed["storage"] as? String == "local")
        #expect(removed["type"] as? [String] == ["machinecode", "gcode"])

        // A clean stop says disconnected on the home broker too.
        rig.harness.agent.send(SIGTERM)
        try home.waitForWill("disconnected")
        // Both sessions closed: the agent exits before the 3 s grace for an unanswered disconnect.
        #expect(try rig.harness.agent.waitForExit(timeout: 2) == 0)
    }

    @Test func aKlipperPrintHasTheSameEventsWithTheToolheadsHeight() throws {
        let home = try HomeBroker()
        let rig = try PrintRig.klipper(["--speed", "1000", "--heat-rate", "200"], config: home.config)
        try rig.waitForController()
        let connected = try home.waitForEvent("Connected")
        #expect(connected["port"] as? String == rig.simulator.path && connected["baudrate"] == nil, "a socket has no baud rate")
        try rig.start()
        try home.waitForEvent("PrintDone", timeout: 60)
        #expect(home.events.map(\.name).filter { $0.hasPrefix("Print") && $0 != "PrinterStateChanged" } == ["PrintStarted", "PrintDone"])
        let heights = home.events.filter { $0.name == "ZChange" }.compactMap { $0.payload["new"] as? Double }
        #expect(heights.count >= 2 && heights.last.map { $0 >= 9.9 } == true, "ZChange from the toolhead: \(heights)")
    }

    @Test func aLanUploadIsUploadThenFileAdded() throws {
        let home = try HomeBroker()
        let rig = try LanRig(extra: home.config)
        try home.waitForWill("connected")
        #expect(try rig.upload("cube.gcode", try Fixture.data("cube.gcode")).status == 200)
        let upload = try home.waitForEvent("Upload")
        let added = try home.waitForEvent("FileAdded")
        for (name, payload) in [("Upload", upload), ("FileAdded", added)] {
            let expected = try #require(Plugin.fields[name])
            #expect(Set(payload.keys) == expected.union(Plugin.stamp), "\(name)'s fields are the plugin's")
        }
        #expect(upload["name"] as? String == "cube.gcode" && upload["target"] as? String == "local")
        #expect(added["path"] as? String == "cube.gcode" && added["storage"] as? String == "local")
        #expect(home.events.map(\.name).filter { $0.hasPrefix("File") || $0 == "Upload" } == ["Upload", "FileAdded"])
    }

    @Test func theHomeLoginComesFromThePasswordFileAndARefusalIsRetried() throws {
        let secrets = try TemporaryDirectory()
        let passwords = try secrets.write("passwords", "")
        let broker = try MosquittoBroker(extra: ["allow_anonymous false", "password_file \(passwords)"])
        let passwordFile = try secrets.write("home-password", "s3cret\n")
        let rig = try PrintRig.marlin(config: ["home_broker = \(broker.url)", "home_username = printer",
                                               "home_password_file = \(passwordFile)"])
        try rig.harness.agent.waitForLog("could not connect to the home broker: the broker refused the connection: Connection Refused: not authorised.")
        #expect(try rig.harness.ask("status", "query").json?["code"] as? Int == 200, "the main session is not held up")
        try ChildProcess(try Executables.find("mosquitto_passwd"), ["-b", passwords, "printer", "s3cret"]).waitForExit(timeout: 10)
        broker.reload()
        try rig.harness.agent.waitForLog("connected to the home broker", timeout: 90)
        let watcher = try MQTTTestClient(port: broker.port, username: "printer", password: "s3cret")
        try watcher.subscribe("octoPrint/mqtt")
        try watcher.waitFor("connected, retained") { $0.payload == "connected" && $0.retained }
    }

    @Test func theHomeBrokerGoingDownDuringAPrintDelaysNeitherTheMainSessionNorThePrint() throws {
        let home = try HomeBroker()
        let rig = try PrintRig.marlin(["--speed", "300", "--heat-rate", "200"], config: home.config)
        _ = try home.retainedDiscovery()
        try rig.waitForController()
        try rig.start()
        try rig.waitForPrint("printing")
        try home.waitForState("printing", "ON")

        home.broker.kill()
        try rig.harness.agent.waitForLog("lost the home broker connection")
        // The main session goes on: a command is answered and the print keeps reporting progress.
        let answered = Date()
        #expect(try rig.harness.ask("info", "query").json?["code"] as? Int == 200)
        #expect(Date().timeIntervalSince(answered) < 2, "the main session answers at once")
        let progressBefore = rig.printReports.count
        try waitUntil("progress reports while the home broker is down", timeout: 30) { rig.printReports.count > progressBefore + 1 }
        try rig.harness.agent.waitForLog("could not connect to the home broker", timeout: 20)

        try home.restart()
        do {
            _ = try home.retainedDiscovery(timeout: 40)
            try home.waitForState("printing", "ON", timeout: 40)
        } catch {
            throw TestFailure("\(error); the agent's log:\n\(rig.harness.agent.log)")
        }
        try rig.waitForPrint("finished", timeout: 120)
        try home.waitForEvent("PrintDone", timeout: 30)
        #expect(rig.printStates == ["preheating", "printing", "finished"], "the print went on undisturbed")
        #expect(!rig.simulator.transcript.contains("Resend:"))
    }

    /// `ota_install = on_request`: an `ota/update` is kept as the available update, which Home
    /// Assistant's firmware entity shows as the latest version and installs with its install
    /// command when `home_ota_install` allows it.
    @Test func anAvailableUpdateIsInstalledFromHomeAssistant() throws {
        let home = try HomeBroker()
        let rig = try OtaTests.Rig(config: home.config + ["ota_install = on_request", "home_ota_install = yes"])
        let components = try #require(try home.retainedDiscovery()["cmps"] as? [String: [String: Any]])
        #expect(components["firmware"]?["command_topic"] as? String == "octoPrint/hass/set/install")
        #expect(components["firmware"]?["payload_install"] as? String == "install")
        try home.waitForFirmware(latest: "1.0.0", installing: false)

        let answer = try rig.update()
        #expect(answer.json?["state"] as? String == "available" && answer.json?["code"] as? Int == 200, "\(answer.json ?? [:])")
        let offered = try home.waitForFirmware(latest: "2.0.0", installing: false)
        #expect(offered["installed_version"] as? String == "1.0.0")
        #expect(!FileManager.default.fileExists(atPath: rig.installed), "nothing is installed before it is asked")

        home.client.publish("octoPrint/hass/set/install", "install")
        try rig.harness.agent.waitForLog("Home Assistant asks ota/install")
        try rig.waitFor("update-success")
        let installing = try home.waitForFirmware(latest: "2.0.0", installing: true)
        #expect(installing["update_percentage"] is Int, "the progress while installing: \(installing)")
        try home.client.waitFor("the new installed version (so far: \(home.firmware))") {
            $0.topic == "octoPrint/hass/update" && $0.json?["installed_version"] as? String == "2.0.0"
                && $0.json?["latest_version"] as? String == "2.0.0" && $0.json?["in_progress"] as? Bool == false
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
        let states = rig.states
        #expect(states.first == "available" && states.last == "update-success" && states.contains("download-success")
                    && states.contains("updating"), "\(states)")
    }

    /// Without `home_ota_install` the install command is refused and logged, and the update
    /// stays available, uninstalled, for another way to install it (`ota/install`).
    @Test func anInstallFromHomeAssistantIsRefusedUnlessAllowed() throws {
        let home = try HomeBroker()
        let rig = try OtaTests.Rig(config: home.config + ["ota_install = on_request"])
        let components = try #require(try home.retainedDiscovery()["cmps"] as? [String: [String: Any]])
        #expect(components["firmware"]?["command_topic"] == nil, "no install button in Home Assistant")
        try rig.update()
        try home.waitForFirmware(latest: "2.0.0", installing: false)

        home.client.publish("octoPrint/hass/set/install", "install")
        try rig.harness.agent.waitForLog(
            "ignored octoPrint/hass/set/install: installing firmware from Home Assistant is not allowed (home_ota_install = no)")
        // The main session's next answer comes after anything the refused command could have caused.
        #expect(try rig.harness.ask("info", "query").json?["code"] as? Int == 200)
        #expect(rig.states == ["available"], "nothing downloaded or installed: \(rig.states)")
        #expect(!FileManager.default.fileExists(atPath: rig.installed))
        #expect(home.firmware.allSatisfy { $0["in_progress"] as? Bool == false })

        let install = try rig.harness.ask("ota", "install")
        #expect(install.json?["state"] as? String == "downloading", "\(install.json ?? [:])")
        try rig.waitFor("update-success")
        #expect(try Data(contentsOf: URL(fileURLWithPath: rig.installed)) == rig.image)
        let again = try rig.harness.ask("ota", "install")
        #expect(again.json?["code"] as? Int == 409 && (again.json?["msg"] as? String)?.contains("no firmware update is available") == true,
                "installed once: \(again.json ?? [:])")
    }
}
