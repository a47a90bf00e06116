import Foundation
import Testing
import TestSupport

/// A storage root holding the fixture, a simulated controller, a broker, a client and an
/// agent configured to print through the simulator.
final class PrintRig: AgentPrintRig {
    let storage: TemporaryDirectory
    let simulator: PrinterSimulator
    let harness: Harness
    /// The agent's arguments: its configuration and storage.
    let agentArguments: [String]

    /// A rig whose agent drives a Marlin simulator started with `simulatorArguments`, on
    /// `broker` watched by `client` when given (else fresh ones, as `Harness` makes them),
    /// started through `launcher` (see `AgentProcess`).
    static func marlin(_ simulatorArguments: [String] = [], config: [String] = [],
                       broker: MosquittoBroker? = nil, client: MQTTTestClient? = nil,
                       launcher: [String] = []) throws -> PrintRig {
        let storage = try TemporaryDirectory()
        let simulator = try PrinterSimulator.marlin(directory: storage, arguments: simulatorArguments)
        return try PrintRig(storage: storage, simulator: simulator,
                            config: ["controller = marlin", "serial_port = \(simulator.path)", "serial_baud = 115200"] + config,
                            broker: broker, client: client, launcher: launcher)
    }

    /// A rig whose agent drives a Klipper simulator whose virtual SD card is the storage root,
    /// on `broker` watched by `client` when given (else fresh ones).
    static func klipper(_ simulatorArguments: [String] = [], config: [String] = [],
                        broker: MosquittoBroker? = nil, client: MQTTTestClient? = nil) throws -> PrintRig {
        let storage = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: storage.path + "/gcodes", withIntermediateDirectories: true)
        let simulator = try PrinterSimulator.klipper(directory: storage, sdcard: storage.path + "/gcodes",
                                                     arguments: simulatorArguments)
        return try PrintRig(storage: storage, simulator: simulator,
                            config: ["controller = klipper", "klipper_socket = \(simulator.path)"] + config,
                            broker: broker, client: client)
    }

    private init(storage: TemporaryDirectory, simulator: PrinterSimulator, config: [String],
                 broker: MosquittoBroker? = nil, client: MQTTTestClient? = nil, launcher: [String] = []) throws {
        self.storage = storage
        self.simulator = simulator
        _ = try storage.write("gcodes/cube.gcode", try Fixture.data("cube.gcode"))
        // The task numbers are kept in the test's own state directory, unless the test names one.
        let ownState = config.contains { $0.hasPrefix("state_dir") } ? [] : ["state_dir = \(storage.path)/state"]
        let lines = ownState + config
        let configPath = try storage.write("agent.conf", lines.joined(separator: "\n") + "\n")
        agentArguments = ["-c", configPath, "--storage", storage.path + "/gcodes"]
        harness = try Harness(broker: broker, client: client, agentArguments: agentArguments, launcher: launcher)
    }

    /// The agent's local storage (the Klipper simulator's virtual SD card too).
    var root: String { storage.path + "/gcodes" }

    /// How many of the fixture's commands the board received in the file's order (other
    /// commands, the agent's own, may come between them), and how many the file has.
    func fileCommandsReceivedInOrder(_ name: String = "cube.gcode") throws -> (received: Int, total: Int) {
        let file = Fixture.commands(of: try Fixture.data(name))
        var position = 0
        for command in simulator.commandsReceived where position < file.count && command == file[position] { position += 1 }
        return (position, file.count)
    }

    /// The `data` of `report`.
    static func data(_ report: [String: Any]) -> [String: Any] { report["data"] as? [String: Any] ?? [:] }
}

/// An agent that prints, with its broker and test client: the print commands and reports
/// the print tests share, whatever controller the agent drives.
protocol AgentPrintRig {
    var harness: Harness { get }
}

extension AgentPrintRig {
    var client: MQTTTestClient { harness.client }

    /// Waits until the controller is connected: `print/start` would otherwise answer 503.
    func waitForController(timeout: TimeInterval = 15) throws {
        try waitUntil("the agent connected to the controller", timeout: timeout) {
            harness.agent.log.contains("connected to the") && !harness.agent.log.contains("does not answer")
                && ((try? harness.ask("tempature", "query"))?.json?["data"] as? [String: Any])?["curr_nozzle_temp"] is Double
        }
    }

    /// Starts printing `filename` and returns the answer.
    @discardableResult
    func start(_ filename: String = "cube.gcode", taskid: String = "task-1", extra: String = "",
               msgid: String = UUID().uuidString) throws -> ReceivedMessage {
        try harness.ask("print", "start", data: "{\"taskid\":\"\(taskid)\",\"filename\":\"\(filename)\",\"filepath\":\"/\"\(extra)}",
                        msgid: msgid)
    }

    /// The print reports received so far, in order.
    var printReports: [[String: Any]] {
        client.received.filter { $0.topic == Wire.report("print") }.compactMap(\.json)
    }

    /// The lifecycle states of the print reports received so far (not the answers refusing a
    /// command, nor `print/query` answers), with repeats of one state merged.
    var printStates: [String] {
        var states: [String] = []
        for report in printReports where [200, 502].contains(report["code"] as? Int) && report["action"] as? String != "query" {
            if let state = report["state"] as? String, states.last != state { states.append(state) }
        }
        return states
    }

    /// Waits for a print report in `state` and returns it.
    @discardableResult
    func waitForPrint(_ state: String, timeout: TimeInterval = 30) throws -> [String: Any] {
        try client.waitFor("a print report \(state) (so far: \(printStates))", timeout: timeout) {
            $0.topic == Wire.report("print") && ($0.json?["state"] as? String) == state
        }.json ?? [:]
    }

    /// Pauses, resumes, then stops the running print with `stop` (`stop` or `cancel`),
    /// checking each answer and waiting for each report; ends with the printer free.
    func pauseResumeThenStop(with stop: String) throws {
        #expect(try harness.ask("print", "pause").json?["state"] as? String == "pausing")
        try waitForPrint("paused")
        #expect(try harness.ask("print", "resume").json?["state"] as? String == "resuming")
        try waitForPrint("resumed")
        #expect(try harness.ask("print", stop).json?["state"] as? String == "stopping")
        try waitForPrint("stoped")
        #expect(try harness.ask("info", "query").json.flatMap { ($0["data"] as? [String: Any])?["state"] as? String } == "free")
    }
}
