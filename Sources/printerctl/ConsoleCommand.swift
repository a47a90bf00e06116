import ArgumentParser
import Foundation

/// `printerctl console`: G-code lines typed (or piped) in, sent one at a time through the
/// agent's console (`gcode/send`, which the printer's `gcode_console` must allow), and what
/// the controller answered printed back.
struct Console: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Send G-code lines from standard input and print the printer's answers.")

    @OptionGroup var connection: ConnectionOptions

    func run(on printer: Printer, output: Output) throws {
        let prompt = isatty(STDIN_FILENO) == 1 && !output.json
        if prompt { FileHandle.standardError.write(Data("connected; G-code lines, Ctrl-D to end\n".utf8)) }
        var refusal: CtlError?
        while true {
            if prompt { FileHandle.standardError.write(Data("> ".utf8)) }
            guard let line = readLine() else { break }
            let gcode = line.trimmingCharacters(in: .whitespaces)
            guard !gcode.isEmpty else { continue }
            do {
                let answer = try printer.ask("gcode", "send", data: ["gcode": gcode],
                                             patience: max(printer.timeout, Printer.controllerPatience)) { $0 != "doing" }
                let lines = (answer["data"] as? [String: Any])?["lines"] as? [String] ?? []
                output.show(["gcode": gcode, "lines": lines]) { lines.isEmpty ? ["ok"] : lines }
            } catch let error as CtlError {
                guard case .refused = error else { throw error }
                // A refused line does not end the session; the last refusal is the exit status.
                refusal = error
                output.show(["gcode": gcode, "error": error.description]) { [output.paint(error.description, "31")] }
            }
        }
        if let refusal { throw refusal }
    }
}
