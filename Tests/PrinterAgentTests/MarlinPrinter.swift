import AgentCore
import Foundation
@testable import PrinterAgent
import TestSupport

/// A local storage holding the cube, the board played by the test, the Marlin backend, the
/// print service and the control service, on virtual time.
final class MarlinPrinter {
    let storage: TemporaryDirectory
    let rig = ServiceRig()
    let board: FakeMarlinBoard
    let service: PrintService
    let controls: ControlService
    /// Every report published so far, in order (acknowledgements included).
    private(set) var reports: [SeenReport] = []

    /// The rig with `settings` (`key = value` lines) added to the configuration.
    init(_ settings: [String] = []) throws {
        storage = try TemporaryDirectory()
        try storage.write("cube.gcode", try Fixture.data("cube.gcode"))
        let config = try makeConfig(["storage_local = " + storage.path, "controller = marlin",
                                     "state_dir = " + storage.path + "/.state"] + settings)
        board = FakeMarlinBoard(reactor: rig.time.reactor)
        let backend = MarlinBackend(link: board, config: config, reactor: rig.time.reactor, logger: rig.log.logger)
        service = PrintService(backend: backend, config: config, kobra2: false, usbRoot: { nil }, reactor: rig.time.reactor,
                               outbox: rig.outbox, logger: rig.log.logger)
        service.register(in: rig.router)
        let printing = service
        controls = ControlService(backend: backend, config: config, modelId: "20024", outbox: rig.outbox, logger: rig.log.logger,
                                  isPrinting: { printing.supervisor.isActive }, readings: { printing.supervisor.readings })
        controls.register(in: rig.router)
        service.start()
        try advance(by: 100)
    }

    /// Lets `ms` of virtual time pass, collecting what was published.
    func advance(by ms: Int64) throws {
        try rig.time.advance(by: ms)
        reports += try rig.published()
    }

    /// Answers a command and returns its answer (the report after the acknowledgement).
    @discardableResult
    func send(_ type: String, _ action: String, data: String = "{}") throws -> SeenReport? {
        let before = reports.count
        try rig.send(type, action, data: data)
        reports += try rig.published()
        return reports.dropFirst(before + 1).first
    }

    /// Lets time pass, 50 ms at a time, until a print report in `state` is published.
    func waitForPrint(_ state: String, within ms: Int64 = 60_000) throws {
        var waited: Int64 = 0
        while !printStates.contains(state) {
            guard waited < ms else { throw TestFailure("no print report \(state) within \(ms) ms: \(printStates)") }
            try advance(by: 50)
            waited += 50
        }
    }

    /// The states of the print reports pushed or answered, repeats merged.
    var printStates: [String] {
        var states: [String] = []
        for report in reports where report.topic.hasSuffix("/print/report") {
            if let state = report.state, states.last != state { states.append(state) }
        }
        return states
    }
}
