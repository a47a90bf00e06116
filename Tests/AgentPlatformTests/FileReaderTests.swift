import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// Whole-file reads with a size limit.
@Suite struct FileReaderTests {
    /// Sizes around the reader's 4096-byte chunk, and none at all.
    @Test(arguments: [0, 1, 4095, 4096, 4097, 10_000])
    func readsAFilesExactBytes(size: Int) throws {
        let directory = try TemporaryDirectory()
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        let path = try directory.write("file", Data(bytes))
        #expect(try FileReader.read(path) == bytes)
    }

    @Test func aMissingFileThrowsENOENTNamingThePath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/missing.conf"
        let error = try #require(readError(path))
        #expect(error.errno == ENOENT)
        #expect(error.message == "open \(path): No such file or directory")
    }

    @Test func aFileOverTheLimitThrowsNamingTheLimit() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("big", Data(count: 5000))
        let error = try #require(readError(path, limit: 4096))
        #expect(error.message == "\(path): file is larger than 4096 bytes")
        #expect(try FileReader.read(path, limit: 5000).count == 5000)
    }

    @Test func anEndlessFileStopsAtTheLimit() throws {
        let error = try #require(readError("/dev/zero", limit: 100_000))
        #expect(error.message.contains("larger than 100000 bytes"))
    }

    @Test func aDirectoryFailsWithEISDIR() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(readError(directory.path))
        #expect(error.errno == EISDIR)
        #expect(error.message.contains(directory.path))
    }

    @Test func isReadableTellsAnExistingFileFromAMissingOne() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("present", "x")
        #expect(FileReader.isReadable(path))
        #expect(!FileReader.isReadable(directory.path + "/absent"))
    }

    /// The SystemError `FileReader.read` throws, or nil (recorded as a failure) when it reads.
    private func readError(_ path: String, limit: Int = 1 << 20,
                           sourceLocation: SourceLocation = #_sourceLocation) -> SystemError? {
        do {
            let bytes = try FileReader.read(path, limit: limit)
            Issue.record("read \(bytes.count) bytes from \(path) instead of failing", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}
