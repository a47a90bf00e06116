import AgentCore
import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// ZipArchive and ZipEntryExtractor on archives made by Python's zipfile: the G-code comes
/// out byte for byte, stored or deflated, in steps or from reactor turns; hostile archives
/// are refused with a clear failure and write nothing past what they declare.
@Suite struct ZipArchiveTests {
    /// The entry "Metadata/plate_1.gcode" of the archive at `path` extracted into a fresh file:
    /// the bytes, or the failure; and how many steps it took.
    private func extract(_ path: String, entry: String = "Metadata/plate_1.gcode", chunkBytes: Int = 64 * 1024,
                         in directory: TemporaryDirectory) throws -> (Result<Data, CommandFailure>, steps: Int, written: Int64) {
        let archive = agent_open(path, O_RDONLY | O_CLOEXEC)
        guard archive >= 0 else { throw TestFailure("cannot open \(path)") }
        defer { close(archive) }
        let outputPath = directory.path + "/" + uniqueName("out")
        let output = agent_openat_mode(AT_FDCWD, outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw TestFailure("cannot create \(outputPath)") }
        defer { close(output) }
        var steps = 0
        do throws(CommandFailure) {
            let zip = try ZipArchive(descriptor: archive, name: "/a.gcode.3mf")
            guard let found = zip.entries.first(where: { $0.name == entry }) else { throw CommandFailure(.badRequest, "no entry") }
            let extractor = try ZipEntryExtractor(archive: archive, entry: found, dataOffset: try zip.dataOffset(of: found),
                                                  output: output, name: entry, chunkBytes: chunkBytes)
            repeat { steps += 1 } while try !extractor.step()
        } catch {
            return (.failure(error), steps, fileSize(outputPath))
        }
        return (.success(try Data(contentsOf: URL(fileURLWithPath: outputPath))), steps, fileSize(outputPath))
    }

    private func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
    }

    /// The failure of extracting plate 1 of `path`, or a test failure when it succeeded.
    private func failure(_ path: String, in directory: TemporaryDirectory) throws -> CommandFailure {
        guard case .failure(let failure) = try extract(path, in: directory).0 else {
            throw TestFailure("the archive was read without a failure")
        }
        return failure
    }

    private func cube() throws -> Data { try Fixture.data("cube.gcode") }

    @Test(arguments: [true, false])
    func thePlateComesOutByteForByte(deflated: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/cube.gcode.3mf"
        try ZipFixture.writeSliced(path, plates: [try cube(), Data("G28\n".utf8)], deflated: deflated)
        let (result, steps, _) = try extract(path, chunkBytes: 512, in: directory)
        #expect(try result.get() == (try cube()))
        #expect(steps > 10, "512 bytes of the archive per step: \(steps) steps")
        let (second, _, _) = try extract(path, entry: "Metadata/plate_2.gcode", in: directory)
        #expect(try second.get() == Data("G28\n".utf8))
    }

    @Test func anEmptyStoredEntryIsEmpty() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/empty.gcode.3mf"
        try ZipFixture.write(path, [("Metadata/plate_1.gcode", Data())], deflated: false)
        #expect(try extract(path, in: directory).0.get() == Data())
    }

    @Test func extractionRunsOnReactorTurns() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/cube.gcode.3mf"
        try ZipFixture.writeSliced(path, plates: [try cube()])
        let archive = agent_open(path, O_RDONLY | O_CLOEXEC)
        defer { close(archive) }
        let outputPath = directory.path + "/out"
        let output = agent_openat_mode(AT_FDCWD, outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        defer { close(output) }
        let zip = try ZipArchive(descriptor: archive, name: "/cube.gcode.3mf")
        let entry = try #require(zip.entries.first { $0.name == "Metadata/plate_1.gcode" })
        let extractor = try ZipEntryExtractor(archive: archive, entry: entry, dataOffset: try zip.dataOffset(of: entry),
                                              output: output, name: entry.name, chunkBytes: 512)
        let manual = ManualReactor()
        var outcome: CommandFailure?? = nil
        var turnsSeenBeforeTheEnd = 0
        extractor.run(on: manual.reactor) { outcome = .some($0) }
        #expect(outcome == nil, "never completes from within run")
        while outcome == nil {
            turnsSeenBeforeTheEnd += 1
            try manual.reactor.turn(timeoutMs: 0)
        }
        #expect(outcome == .some(nil))
        #expect(turnsSeenBeforeTheEnd > 5)
        #expect(try Data(contentsOf: URL(fileURLWithPath: outputPath)) == (try cube()))
    }

    @Test func aCompressionBombStopsAtTheDeclaredSize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bomb.gcode.3mf"
        // 20 MB of newlines deflate to about 20 KB; the directory claims 100 KB.
        try ZipFixture.write(path, [("Metadata/plate_1.gcode", Data(repeating: 10, count: 20_000_000))])
        try ZipFixture.patch(path, "put32(central(\"Metadata/plate_1.gcode\") + 24, 100000)")
        let (result, _, written) = try extract(path, in: directory)
        guard case .failure(let failure) = result else { throw TestFailure("the bomb was extracted") }
        #expect(failure.code == .verificationFailed)
        #expect(failure.message.contains("inflates to more than the 100000 bytes"), "\(failure.message)")
        #expect(written <= 100_000, "nothing is written past the declared size: \(written)")
    }

    @Test func aSizeBeyondWhatDeflateCanGiveIsRefusedBeforeExtracting() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/lie.gcode.3mf"
        try ZipFixture.writeSliced(path, plates: [Data("G28\n".utf8)])
        try ZipFixture.patch(path, "put32(central(\"Metadata/plate_1.gcode\") + 24, 0xFFFFFFF0)")
        let (result, steps, _) = try extract(path, in: directory)
        guard case .failure(let failure) = result else { throw TestFailure("the lie was believed") }
        #expect(steps == 0)
        #expect(failure.message.contains("more than deflate can give"), "\(failure.message)")
    }

    @Test func aTruncatedArchiveIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/cut.gcode.3mf"
        try ZipFixture.writeSliced(path, plates: [try cube()])
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let failure = try failure(path, in: directory)
        #expect(failure.code == .verificationFailed)
        #expect(failure.message.contains("it is not a ZIP archive, or it is truncated"), "\(failure.message)")
    }

    @Test func aFileThatIsNoArchiveIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("cube.gcode.3mf", try cube())
        #expect(try failure(path, in: directory).message.contains("not a ZIP archive"))
    }

    @Test(arguments: [("../../etc/passwd", "../../etc/passwd"), ("/etc/passwd", "/etc/passwd"),
                      ("Metadata/../../x", "Metadata/../../x"), ("a\\b", "a\\b"), ("a\nforged line", "a?forged line")])
    func anEntryNamedOutsideTheArchiveOrWithAControlCharacterIsRefused(name: String, shown: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/evil.gcode.3mf"
        try ZipFixture.write(path, [("Metadata/plate_1.gcode", Data("G28\n".utf8)), (name, Data("x".utf8))])
        let refusal = try failure(path, in: directory)
        #expect(refusal.code == .badRequest)
        #expect(refusal.message.contains("an entry named \"\(shown)\""), "\(refusal.message)")
    }

    /// A byte patch of the sliced cube (`ZipFixture.patch`), the failure's code and a part of its message.
    struct Hostile: CustomTestStringConvertible, Sendable {
        var patch: String
        var code: Int
        var message: String
        var testDescription: String { message }
    }

    static let hostile = [
        Hostile(patch: """
            put32(central("Metadata/plate_1.gcode") + 16, 0x12345678)
            put32(local("Metadata/plate_1.gcode") + 14, 0x12345678)
            """, code: 422, message: "fails its CRC-32 check"),
        Hostile(patch: "put32(central(\"Metadata/plate_1.gcode\") + 24, 47159)", code: 422,
                message: "gives 47149 bytes, not the 47159 its directory says"),
        Hostile(patch: "put32(central(\"Metadata/plate_1.gcode\") + 20, 50000000)", code: 422,
                message: "runs past the central directory"),
        Hostile(patch: "put16(local(\"Metadata/plate_1.gcode\") + 26, 3)", code: 422,
                message: "does not match the central directory"),
        Hostile(patch: "put32(eocd + 16, 0xFFFFFFFF)", code: 400, message: "ZIP64"),
        Hostile(patch: "put16(eocd + 4, 1)", code: 400, message: "split over several disks"),
        Hostile(patch: "put16(central(\"Metadata/plate_1.gcode\") + 8, 1)", code: 400, message: "is encrypted"),
        Hostile(patch: "put16(central(\"Metadata/plate_1.gcode\") + 10, 12)", code: 400,
                message: "compressed with method 12"),
    ]

    @Test(arguments: hostile)
    func aHostileArchiveIsRefused(_ case_: Hostile) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bad.gcode.3mf"
        try ZipFixture.writeSliced(path, plates: [try cube()])
        try ZipFixture.patch(path, case_.patch)
        let refusal = try failure(path, in: directory)
        #expect(refusal.code == ReplyCode(case_.code))
        #expect(refusal.message.contains(case_.message), "\(refusal.message)")
    }
}
