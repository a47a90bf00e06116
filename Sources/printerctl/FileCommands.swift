import ArgumentParser
import Foundation

/// `printerctl ls [--usb]`: the files on the printer's storage or its USB stick.
struct List: PrinterCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files on the printer (or its USB stick).")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The USB stick instead of the internal storage.") var usb = false
    @Argument(help: "A directory below the storage root.") var directory = "/"

    func run(on printer: Printer, output: Output) throws {
        let answer = try printer.ask("file", usb ? "listUdisk" : "listLocal", data: ["path": directory])
        let records = (answer["data"] as? [String: Any])?["records"] as? [[String: Any]] ?? []
        let files: [[String: Any]] = records.map { record in
            ["name": record["filename"] ?? "", "size": Readout.number(record["size"]),
             "directory": record["is_dir"] as? Bool ?? false,
             "modified": Readout.number(record["timestamp"]) / 1000]
        }
        output.show(files) {
            files.isEmpty ? ["(no files)"] : files.map { file in
                let name = file["name"] as? String ?? ""
                let isDirectory = file["directory"] as? Bool ?? false
                let size = isDirectory ? "-" : ByteCountFormatter.string(fromByteCount: Int64(Readout.number(file["size"])), countStyle: .file)
                let date = Date(timeIntervalSince1970: TimeInterval(Readout.number(file["modified"])))
                return "\(size.padding(toLength: 10, withPad: " ", startingAt: 0)) \(Self.dateFormat.string(from: date))  "
                    + (isDirectory ? output.paint(name + "/", "34") : name)
            }
        }
    }

    private static let dateFormat: DateFormatter = {
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm"
        return format
    }()
}

/// `printerctl rm NAME [--usb]`: deletes a file (or an empty directory).
struct Remove: PrinterCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a file on the printer (or its USB stick).")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The USB stick instead of the internal storage.") var usb = false
    @Argument(help: "The file's path below the storage root.") var name: String

    func run(on printer: Printer, output: Output) throws {
        let (directory, file) = splitPath(name)
        try printer.ask("file", usb ? "deleteUdisk" : "deleteLocal", data: ["path": directory, "filename": file])
        output.show(["deleted": name]) { ["deleted \(name)"] }
    }
}

/// `path` as the file commands take it: the directory (`/` for the root) and the name.
func splitPath(_ path: String) -> (directory: String, name: String) {
    let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
    guard let slash = trimmed.lastIndex(of: "/") else { return ("/", trimmed) }
    return ("/" + trimmed[..<slash], String(trimmed[trimmed.index(after: slash)...]))
}
