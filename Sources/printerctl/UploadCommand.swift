import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `printerctl upload FILE [--name NAME] [--print]`: stores a file on the printer through its
/// LAN upload endpoint (docs/lan-mode.md), as Anycubic Slicer Next does, then may print it.
struct Upload: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Upload a file to the printer (LAN mode), and print it with --print.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The file to upload.") var file: String
    @Option(help: "The name to store it under (default: the file's own name).") var name: String?
    @Flag(help: "Start printing it once it is uploaded.") var print = false

    func run(on printer: Printer, output: Output) throws {
        let source = URL(fileURLWithPath: file)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: source.path))?[.size] as? Int64 else {
            throw CtlError.usage("cannot read \(file)")
        }
        let stored = name ?? source.lastPathComponent
        let info = try printer.ask("info", "query")["data"] as? [String: Any] ?? [:]
        guard let upload = ((info["urls"] as? [String: Any])?["fileUploadurl"] as? String) ?? printer.handshake?.uploadURL,
              let url = URL(string: upload) else {
            throw CtlError.connection("the printer offers no upload (its info has no fileUploadurl): turn LAN mode on")
        }
        let form = try MultipartForm(name: stored, contents: source)
        defer { form.remove() }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(form.boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue(String(size), forHTTPHeaderField: "X-File-Length")
        // A large file over a slow network: a minute per 10 MB on top of the usual wait.
        let answer = try HTTP.send(request, bodyFile: form.path, timeout: printer.timeout + Double(size) / 10_000_000 * 60)
        guard answer.status == 200, answer.json["code"] as? Int == 200 else {
            let why = answer.json["message"] as? String ?? answer.text
            throw CtlError.refused(what: "upload", code: answer.json["code"] as? Int ?? answer.status, message: why)
        }
        var result: [String: Any] = ["uploaded": stored, "bytes": size]
        if print { result["task"] = try startPrint(stored, usb: false, on: printer) }
        output.show(result) {
            ["uploaded \(stored) (\(ByteCountFormatter.string(fromByteCount: size, countStyle: .file)))"]
                + (print ? ["printing \(stored)"] : [])
        }
    }
}

/// A multipart form in a temporary file (`filename`, then the `gcode` part), so that a large
/// file is streamed from disk rather than held in memory.
struct MultipartForm {
    let boundary = "printerctl-" + UUID().uuidString
    let path: URL

    /// Writes the form of `contents` stored under `name`.
    init(name: String, contents: URL) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("printerctl-\(UUID().uuidString).form")
        guard FileManager.default.createFile(atPath: path.path, contents: nil),
              let out = try? FileHandle(forWritingTo: path), let input = try? FileHandle(forReadingFrom: contents) else {
            throw CtlError.usage("cannot prepare the upload of \(contents.path) in \(path.deletingLastPathComponent().path)")
        }
        defer { try? out.close(); try? input.close() }
        let quoted = name.replacingOccurrences(of: "\"", with: "%22")
        out.write(Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\n\(name)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"gcode\"; filename=\"\(quoted)\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n").utf8))
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { out.write(chunk) }
        out.write(Data("\r\n--\(boundary)--\r\n".utf8))
    }

    /// Removes the temporary file.
    func remove() { try? FileManager.default.removeItem(at: path) }
}
