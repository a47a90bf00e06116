import ArgumentParser

/// A subcommand that talks to one printer: it connects as the shared options say, runs,
/// and turns every failure into one line on standard error (and, with --json, a JSON
/// object on standard output) and its exit status.
protocol PrinterCommand: ParsableCommand {
    var connection: ConnectionOptions { get }
    /// The command's work, once connected.
    func run(on printer: Printer, output: Output) throws
}

extension PrinterCommand {
    func run() throws {
        let output = Output(json: connection.json)
        try reportingFailures(output) {
            let printer = try Printer(connection.resolved())
            defer { printer.close() }
            try run(on: printer, output: output)
        }
    }
}

/// Runs `body`; a `CtlError` becomes its one-line message (and a JSON `error` object in
/// JSON mode) and its exit status.
func reportingFailures(_ output: Output, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CtlError {
        if output.json { output.emit(["error": error.description, "exit": error.exitCode.rawValue]) }
        Diagnostics.error(error.description)
        throw error.exitCode
    }
}

/// The `-1` task id: the active job, whatever its number (docs/protocol.md).
let activeTask = "-1"
