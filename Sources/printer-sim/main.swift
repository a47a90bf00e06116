// printer-sim: simulators of printer motion controllers for integration tests and demos,
// standing in for hardware: a Marlin 2.1 board on a serial line (a pseudo-terminal) and
// Klipper's API server on a Unix socket, both with faults on demand. Host-only tool: it
// may use Foundation and Glibc. See `Arguments.usage` for the command line.
import Glibc

/// Prints `message` on standard error, prefixed with the program name.
func printError(_ message: String) {
    fputs("printer-sim: \(message)\n", stderr)
}

let arguments: Arguments
do {
    arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError((error as? UsageError)?.message ?? "\(error)")
    fputs(Arguments.usage + "\n", stderr)
    exit(2)
}

let loop = EventLoop()
let simulator: Simulator
do {
    switch arguments {
    case .help:
        print(Arguments.usage)
        exit(0)
    case .marlin(let options):
        simulator = try MarlinSimulator(options: options, loop: loop, transcript: try Transcript(path: options.common.transcript))
    case .klipper(let options):
        simulator = try KlipperSimulator(options: options, loop: loop, transcript: try Transcript(path: options.common.transcript))
    }
    try TerminationSignals.install(on: loop) { loop.stop() }
} catch {
    printError("\(error)")
    exit(1)
}

print("ready \(simulator.address)")
fflush(stdout)
loop.run()
simulator.stop()
exit(0)
