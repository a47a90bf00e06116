import AgentCore

/// A print followed by `PrintSupervisor` as the backends drive it: the controller fuzzer
/// turns what it parsed into controller events and checks every report that comes out
/// with `PublicationCheck`.
struct PrintWatch {
    /// The topics the reports are checked against.
    private static let topics = DeviceTopics(modelId: "20024", deviceId: "fuzzdevice")
    private static let encoder = ReportEncoder(topics: topics, wallClockMs: { 1_800_000_000_000 },
                                               newMessageID: { "00000000-0000-4000-8000-000000000000" })

    private var supervisor = PrintSupervisor()
    private var now: Int64 = 0

    /// A print of `cube.gcode` started by a command, in its preheating phase.
    init() {
        let job = PrintJob(taskId: "fuzz-task", filename: "cube.gcode", directory: .root, source: .local,
                           absolutePath: "/fuzz/cube.gcode", totalLayers: 10, estimatedSeconds: 600, now: 0)
        check(supervisor.begin(job, answering: Command(type: "print", action: "start", msgid: "fuzz"), now: 0))
    }

    /// Hands `event` to the supervisor 100 ms after the previous one, with a tick.
    mutating func handle(_ event: ControllerEvent) {
        now += 100
        check(supervisor.handle(event, now: now))
        check(supervisor.tick(now: now))
    }

    /// The answer to `print/query` now (none once the print is over).
    func query() {
        check(supervisor.query(Command(type: "print", action: "query")).map { [$0] } ?? [])
    }

    private func check(_ reports: [Report]) {
        PublicationCheck.check(reports.map { Self.encoder.publication($0) }, topics: Self.topics)
    }
}
