import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// The line reader a Marlin print streams from: every line once, in order, whatever the chunk
/// boundaries, with `position` at the end of the last line handed out.
@Suite struct PrintFileReaderTests {
    /// Opens `text` written to a temporary file.
    private func reader(_ data: Data) throws -> (PrintFileReader, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let path = try directory.write("print.gcode", data)
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        return (try PrintFileReader(descriptor: descriptor, name: "/print.gcode"), directory)
    }

    private func lines(of reader: PrintFileReader) throws -> [String] {
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }

    @Test func linesAcrossManyChunksComeOnceInOrder() throws {
        let expected = (0..<40_000).map { "G1 X\($0) Y\($0 % 97) E0.0\($0 % 10)" }
        let text = expected.joined(separator: "\n") + "\n"
        let (reader, directory) = try reader(Data(text.utf8))
        _ = directory
        #expect(try lines(of: reader) == expected)
        #expect(reader.position == Int64(text.utf8.count))
        #expect(reader.size == Int64(text.utf8.count))
        #expect(try reader.nextLine() == nil)
    }

    @Test func positionFollowsEachLine() throws {
        let (reader, directory) = try reader(Data("G28\n\nG1 X1\r\nM84".utf8))
        _ = directory
        #expect(try reader.nextLine().map(Array.init) == Array("G28".utf8))
        #expect(reader.position == 4)
        #expect(try reader.nextLine()?.isEmpty == true)
        #expect(reader.position == 5)
        #expect(try reader.nextLine().map(Array.init) == Array("G1 X1\r".utf8), "the cleaner drops the \\r")
        #expect(try reader.nextLine().map(Array.init) == Array("M84".utf8), "a last line without a newline")
        #expect(reader.position == reader.size)
        #expect(try reader.nextLine() == nil)
    }

    @Test func aLineLongerThanAChunkComesInPieces() throws {
        let long = String(repeating: "A", count: 70_000)
        let (reader, directory) = try reader(Data((long + "\nG28\n").utf8))
        _ = directory
        let first = try #require(try reader.nextLine())
        #expect(first.count == 65_536)
        #expect(try reader.nextLine()?.count == 70_000 - 65_536)
        #expect(try reader.nextLine().map(Array.init) == Array("G28".utf8))
        #expect(try reader.nextLine() == nil)
    }

    @Test func anEmptyFileHasNoLines() throws {
        let (reader, directory) = try reader(Data())
        _ = directory
        #expect(try reader.nextLine() == nil)
        #expect(reader.size == 0)
    }
}
