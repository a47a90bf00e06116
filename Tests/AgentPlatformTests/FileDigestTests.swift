import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// Runs the openssl command with `arguments`; its standard output goes to the file `output`.
func openssl(_ arguments: [String], output: String = "/dev/null") throws {
    let status = try ChildProcess(try Executables.find("openssl"), arguments, stdout: output).waitForExit(timeout: 60)
    guard status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) failed with \(status)") }
}

/// FileDigest: MD5 and SHA-256 of a file a chunk at a time, checked against `openssl dgst`.
@Suite struct FileDigestTests {
    /// What `openssl dgst -<algorithm> -r` says of `path`: the lower-case hex digest.
    private func reference(_ algorithm: String, _ path: String, in directory: TemporaryDirectory) throws -> String {
        let output = directory.path + "/" + uniqueName("dgst")
        try openssl(["dgst", "-" + algorithm, "-r", path], output: output)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        return String(text.prefix { $0 != " " })
    }

    /// A file of `size` bytes of a repeating pattern (so chunk boundaries matter) in `directory`.
    private func patternFile(size: Int, in directory: TemporaryDirectory) throws -> String {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
        return try directory.write("pattern-\(size)", Data(bytes))
    }

    /// Hashes the open file `path` to the end with `step()`; returns the digest and the steps taken.
    private func hashInSteps(_ path: String, chunkBytes: Int = 1 << 20) throws -> (FileDigest, Int) {
        let fd = agent_open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("cannot open \(path)") }
        defer { close(fd) }
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5, .sha256], chunkBytes: chunkBytes)
        var steps = 1
        while try !digest.step() { steps += 1 }
        return (digest, steps)
    }

    @Test func anEmptyFileHasTheDigestsOfNoBytesAfterOneStep() throws {
        let directory = try TemporaryDirectory()
        let (digest, steps) = try hashInSteps(try directory.write("empty", ""))
        #expect(steps == 1)
        #expect(digest.hex(.md5) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(digest.hex(.sha256) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest.bytes(.md5)?.count == 16)
        #expect(digest.bytes(.sha256)?.count == 32)
    }

    @Test(arguments: [1, 4095, 4096, 4097, 8191, 8192, 8193])
    func sizesAroundTheChunkSizeMatchOpenssl(size: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try patternFile(size: size, in: directory)
        let (digest, steps) = try hashInSteps(path, chunkBytes: 4096)
        #expect(steps == (size + 4095) / 4096 + 1)  // the last step reads nothing and finishes
        #expect(digest.hex(.md5) == (try reference("md5", path, in: directory)))
        #expect(digest.hex(.sha256) == (try reference("sha256", path, in: directory)))
    }

    @Test func aGrowingFileIsHashedAsItGrows() throws {
        let directory = try TemporaryDirectory()
        let whole = try patternFile(size: 10_000, in: directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let path = directory.path + "/growing"
        let fd = agent_openat_mode(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(fd) }
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5], chunkBytes: 4096)
        var written = 0
        for piece in [3000, 0, 5000, 2000] {
            let slice = bytes[written..<(written + piece)]
            #expect(slice.withUnsafeBytes { pwrite(fd, $0.baseAddress, piece, off_t(written)) } == piece)
            written += piece
            try digest.catchUp(to: Int64(written))
            #expect(digest.hex(.md5) == nil, "not finished while the file grows")
        }
        try digest.catchUp(to: 20_000)  // past the end: hashes what is there
        while try !digest.step() {}
        #expect(digest.hex(.md5) == (try reference("md5", whole, in: directory)))
    }

    @Test func aHundredMegabyteSparseFileIsHashedInMebibyteStepsLikeOpensslDoes() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("sparse.img", "")
        let size = 100 * 1_000_000 + 12_345
        let fd = agent_open(path, O_RDWR | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
        for offset in [0, 1 << 20, size / 2, size - 3] {
            #expect(pwrite(fd, "data", 3, off_t(offset)) == 3)
        }
        let digest = try FileDigest(descriptor: fd, algorithms: [.sha256, .md5])
        #expect(digest.hex(.md5) == nil)
        var steps = 1
        while try !digest.step() { steps += 1 }
        #expect(steps == (size + (1 << 20) - 1) / (1 << 20) + 1)
        #expect(digest.hex(.md5) == (try reference("md5", path, in: directory)))
        #expect(digest.hex(.sha256) == (try reference("sha256", path, in: directory)))
        #expect(lseek(fd, 0, SEEK_CUR) == 0, "the descriptor's offset is left alone")
    }

    @Test func onlyTheAlgorithmsAskedForAreComputed() throws {
        let directory = try TemporaryDirectory()
        let path = try patternFile(size: 5000, in: directory)
        let fd = agent_open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5], chunkBytes: 1000)
        while try !digest.step() {}
        #expect(digest.hex(.md5) == (try reference("md5", path, in: directory)))
        #expect(digest.hex(.sha256) == nil)
        #expect(digest.bytes(.sha256) == nil)
    }

    /// run() hashes one chunk per reactor turn: a timer due every turn fires between chunks.
    @Test func runHashesOneChunkPerReactorTurnAndCompletesOnce() throws {
        let directory = try TemporaryDirectory()
        let path = try patternFile(size: 64 * 1024 + 1, in: directory)
        let fd = agent_open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let reactor = Reactor()
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5, .sha256], chunkBytes: 4096)
        var completions: [SystemError?] = []
        var otherTurns = 0
        func tick() {
            otherTurns += 1
            if completions.isEmpty { reactor.after(0, tick) }
        }
        digest.run(on: reactor) { error in
            completions.append(error)
            reactor.stop(after: 20)
        }
        #expect(completions.isEmpty, "completion is never called from within run()")
        reactor.after(0, tick)
        try reactor.runWithSafetyStop()
        #expect(completions.count == 1)
        #expect(completions.first.map { $0 == nil } == true)
        #expect(otherTurns >= 17, "the other timer ran between the 18 steps")
        #expect(digest.hex(.md5) == (try reference("md5", path, in: directory)))
        #expect(digest.hex(.sha256) == (try reference("sha256", path, in: directory)))
    }

    /// A cancelled run reads no further chunk and never completes (its file may be closed).
    @Test func aCancelledRunStopsWithoutCompleting() throws {
        let directory = try TemporaryDirectory()
        let path = try patternFile(size: 64 * 1024, in: directory)
        let fd = agent_open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let time = ManualReactor()
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5], chunkBytes: 4096)
        var completions = 0
        digest.run(on: time.reactor) { _ in completions += 1 }
        try time.reactor.turn(timeoutMs: 0)  // one chunk of sixteen
        digest.cancel()
        try time.advance(by: 1_000)
        #expect(completions == 0)
        #expect(time.reactor.nextDeadline == nil, "no chunk is scheduled any more")
        #expect(digest.hex(.md5) == nil)
    }

    @Test func runReportsAReadErrorToTheCompletion() throws {
        let directory = try TemporaryDirectory()
        let fd = agent_open(directory.path, O_RDONLY | O_CLOEXEC)  // a directory: pread fails with EISDIR
        defer { close(fd) }
        let reactor = Reactor()
        let digest = try FileDigest(descriptor: fd, algorithms: [.md5])
        var completions: [SystemError?] = []
        digest.run(on: reactor) { error in
            completions.append(error)
            reactor.stop(after: 20)
        }
        try reactor.runWithSafetyStop()
        #expect(completions.count == 1)
        #expect(completions.first??.errno == EISDIR)
        #expect(digest.hex(.md5) == nil)
    }
}
