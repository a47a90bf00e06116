import AgentCore
import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// The log lines on standard error, and StandardStreams under them. The tests redirect the
/// process's descriptors 1 and 2 for a moment, so they run one at a time; other tests'
/// output may land in the capture too, so only lines carrying this test's marker count.
@Suite(.serialized) struct LoggerTests {
    @Test func aWarnLoggerDropsDebugAndInfoAndWritesWarnAndError() throws {
        let marker = uniqueName("marker")
        let logger = Logger(level: .warning)
        let lines = try captured(2, marker) {
            for level: LogLevel in [.debug, .info, .warning, .error] { logger.log(level, "\(marker) \(level.name)") }
        }
        #expect(lines == ["printer-agent[warn]: \(marker) warn", "printer-agent[error]: \(marker) error"])
    }

    @Test func loweringTheLevelLetsDebugLinesThrough() throws {
        let marker = uniqueName("marker")
        let logger = Logger(level: .error)
        let lines = try captured(2, marker) {
            logger.log(.debug, "\(marker) before")
            logger.level = .debug
            logger.log(.debug, "\(marker) after")
        }
        #expect(lines == ["printer-agent[debug]: \(marker) after"])
    }

    /// Text far larger than a pipe's buffer, with multi-byte characters, arrives whole.
    @Test(arguments: [1, 2] as [Int32])
    func standardStreamsWriteLongTextWhole(descriptor: Int32) throws {
        let marker = uniqueName("marker")
        let line = "\(marker) " + String(repeating: "Zürich–Köln ✓ ", count: 20_000)
        let lines = try captured(descriptor, marker) {
            descriptor == 1 ? StandardStreams.out(line + "\n") : StandardStreams.err(line + "\n")
        }
        #expect(lines == [line])
    }

    /// The lines containing `marker` that `body` (and only it) wrote to `descriptor`, which is
    /// redirected to a temporary file meanwhile and restored afterwards.
    private func captured(_ descriptor: Int32, _ marker: String, _ body: () -> Void) throws -> [String] {
        let directory = try TemporaryDirectory()
        let path = try directory.write("captured", "")
        let file = agent_open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        let saved = dup(descriptor)
        guard file >= 0, saved >= 0 else { throw TestFailure("cannot set up the capture of \(descriptor)") }
        fflush(nil)
        dup2(file, descriptor)
        close(file)
        body()
        dup2(saved, descriptor)
        close(saved)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { $0.contains(marker) }
    }
}
