@testable import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// HTTP(S) downloads through libcurl's multi interface inside a real Reactor, against a real
/// server (Tests/Fixtures/http_server.py) and its faults. Serialized: the memory test measures
/// the process's resident memory.
@Suite(.serialized) struct HttpDownloadTests {
    @Test func aFullDownloadWritesTheFileAndReportsGrowingProgressWithTheTotal() throws {
        let rig = try DownloadRig(files: ["file.bin": 1_000_000])
        var options = rig.options("file.bin")
        options.userAgent = "printer-agent/1.2.3"
        let run = try rig.download(options)
        #expect(run.outcome == .completed(httpStatus: 200, bytes: 1_000_000))
        #expect(rig.server.requests.map(\.userAgent) == ["printer-agent/1.2.3"])
        #expect(try rig.downloaded() == rig.served("file.bin"))
        #expect(run.resumed == false)
        let written = run.progress.map(\.written)
        #expect(written.count > 1)
        #expect(written == written.sorted() && Set(written).count == written.count, "not growing: \(written)")
        #expect(written.last == 1_000_000)
        #expect(run.progress.allSatisfy { $0.total == 1_000_000 })
    }

    @Test(arguments: [("missing.bin", 404, "the server answered 404 Not Found"),
                      ("file.bin?fault=404", 404, "the server answered 404 Not Found"),
                      ("file.bin?fault=500", 500, "the server answered 500 Internal Server Error")])
    func anHttpErrorStatusFailsWithTheStatusInTheMessage(path: String, status: Int, message: String) throws {
        let rig = try DownloadRig(files: ["file.bin": 10_000])
        let failure = try rig.download(path).failure
        #expect(failure?.kind == .http(status))
        #expect(failure?.message == message)
        #expect(failure?.bytes == 0)
    }

    @Test(arguments: ["truncate", "wronglength"])
    func aBodyShorterThanAnnouncedFailsAsABrokenConnection(fault: String) throws {
        let rig = try DownloadRig(files: ["file.bin": 200_000])
        let failure = try rig.download("file.bin?fault=\(fault)").failure
        #expect(failure?.kind == .connection)
        #expect(failure?.message.hasPrefix("the connection broke: ") == true, "\(failure?.message ?? "")")
    }

    @Test func aCorruptedBodyCompletesWithTheFlippedByteInTheFile() throws {
        let rig = try DownloadRig(files: ["file.bin": 100_000])
        let run = try rig.download("file.bin?fault=corrupt")
        #expect(run.outcome == .completed(httpStatus: 200, bytes: 100_000))
        let (got, sent) = (try rig.downloaded(), try rig.served("file.bin"))
        #expect(got.count == sent.count && zip(got, sent).filter { $0 != $1 }.count == 1)
    }

    @Test func aServerThatDribblesFailsAsStalledWithinTheLowSpeedTime() throws {
        let rig = try DownloadRig(files: ["file.bin": 100_000])
        var options = rig.options("file.bin?fault=slow&rate=10")
        options.lowSpeedLimit = 100
        options.lowSpeedTimeSeconds = 2
        let started = Clock.monotonicMs()
        let failure = try rig.download(options).failure
        let elapsed = Clock.monotonicMs() - started
        #expect(failure?.kind == .stalled)
        #expect(failure?.message == "less than 100 bytes/s for 2 s (the server stalled)")
        #expect(elapsed >= 2_000 && elapsed < 5_000, "stalled after \(elapsed) ms")
    }

    @Test func aDroppedConnectionCanBeResumedWhereItStopped() throws {
        let rig = try DownloadRig(files: ["file.bin": 300_000])
        let first = try rig.download("file.bin?fault=drop&after=120000")
        let failure = try #require(first.failure)
        #expect(failure.kind == .connection)
        #expect(failure.bytes > 0 && failure.bytes <= 120_000)
        #expect(first.fileLength == failure.bytes)

        var options = rig.options("file.bin?fault=drop&after=120000")
        options.resumeFrom = failure.bytes
        let second = try rig.download(options, truncating: false)
        #expect(second.outcome == .completed(httpStatus: 206, bytes: 300_000 - failure.bytes))
        #expect(second.resumed)
        #expect(second.fileLength == 300_000)
        #expect(try rig.downloaded() == rig.served("file.bin"))
        #expect(rig.server.requests.map(\.range) == [nil, "bytes=\(failure.bytes)-"])
    }

    /// A server that ignores Range answers 200 with the whole file: it is written from the
    /// start and the file truncated, so stale bytes past the end do not survive.
    @Test func aServerWithoutRangeSupportRewritesTheFileFromTheStart() throws {
        let rig = try DownloadRig(files: ["file.bin": 100_000], noRange: true)
        try Data(repeating: 0xEE, count: 150_000).write(to: URL(fileURLWithPath: rig.destination))
        var options = rig.options("file.bin")
        options.resumeFrom = 60_000
        let run = try rig.download(options, truncating: false)
        #expect(run.outcome == .completed(httpStatus: 200, bytes: 100_000))
        #expect(run.resumed == false)
        #expect(try rig.downloaded() == rig.served("file.bin"))
        #expect(rig.server.requests.map(\.range) == ["bytes=60000-"])
    }

    @Test func aRedirectIsFollowed() throws {
        let rig = try DownloadRig(files: ["file.bin": 50_000])
        let run = try rig.download("file.bin?fault=redirect")
        #expect(run.outcome == .completed(httpStatus: 200, bytes: 50_000))
        #expect(try rig.downloaded() == rig.served("file.bin"))
        #expect(rig.server.requests.map(\.path) == ["/file.bin?fault=redirect", "/file.bin"])
    }

    @Test(arguments: ["ftp://127.0.0.1/file.bin", "file:///etc/hostname", "not a URL at all"])
    func aURLThatIsNotHttpOrHttpsIsRefused(url: String) throws {
        let rig = try DownloadRig(files: [:])
        let failure = try rig.download(HttpDownload.Options(url: url)).failure
        #expect(failure?.kind == .badURL, "\(failure?.message ?? "")")
        #expect(failure?.message.hasPrefix("not an http or https URL") == true)
    }

    @Test func httpsVerifiesTheServerWithTheGivenCAAndRefusesAnUntrustedOne() throws {
        let authority = try CertificateAuthority()
        let rig = try DownloadRig(files: ["file.bin": 200_000],
                                  certificate: (authority.serverCert, authority.serverKey))
        var options = rig.options("file.bin")
        options.caFile = authority.caCert
        let trusted = try rig.download(options)
        #expect(trusted.outcome == .completed(httpStatus: 200, bytes: 200_000))
        #expect(try rig.downloaded() == rig.served("file.bin"))

        let untrusted = try rig.download("file.bin").failure
        #expect(untrusted?.kind == .tls)
        #expect(untrusted?.message.hasPrefix("TLS: ") == true)
        #expect(untrusted?.message.contains("certificate") == true, "\(untrusted?.message ?? "")")
    }

    @Test(Root.required(reason: "mounts a 64 KiB tmpfs to fill"))
    func aFullDiskFailsAsAWriteErrorWithENOSPC() throws {
        let rig = try DownloadRig(files: ["file.bin": 1_000_000])
        let mountPoint = try TemporaryDirectory()
        guard mount("tmpfs", mountPoint.path, "tmpfs", 0, "size=64k") == 0 else {
            Issue.record("cannot mount a 64 KiB tmpfs at \(mountPoint.path): \(SystemError.describe(agent_errno()))")
            return
        }
        defer { umount2(mountPoint.path, Int32(MNT_DETACH)) }
        let failure = try rig.download(rig.options("file.bin"), into: mountPoint.path + "/file.bin").failure
        #expect(failure?.kind == .write(ENOSPC))
        #expect(failure?.message == "the disk is full")
        #expect((failure?.bytes ?? 0) <= 64 * 1024)
    }

    @Test func aBodyLargerThanMaxBytesFailsAsTooLarge() throws {
        let rig = try DownloadRig(files: ["file.bin": 100_000])
        var options = rig.options("file.bin")
        options.maxBytes = 50_000
        let failure = try rig.download(options).failure
        #expect(failure?.kind == .tooLarge)
        #expect(failure?.message == "the server sent more than the expected 50000 bytes")
        #expect(failure?.bytes == 0)
    }

    @Test func cancellingFromProgressOrFromATimerEndsAsCancelledOnce() throws {
        let rig = try DownloadRig(files: ["file.bin": 100_000])
        let fromProgress = try DownloadRun(rig.options("file.bin?fault=slow&rate=1000"), into: rig.destination)
        fromProgress.download?.onProgress = { [unowned fromProgress] _, _ in fromProgress.download?.cancel() }
        try fromProgress.run()
        #expect(fromProgress.failure?.kind == .cancelled)
        #expect((fromProgress.failure?.bytes ?? 0) > 0)

        let fromTimer = try DownloadRun(rig.options("file.bin?fault=slow&rate=1000"), into: rig.destination)
        fromTimer.reactor.after(300) { [unowned fromTimer] in fromTimer.download?.cancel() }
        try fromTimer.run()
        #expect(fromTimer.failure == HttpDownload.HttpFailure(kind: .cancelled, message: "the download was cancelled",
                                                              bytes: fromTimer.failure?.bytes ?? -1))
    }

    /// The body goes from libcurl's buffer to the file: 50 MB must not grow the process by more
    /// than a few MB of anonymous memory (measured at every progress call, after a warm-up
    /// download has loaded libcurl's and OpenSSL's own tables).
    @Test(AddressSanitizer.measuresMemory) func memoryDoesNotGrowWithTheFileSize() throws {
        let size = 50 * 1024 * 1024
        let rig = try DownloadRig(files: ["small.bin": 10_000])
        try rig.serve("large.bin", patternOfSize: size)
        _ = try rig.download("small.bin")
        let before = try anonymousMemoryKB()
        var peak = before
        let run = try DownloadRun(rig.options("large.bin"), into: rig.destination)
        run.download?.onProgress = { _, _ in peak = max(peak, (try? anonymousMemoryKB()) ?? 0) }
        try run.run(limitMs: 60_000)
        #expect(run.outcome == .completed(httpStatus: 200, bytes: Int64(size)))
        #expect(peak - before < 6 * 1024, "anonymous memory grew from \(before) kB to \(peak) kB")
        #expect(try filesEqual(rig.destination, rig.root.path + "/large.bin"))
    }

    @Test func contentRangeStartsAreParsed() {
        #expect(HttpDownload.rangeStart("bytes 100-199/200") == 100)
        #expect(HttpDownload.rangeStart("bytes 0-0/*") == 0)
        #expect(HttpDownload.rangeStart("bytes */200") == nil)
        #expect(HttpDownload.rangeStart("items 1-2/3") == nil)
    }
}

/// A served directory of pseudo-random files, the server on it, and a destination file.
private final class DownloadRig {
    let root: TemporaryDirectory
    let server: HTTPTestServer
    private let target: TemporaryDirectory
    var destination: String { target.path + "/download.bin" }

    /// Serves files of the given names and sizes.
    init(files: [String: Int], noRange: Bool = false, certificate: (cert: String, key: String)? = nil) throws {
        // As the agent does: a write to a closed socket is an error, not a death.
        agent_ignore_signal(SIGPIPE)
        root = try TemporaryDirectory()
        target = try TemporaryDirectory()
        for (name, size) in files { try root.write(name, Self.pattern(size, seed: UInt32(size))) }
        server = try HTTPTestServer(root: root.path, noRange: noRange, certificate: certificate)
    }

    /// Adds a file of `size` bytes, written in 1 MiB pieces (it is not kept in memory): one
    /// pattern, each piece starting with its number.
    func serve(_ name: String, patternOfSize size: Int) throws {
        let path = root.path + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw TestFailure("cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let pieceSize = 1 << 20
        var piece = Self.pattern(pieceSize, seed: 7)
        for index in 0..<(size + pieceSize - 1) / pieceSize {
            withUnsafeBytes(of: UInt64(index)) { piece.replaceSubrange(0..<8, with: $0) }
            try handle.write(contentsOf: piece.prefix(size - index * pieceSize))
        }
    }

    func options(_ path: String) -> HttpDownload.Options { HttpDownload.Options(url: server.url(for: path)) }

    /// Downloads `path` of the server into the destination (emptied first).
    func download(_ path: String) throws -> DownloadRun { try download(options(path)) }

    /// Downloads with `options` into `file` (the destination by default), emptied first when
    /// `truncating`; runs the reactor until the download has finished.
    func download(_ options: HttpDownload.Options, into file: String? = nil, truncating: Bool = true) throws -> DownloadRun {
        let run = try DownloadRun(options, into: file ?? destination, truncating: truncating)
        try run.run()
        return run
    }

    func downloaded() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: destination)) }

    func served(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: root.path + "/" + name)) }

    /// `count` bytes of a xorshift sequence.
    static func pattern(_ count: Int, seed: UInt32) -> Data {
        var state = seed | 1
        return Data((0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        })
    }
}

/// One HttpDownload into a file, on its own reactor, recording what it reports.
private final class DownloadRun {
    let reactor = Reactor()
    private(set) var download: HttpDownload?
    private(set) var outcomes: [HttpDownload.Outcome] = []
    private(set) var progress: [(written: Int64, total: Int64?)] = []
    private(set) var resumed = false
    private(set) var fileLength: Int64 = 0
    private let descriptor: Int32

    init(_ options: HttpDownload.Options, into file: String, truncating: Bool = true) throws {
        if truncating || !FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.createFile(atPath: file, contents: nil) else { throw TestFailure("cannot create \(file)") }
        }
        descriptor = agent_open(file, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TestFailure("open \(file): \(SystemError.describe(agent_errno()))") }
        let download = try HttpDownload(options, descriptor: descriptor)
        download.onProgress = { [unowned self] in progress.append(($0, $1)) }
        download.onFinished = { [unowned self] in outcomes.append($0) }
        self.download = download
    }

    deinit { close(descriptor) }

    var outcome: HttpDownload.Outcome? { outcomes.first }

    var failure: HttpDownload.HttpFailure? {
        if case .failed(let failure) = outcome { return failure }
        return nil
    }

    /// Starts the download and runs the reactor until it finished; then drops it (it must go:
    /// nothing else may hold it) and runs 100 ms more, in which nothing else may be reported.
    func run(limitMs: Int64 = 10_000) throws {
        download?.start(on: reactor)
        try reactor.run(until: "the download to finish", limitMs: limitMs) { !self.outcomes.isEmpty }
        resumed = download?.resumed ?? false
        fileLength = download?.fileLength ?? -1
        weak let dropped = download
        download = nil
        #expect(dropped == nil, "the finished download is still referenced")
        reactor.stop(after: 100)
        try reactor.runWithSafetyStop()
        #expect(outcomes.count == 1, "onFinished called \(outcomes.count) times")
    }
}

/// The process's anonymous resident memory (RssAnon of /proc/self/status), in kB.
private func anonymousMemoryKB() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
        let fields = line.dropFirst("RssAnon:".count).split { $0 == " " || $0 == "\t" }
        if let first = fields.first, let value = Int(first) { return value }
    }
    throw TestFailure("no RssAnon in /proc/self/status")
}

/// Whether two files hold the same bytes (compared 1 MiB at a time).
private func filesEqual(_ first: String, _ second: String) throws -> Bool {
    let a = try FileHandle(forReadingFrom: URL(fileURLWithPath: first))
    let b = try FileHandle(forReadingFrom: URL(fileURLWithPath: second))
    defer {
        try? a.close()
        try? b.close()
    }
    while true {
        let (x, y) = (try a.read(upToCount: 1 << 20) ?? Data(), try b.read(upToCount: 1 << 20) ?? Data())
        if x != y { return false }
        if x.isEmpty { return true }
    }
}
