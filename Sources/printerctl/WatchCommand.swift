import ArgumentParser
import Foundation

/// `printerctl watch`: follows the print live until it ends: on a terminal a progress bar
/// redrawn in place with the layer, the time left and the temperatures; otherwise one line
/// per change (one JSON object per report with --json). Exits 0 when the print finishes,
/// 2 when it is stopped or fails (or none is running).
struct Watch: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Show the print's progress live until it ends.")

    @OptionGroup var connection: ConnectionOptions

    func run(on printer: Printer, output: Output) throws {
        var from = printer.position
        var readout = Readout(info: try printer.ask("info", "query"))
        guard readout.job != nil, !readout.ended else { throw CtlError.printEnded("no print is running") }
        output.beginLive()
        var shown = ""
        var failure: String?
        while true {
            output.live(render(readout, output), json: readout.json, shown: &shown)
            if readout.ended { break }
            let report = try printer.next(from: &from, waiting: "the print's progress", forever: true) {
                ["print", "tempature", "fan", "status"].contains(printer.reportType($0) ?? "")
            }
            let type = report["type"] as? String ?? ""
            if type == "print", report["code"] as? Int != 200 {
                // A failed print report is the print failing, or the printer refusing someone's
                // command (a resume while printing): only the first leaves the printer free.
                let now = Readout(info: try printer.ask("info", "query"))
                guard now.state == "free" else { continue }
                failure = report["msg"] as? String
                readout.phase = "failed"
                continue
            }
            readout.apply(report: type, report)
        }
        output.endLive()
        switch readout.phase {
        case "finished": return
        case "stoped": throw CtlError.printEnded("the print was stopped")
        default: throw CtlError.printEnded("the print failed: \(failure ?? "no reason given")")
        }
    }

    /// The one-line view: name, bar, percent, layer, time left, temperatures, phase.
    private func render(_ readout: Readout, _ output: Output) -> String {
        let phase = readout.phase ?? "?"
        let colour = phase == "finished" ? "32" : (["stoped", "failed"].contains(phase) ? "31" : (phase.hasPrefix("paus") ? "33" : "36"))
        let parts = [readout.filename, output.paint(Readout.bar(readout.progress), colour), "\(readout.progress)%",
                     readout.jobLine, readout.temperatureLine, output.paint(phase, colour)]
        return parts.filter { !$0.isEmpty }.joined(separator: "  ")
    }
}
