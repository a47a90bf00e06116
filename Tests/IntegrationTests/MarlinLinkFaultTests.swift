import Foundation
import Testing
import TestSupport

/// Whole prints through a faulty serial link (issue 17): periodic resends, corrupted bytes
/// both ways and lost oks, on a board that flushes its receive buffer after a line error and
/// on one that does not, with lines sent ahead (the default `serial_rx_buffer`) and one line
/// per ok: the PrusaSlicer cube and 100,000 short moves, each fault on its own, and all of
/// them at once. The simulator's log of executed commands shows each ran once, in order.
/// The line runs as fast as the pty (its baud rate is `bench/marlin-link`'s matter) and the
/// board's keepalive comes every 0.2 s (M113 tells the agent so): a lost ok costs 0.3 s of
/// silence instead of stock Marlin's 3 s.
@Suite struct MarlinLinkFaultTests {
    /// The faults, as the simulator's arguments.
    static let faults: [(name: String, arguments: [String])] = [
        ("a resend every 400 lines", ["--resend-every", "400"]),
        ("a resend every 50 lines", ["--resend-every", "50"]),
        ("1 byte in 10,000 corrupted both ways", ["--corrupt", "0.0001", "--seed", "17"]),
        ("an ok lost every 500 lines", ["--drop-ok-every", "500"]),
    ]

    /// Every fault at once.
    static let combined = (name: "all four faults at once",
                           arguments: ["--resend-every", "400", "--corrupt", "0.0001", "--seed", "17", "--drop-ok-every", "500"])

    @Test(arguments: [nil, 0], ["yes", "no"])
    func theCubePrintsThroughEveryFault(receiveBuffer: Int?, flush: String) throws {
        for fault in Self.faults {
            try printEveryCommandOnce("cube.gcode", fault: fault, flush: flush, receiveBuffer: receiveBuffer)
        }
    }

    @Test(arguments: [nil, 0], ["yes", "no"])
    func aHundredThousandLinesPrintThroughEachFault(receiveBuffer: Int?, flush: String) throws {
        for fault in Self.faults + [Self.combined] {
            try printEveryCommandOnce("long.gcode", fault: fault, flush: flush, receiveBuffer: receiveBuffer)
        }
    }

    /// 100,000 short moves.
    static let longFile: Data = {
        var text = "G90\nM83\n"
        for index in 0..<100_000 {
            text += "G1 X\(index % 200).\(index % 10) Y\(index / 200 % 200) E0.01\n"
        }
        return Data(text.utf8)
    }()

    /// Prints `filename` through a board with `fault` and `--rx-flush-on-error flush`, the
    /// agent configured with `serial_rx_buffer = receiveBuffer` (the default when nil), and
    /// checks that it finished and that the board executed every command of the file once,
    /// in order.
    private func printEveryCommandOnce(_ filename: String, fault: (name: String, arguments: [String]), flush: String,
                                       receiveBuffer: Int?) throws {
        let what = "\(filename), \(fault.name), flush \(flush), buffer \(receiveBuffer.map(String.init) ?? "default")"
        let logDirectory = try TemporaryDirectory()
        let logPath = logDirectory.path + "/commands.txt"
        let rig = try PrintRig.marlin(["--heat-rate", "instant", "--busy-interval", "0.2", "--rx-flush-on-error", flush,
                                       "--command-log", logPath] + fault.arguments,
                                      config: receiveBuffer.map { ["serial_rx_buffer = \($0)"] } ?? [])
        let data = filename == "long.gcode" ? Self.longFile : try Fixture.data(filename)
        _ = try rig.storage.write("gcodes/" + filename, data)
        try rig.waitForController()
        try rig.start(filename)
        let finished = try rig.waitForPrint("finished", timeout: 600)
        #expect(PrintRig.data(finished)["progress"] as? Int == 100, "\(what)")
        #expect(rig.printStates.last == "finished", "\(what): \(rig.printStates)")

        let executed = try ExecutedCommands(String(contentsOfFile: logPath, encoding: .utf8))
        #expect(executed.numbersInOrder, "\(what): line numbers executed once each, in order")
        let file = Fixture.commands(of: data)
        let fromFile = executed.commands.filter { !["M105", "M113", "M115", "M155 S2", "M110 N0"].contains($0) }
        #expect(fromFile.count == file.count, "\(what): \(fromFile.count) of the file's \(file.count) commands executed")
        let difference = zip(fromFile, file).enumerated().first { $0.element.0 != $0.element.1 }
            .map { "#\($0.offset): executed \($0.element.0), file \($0.element.1)" }
        #expect(difference == nil, "\(what): the file's commands executed once each, in order")
        let transcript = rig.simulator.transcript
        #expect(!transcript.contains("receive buffer overflow"), "\(what): the receive buffer never overflowed")
        if fault.arguments.contains("--resend-every") { #expect(transcript.contains("< Resend:"), "\(what): the board asked") }
        if fault.arguments.contains("--drop-ok-every") {
            // Stock Marlin answers M105 with the temperatures on its ok line: the probe's ok.
            #expect(transcript.contains(" M105*") && transcript.contains("< ok T:"),
                    "\(what): the lost oks were probed with a numbered M105, answered by ok T:...")
        }
    }
}

/// The simulator's `--command-log`: `N<number> <command>` for each command it executed.
struct ExecutedCommands {
    /// The commands, in the order executed.
    let commands: [String]
    /// Whether the line numbers since numbering started follow one another with no gap and
    /// no repeat.
    let numbersInOrder: Bool

    init(_ log: String) throws {
        var commands: [String] = []
        var last = -1
        var inOrder = true
        for line in log.split(separator: "\n") {
            guard line.hasPrefix("N"), let space = line.firstIndex(of: " "), let number = Int(line.dropFirst().prefix { $0 != " " })
            else { throw TestFailure("not a numbered command in the log: \(line)") }
            let command = String(line[line.index(after: space)...])
            if command.hasPrefix("M110") {
                last = number
            } else {
                if number != last + 1 { inOrder = false }
                last = number
            }
            commands.append(command)
        }
        self.commands = commands
        numbersInOrder = inOrder
    }
}
