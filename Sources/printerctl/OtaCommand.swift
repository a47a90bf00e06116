import ArgumentParser
import Foundation

/// `printerctl ota URL --version V --size N --md5 HEX`: asks the printer to install a
/// firmware image from a URL (`ota/update`, docs/downloads-and-ota.md) and prints its answer.
struct Ota: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the printer to download and install a firmware image.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The image's URL.") var url: String
    @Option(help: "The image's version.") var version: String
    @Option(help: "The image's size in bytes.") var size: Int64
    @Option(help: "The image's MD5 in hex.") var md5: String
    @Flag(help: "Install even during a print (the printer must allow it).") var force = false

    func run(on printer: Printer, output: Output) throws {
        let name = URL(string: url)?.lastPathComponent ?? "firmware"
        let answer = try printer.ask("ota", "update", data: [
            "firmware_url": url, "firmware_name": name, "firmware_version": version,
            "firmware_size": size, "firmware_md5": md5, "force_update": force ? 1 : 0,
        ])
        let state = answer["state"] as? String ?? "done"
        output.show(["ota": state, "version": version]) { ["firmware \(version): \(state)"] }
    }
}
