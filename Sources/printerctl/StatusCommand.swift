import ArgumentParser

/// `printerctl status`: one screen with the state, temperatures, the job and the USB stick.
struct Status: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Show the printer's state, temperatures, job and USB stick.")

    @OptionGroup var connection: ConnectionOptions

    func run(on printer: Printer, output: Output) throws {
        let info = try printer.ask("info", "query")
        let peripherals = try printer.ask("peripherie", "query")["data"] as? [String: Any] ?? [:]
        let readout = Readout(info: info)
        let data = info["data"] as? [String: Any] ?? [:]
        let usb = Readout.number(peripherals["udisk"]) == 1
        var json = readout.json
        json["printer"] = ["name": data["printerName"] ?? "", "model": data["model"] ?? "", "model_id": printer.modelId,
                           "device_id": printer.deviceId, "version": data["version"] ?? "", "agent_version": data["agent_version"] ?? ""]
        json["usb"] = usb
        output.show(json) {
            let busy = readout.state == "busy"
            var lines = [
                output.paint("\(data["printerName"] as? String ?? "printer") (\(data["model"] as? String ?? printer.modelId))", "1")
                    + "  " + output.paint(busy ? "busy" : "free", busy ? "33" : "32"),
                "temperatures  \(readout.temperatureLine)  fan \(readout.fan)%",
            ]
            if readout.job != nil {
                lines.append("job           \(readout.filename): \(readout.phase ?? "?") \(Readout.bar(readout.progress, width: 20)) \(readout.progress)%")
                if !readout.jobLine.isEmpty { lines.append("              \(readout.jobLine)") }
            } else {
                lines.append("job           none")
            }
            lines.append("usb stick     \(usb ? "inserted" : "none")")
            return lines
        }
    }
}
