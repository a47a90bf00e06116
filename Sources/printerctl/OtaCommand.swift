import ArgumentParser
import Foundation

/// `printerctl ota URL --version V --size N --md5 HEX`: asks the printer to install a
/// firmware image from a URL (`ota/update`, docs/downloads-and-ota.md); `printerctl ota
/// --install` installs the update the printer keeps available (`ota/install`, with
/// `ota_install = on_request`). Either follows the installation to its end, as `watch`
/// follows a print: the download's and the installer's progress, then the new version
/// (status 0) or the failure (status 2). `--no-wait` returns with the printer's answer.
struct Ota: PrinterCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the printer to download and install a firmware image, and follow the installation.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The image's URL.") var url: String?
    @Option(help: "The image's version.") var version: String?
    @Option(help: "The image's size in bytes.") var size: Int64?
    @Option(help: "The image's MD5 in hex.") var md5: String?
    @Flag(help: "Install even during a print (the printer must allow it).") var force = false
    @Flag(help: "Install the update the printer keeps available (its ota_install = on_request), instead of a URL.")
    var install = false
    @Flag(help: "Return once the printer answered, without following the installation.") var noWait = false

    func validate() throws {
        if install {
            guard url == nil, version == nil, size == nil, md5 == nil, !force else {
                throw ValidationError("--install takes no URL, --version, --size, --md5 or --force: it installs the update the printer has")
            }
        } else if url == nil || version == nil || size == nil || md5 == nil {
            throw ValidationError("give the image's URL with --version, --size and --md5, or --install")
        }
    }

    func run(on printer: Printer, output: Output) throws {
        var from = printer.position
        let answer: [String: Any]
        if install {
            answer = try printer.ask("ota", "install")
        } else {
            let name = URL(string: url ?? "")?.lastPathComponent ?? "firmware"
            answer = try printer.ask("ota", "update", data: [
                "firmware_url": url ?? "", "firmware_name": name, "firmware_version": version ?? "",
                "firmware_size": size ?? 0, "firmware_md5": md5 ?? "", "force_update": force ? 1 : 0,
            ])
        }
        let state = answer["state"] as? String ?? "done"
        let firmware = (answer["data"] as? [String: Any])?["firmware_version"] as? String ?? version ?? "?"
        if state == "available" {
            output.show(["ota": state, "version": firmware]) {
                ["firmware \(firmware) is available: the printer installs it on request (printerctl ota --install)"]
            }
            return
        }
        if noWait {
            output.show(["ota": state, "version": firmware]) { ["firmware \(firmware): \(state)"] }
            return
        }
        try follow(firmware, on: printer, from: &from, output: output)
    }

    /// Follows the `ota` reports from `from` until the update succeeds or fails.
    private func follow(_ firmware: String, on printer: Printer, from: inout Int, output: Output) throws {
        output.beginLive()
        var shown = ""
        while true {
            let report = try printer.next(from: &from, waiting: "the firmware update", forever: true) { message in
                printer.reportType(message) == "ota" && ["update", "install"].contains(message.payload["action"] as? String ?? "")
            }
            let state = report["state"] as? String ?? ""
            let data = report["data"] as? [String: Any] ?? [:]
            if state.contains("fail") || (report["code"] as? Int ?? 200) != 200 {
                output.endLive()
                throw CtlError.updateFailed("firmware \(firmware): \(state): \(report["msg"] as? String ?? "no reason given")")
            }
            let percent = Readout.number(state == "updating" ? data["current_progress"] : data["progress"] ?? data["current_progress"])
            let step = ["downloading": "downloading", "download-success": "downloaded", "updating": "installing",
                        "update-success": "installed"][state] ?? state
            let colour = state == "update-success" ? "32" : "36"
            output.live("firmware \(firmware)  \(output.paint(Readout.bar(percent), colour))  \(percent)%  \(step)",
                        json: ["state": state, "progress": percent, "version": firmware], shown: &shown)
            if state == "update-success" { break }
        }
        output.endLive()
        if !output.json { output.line("firmware \(firmware) installed: it is active after the printer restarts") }
    }
}
