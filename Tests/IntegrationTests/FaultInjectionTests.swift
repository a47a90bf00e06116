import Foundation
import Testing
import TestSupport

/// Faults injected into a running agent with real parts (a broker killed, a stick cut off, the
/// agent itself killed), each checked by what a user would see: the reports on the broker,
/// the files on disk and what the simulated board received. The fault table of docs/reliability.md lists
/// them with the older fault tests.
@Suite struct FaultInjectionTests {}

extension ReceivedMessage {
    /// The report's `timestamp` (wall-clock milliseconds when the agent made it), or nil.
    var timestamp: Int? { json?["timestamp"] as? Int }

    /// The report's `state`, or nil.
    var state: String? { json?["state"] as? String }
}

extension FaultInjectionTests {
    /// The broker killed with SIGKILL and started again on its port, 20 times while the agent
    /// prints through the Marlin simulator. The cloud is a client with a persistent session on
    /// a broker that saves its sessions at every change: what the agent publishes right after
    /// a restart waits for the cloud however their two reconnects race.
    @Suite struct BrokerKilled {
        /// The agent's offline queue in this test: small, so that one long outage overflows it.
        static let capacity = 3
        /// `reconnect_spread` in this test: 2 s keeps 20 restarts short (`bench/fleet` measures the default).
        static let spreadMs = 2_000
        static let task = #"{"taskid":"task-1"}"#

        /// One kill and restart of the broker.
        struct Outage {
            var round: Int
            /// When the broker was killed, wall-clock ms.
            var killedMs: Int
            /// The `timestamp` of the online report that followed.
            var onlineMs: Int
        }

        /// Kills the broker, keeps it down for `down` seconds (and at least until the agent
        /// failed one attempt when `down` is not 0), starts it again, and waits for the agent's
        /// online, busy status and print state reports made after the kill.
        private func restart(_ rig: PrintRig, round: Int, down: TimeInterval) throws -> Outage {
            let agent = rig.harness.agent
            let lost = agent.occurrences(of: "lost the broker connection")
            let failed = agent.occurrences(of: "could not connect to the broker")
            let killed = Date()
            let killedMs = Int(killed.timeIntervalSince1970 * 1000)
            rig.harness.broker.kill()
            try waitUntil("the agent noticed the broker gone (round \(round))", timeout: 10) {
                agent.occurrences(of: "lost the broker connection") > lost
            }
            if down > 0 {
                try waitUntil("an outage of \(down) s with a failed attempt", timeout: down + 10) {
                    Date().timeIntervalSince(killed) >= down && agent.occurrences(of: "could not connect to the broker") > failed
                }
            }
            try rig.harness.broker.start()
            let online = try rig.client.waitFor("the online report after restart \(round)", timeout: 20) {
                $0.topic == Wire.report("lastWill") && $0.state == "online" && ($0.timestamp ?? 0) >= killedMs
            }
            let status = try rig.client.waitFor("the status report after restart \(round)") {
                $0.topic == Wire.report("status") && ($0.timestamp ?? 0) >= killedMs
            }
            #expect(status.state == "busy", "round \(round): the print goes on")
            // The announcement follows the status report in the same batch.
            let print = try rig.client.waitFor("the print's state after restart \(round)") {
                $0.topic == Wire.report("print") && ($0.timestamp ?? 0) >= (status.timestamp ?? killedMs)
            }
            #expect(["printing", "paused", "pausing", "resuming", "resumed"].contains(print.state ?? ""),
                    "round \(round): the print's state is announced, not \(print.state ?? "none")")
            return Outage(round: round, killedMs: killedMs, onlineMs: online.timestamp ?? 0)
        }

        /// Sends `action` with `msgid` again, as a cloud does that saw no answer, and waits
        /// until the agent has said it ignores the repeat.
        private func resend(_ action: String, msgid: String, data: String, to rig: PrintRig) throws {
            let agent = rig.harness.agent
            let before = agent.occurrences(of: "with msgid \(msgid): already received")
            rig.client.publish(Wire.command("print"), Wire.envelope("print", action, msgid: msgid, data: data))
            try waitUntil("the repeated \(action) \(msgid) ignored", timeout: 10) {
                agent.occurrences(of: "with msgid \(msgid): already received") > before
            }
        }

        @Test func twentyTimesDuringAPrint() throws {
            let broker = try MosquittoBroker(persistent: true)
            let cloud = try MQTTTestClient(port: broker.port, id: "cloud-\(UUID().uuidString.prefix(8))", cleanSession: false)
            let rig = try PrintRig.marlin(["--speed", "30", "--heat-rate", "instant"],
                                          config: ["offline_queue = \(Self.capacity)", "reconnect_spread = \(Self.spreadMs / 1000)"],
                                          broker: broker, client: cloud)
            try rig.waitForController()
            try rig.start(taskid: "task-1", msgid: "outage-start")
            try rig.waitForPrint("printing")

            var outages: [Outage] = []
            for round in 1...20 {
                switch round {
                case 5:  // answered, then the broker dies before the pause is done
                    try rig.harness.ask("print", "pause", data: Self.task, msgid: "outage-pause")
                case 8:  // the broker dies before the answer, perhaps before the delivery
                    cloud.publish(Wire.command("print"), Wire.envelope("print", "resume", msgid: "outage-resume", data: Self.task))
                default:
                    break
                }
                outages.append(try restart(rig, round: round, down: round == 12 ? Double(Self.capacity + 3) : 0))
                switch round {
                case 3:
                    try resend("start", msgid: "outage-start", data: #"{"taskid":"task-1","filename":"cube.gcode","filepath":"/"}"#, to: rig)
                case 5:
                    try resend("pause", msgid: "outage-pause", data: Self.task, to: rig)
                    try rig.waitForPrint("paused")
                case 8:
                    cloud.publish(Wire.command("print"), Wire.envelope("print", "resume", msgid: "outage-resume", data: Self.task))
                    try rig.waitForPrint("resumed")
                default:
                    break
                }
            }
            let lastRestartMs = outages.last?.onlineMs ?? 0
            let finished = try cloud.waitFor("the finished report", timeout: 90) {
                $0.topic == Wire.report("print") && $0.state == "finished"
            }
            #expect((finished.timestamp ?? 0) > lastRestartMs, "the print outlasted the 20 restarts")
            try checkReports(cloud.received, outages: outages)
            try checkBoard(rig.simulator)
            try checkLog(rig.harness.agent)
        }

        /// Every report once (a QoS 1 message delivered twice is one report), in the order the
        /// agent made them.
        private func distinctReports(_ messages: [ReceivedMessage]) -> [ReceivedMessage] {
            var seen = Set<String>()
            let reports = messages.filter { $0.topic.hasSuffix("/report") && seen.insert($0.payload).inserted }
            return reports.enumerated().sorted { ($0.element.timestamp ?? 0, $0.offset) < ($1.element.timestamp ?? 0, $1.offset) }
                .map(\.element)
        }

        /// The lifecycle is whole and each command ran once; what waited for each restart
        /// stayed within the queue's bound, and the long outage kept the newest reports.
        private func checkReports(_ messages: [ReceivedMessage], outages: [Outage]) throws {
            let reports = distinctReports(messages)
            let printReports = reports.filter { $0.topic == Wire.report("print") }
            var lifecycle: [String] = []
            for report in printReports where report.json?["code"] as? Int == 200 {
                if let state = report.state, lifecycle.last != state { lifecycle.append(state) }
            }
            #expect(lifecycle == ["preheating", "printing", "pausing", "paused", "resuming", "resumed", "printing", "finished"])
            for (msgid, state) in [("outage-start", "preheating"), ("outage-pause", "pausing"), ("outage-resume", "resuming")] {
                let answers = printReports.filter { $0.json?["msgid"] as? String == msgid }
                #expect(answers.map(\.state) == [state], "\(msgid) ran once")
            }
            for outage in outages {
                let backlog = reports.filter {
                    $0.topic != Wire.report("lastWill") && (outage.killedMs..<outage.onlineMs).contains($0.timestamp ?? 0)
                }
                #expect(backlog.count <= Self.capacity, "round \(outage.round): \(backlog.count) reports waited")
                guard outage.round == 12 else { continue }
                // Progress reports came about once a second all along the outage: the queue
                // is full, and what it kept is the newest, up to the reconnect.
                #expect(backlog.count == Self.capacity, "the long outage filled the queue")
                #expect(backlog.allSatisfy { $0.topic == Wire.report("print") && $0.state == "printing" })
                let newest = backlog.last?.timestamp ?? 0
                #expect(outage.onlineMs - newest < 2_500, "the newest report (\(outage.onlineMs - newest) ms before the reconnect) was kept")
            }
        }

        /// The board got the whole file once, in order, with one pause and one resume.
        private func checkBoard(_ simulator: PrinterSimulator) throws {
            let received = simulator.commandsReceived
            let file = Fixture.commands(of: try Fixture.data("cube.gcode"))
            var position = 0
            for command in received where position < file.count && command == file[position] { position += 1 }
            #expect(position == file.count, "the board got \(position) of the file's \(file.count) commands in order")
            #expect(received.filter { $0 == "G1 Z10 F600" }.count == 1, "the pause G-code ran once")
            #expect(received.filter { $0 == "G1 Z-10 F600" }.count == 1, "the resume G-code ran once")
        }

        /// 20 losses, 21 connects, delays where docs/protocol.md puts them and not all the same, and
        /// drops counted against the configured bound.
        private func checkLog(_ agent: AgentProcess) throws {
            #expect(agent.occurrences(of: "lost the broker connection") == 20)
            #expect(agent.occurrences(of: "connected to the broker") == 21)
            let delays = agent.reconnectDelays(spreadMs: Self.spreadMs)
            for delay in delays {
                #expect(delay.documented.contains(delay.delay), "\(delay.delay) ms outside \(delay.documented)")
            }
            let afterLoss = delays.filter(\.afterLoss).map(\.delay)
            #expect(afterLoss.count == 20)
            #expect(Set(afterLoss).count >= 10, "jittered, not one fixed delay: \(afterLoss)")
            let dropped = agent.log.split(separator: "\n").filter { $0.contains("reports while offline") }
            #expect(!dropped.isEmpty, "the long outage dropped reports")
            #expect(dropped.allSatisfy { $0.contains("(the offline queue holds \(Self.capacity))") }, "\(dropped)")
        }
    }
}
