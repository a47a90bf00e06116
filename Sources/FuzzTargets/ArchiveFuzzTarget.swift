import AgentCore
import AgentPlatform
import Glibc

/// The fuzz target over `.gcode.3mf` archives: the input is the archive's bytes, read as
/// `print/start` reads one (`ZipArchive`, `SlicedArchive.plateEntry`), then every readable
/// entry extracted (`ZipEntryExtractor`, small chunks so that the steps are many).
///
/// Oracle: every refusal has a code a client can act on (400, 422, 500 or 507) and a
/// one-line message; nothing is ever written past the uncompressed size the directory
/// declares, and an extraction that succeeds wrote exactly that size; an entry's data lies
/// inside the file.
public final class ArchiveFuzzTarget {
    /// The target, with its scratch files made once per process.
    public static let shared = ArchiveFuzzTarget()

    private let archivePath: String
    private let outputPath: String

    private init() {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((directory + "/printer-agent-fuzz-archive-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { fatalError("mkdtemp failed: errno \(errno)") }
        let folder = String(cString: template)
        archivePath = folder + "/input.gcode.3mf"
        outputPath = folder + "/.agent-extract-fuzz.gcode"
    }

    /// Runs one input.
    public func run(_ bytes: [UInt8]) {
        let archive = write(bytes)
        defer { close(archive) }
        let zip: ZipArchive
        do throws(CommandFailure) {
            zip = try ZipArchive(descriptor: archive, name: "/input.gcode.3mf")
        } catch {
            check(error)
            return
        }
        FuzzCheck.require(zip.directory.offset + zip.directory.size <= Int64(bytes.count), "the directory lies outside the file")
        do throws(CommandFailure) {
            _ = try SlicedArchive.plateEntry(in: zip.entries, plate: nil)
        } catch {
            check(error)
        }
        for entry in zip.entries.prefix(4) { extract(entry, of: zip, from: archive, fileSize: Int64(bytes.count)) }
    }

    /// Extracts `entry` into the scratch output and checks what was written.
    private func extract(_ entry: ZipEntry, of zip: ZipArchive, from archive: Int32, fileSize: Int64) {
        let output = open(outputPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        FuzzCheck.require(output >= 0, "cannot create the scratch output: errno \(errno)")
        defer { close(output) }
        var written: Int64 = 0
        do throws(CommandFailure) {
            let start = try zip.dataOffset(of: entry)
            FuzzCheck.require(start >= 0 && start + entry.compressedSize <= fileSize, "the entry's data lies outside the file")
            let extractor = try ZipEntryExtractor(archive: archive, entry: entry, dataOffset: start, output: output,
                                                  name: entry.name, chunkBytes: 512)
            defer { written = extractor.bytesWritten }
            while try !extractor.step() {}
            FuzzCheck.require(extractor.bytesWritten == entry.uncompressedSize, "a checked entry of the wrong size")
        } catch {
            check(error)
        }
        var status = stat()
        FuzzCheck.require(fstat(output, &status) == 0, "cannot measure the output")
        FuzzCheck.require(Int64(status.st_size) == written && written <= entry.uncompressedSize,
                          "wrote \(status.st_size) bytes of an entry that declares \(entry.uncompressedSize)")
    }

    /// The input as the archive file, open for reading.
    private func write(_ bytes: [UInt8]) -> Int32 {
        let file = open(archivePath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        FuzzCheck.require(file >= 0, "cannot create the scratch archive: errno \(errno)")
        let done = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
        FuzzCheck.require(done == bytes.count, "cannot write the scratch archive")
        return file
    }

    /// A refusal must be one a client can act on.
    private func check(_ failure: CommandFailure) {
        FuzzCheck.require([400, 422, 500, 507].contains(failure.code.rawValue), "code \(failure.code.rawValue): \(failure.message)")
        FuzzCheck.require(!failure.message.isEmpty && !failure.message.utf8.contains(UInt8(ascii: "\n")),
                          "a refusal that is not one line: \(failure.message)")
    }
}
