import AgentCore
import AgentPlatform
import CLibc

/// One file downloaded into a storage root and verified before anyone sees it: it grows as a
/// hidden temporary file in the root, its size and MD5 (and, for firmware, its SHA-256) are
/// checked, and only then is it renamed into place, after an fsync. A failure of any kind
/// removes the temporary file. A connection that drops mid-way is resumed with a range
/// request (up to `maxResumes` times, with a growing pause); a server that stalls fails.
final class FileDownload {
    /// How often a dropped connection is resumed before the download fails.
    static let maxResumes = 3

    /// What the download is and where it goes.
    struct Target {
        var url: String
        var md5: String
        var size: Int64?
        /// Where the verified file is renamed to; nil: it stays as the temporary file,
        /// whose path the outcome gives (firmware images are installed from there).
        var destination: (directory: StoragePath, name: String)?
        /// Whether the SHA-256 is needed too (a signature check), besides the MD5.
        var needsSHA256 = false
    }

    /// The verified file: its absolute path, its open descriptor (owned by the receiver) and
    /// its SHA-256 (empty unless `needsSHA256`).
    struct Verified {
        var path: String
        var descriptor: Int32
        var sha256: [UInt8]
    }

    /// The download moved on: the fraction done (0 to 1).
    var onProgress: (Double) -> Void = { _ in }
    /// The file is complete and is being verified.
    var onChecking: () -> Void = {}
    /// The download ended: the verified file, or why not. Called once.
    var onFinished: (Result<Verified, CommandFailure>) -> Void = { _ in }

    private let target: Target
    private let root: StorageRoot
    private let config: AgentConfig
    private let logger: Logger
    private var reactor: Reactor?
    private var temporary: (name: String, descriptor: Int32)?
    private var transfer: HttpDownload?
    private var digest: FileDigest?
    private var resumes = 0
    /// The wait before resuming a dropped connection, while it runs.
    private var resumeTimer: Reactor.TimerID?
    private var finished = false

    /// A download of `target` into `root`, with the configuration's CA file and stall timeout.
    init(_ target: Target, into root: StorageRoot, config: AgentConfig, logger: Logger) {
        self.target = target
        self.root = root
        self.config = config
        self.logger = logger
    }

    /// Checks the free space, creates the temporary file and starts the transfer.
    func start(on reactor: Reactor) {
        self.reactor = reactor
        do throws(StorageError) {
            if let size = target.size, try root.availableBytes() < size {
                throw StorageError(ReplyCode.insufficientStorage, root.label + " has less than the "
                                   + String(size) + " bytes the file needs")
            }
            temporary = try root.createTemporary(id: Self.randomID())
        } catch {
            finish(.failure(error.failure))
            return
        }
        transfer(from: 0)
    }

    /// Stops the download and removes what was downloaded (`print/stop`). No outcome follows,
    /// and nothing of it runs later: the resume wait and a hash under way are cancelled.
    func cancel() {
        finished = true
        if let resumeTimer { reactor?.cancel(resumeTimer) }
        resumeTimer = nil
        digest?.cancel()
        transfer?.cancel()
        cleanUp()
    }

    // MARK: Steps

    private func transfer(from offset: Int64) {
        guard let temporary, let reactor else { return }
        var options = HttpDownload.Options(url: target.url)
        options.resumeFrom = offset
        options.caFile = config.downloadCAFile
        // A trickle under 10 bytes/s for the whole stall timeout is a stalled server too.
        options.lowSpeedLimit = 10
        options.lowSpeedTimeSeconds = config.downloadStallSeconds
        options.maxBytes = target.size
        options.userAgent = "printer-agent/" + AgentVersion.current
        let download: HttpDownload
        do {
            download = try HttpDownload(options, descriptor: temporary.descriptor)
        } catch {
            finish(.failure(CommandFailure(.controllerFailed, "the download could not start: " + error.message)))
            return
        }
        let expected = target.size
        // The file is hashed while it arrives (from the page cache), so that checking it at
        // the end only reads what the last progress call had not seen.
        if offset == 0 || digest == nil { digest = try? FileDigest(descriptor: temporary.descriptor, algorithms: algorithms) }
        var restarted = false
        // The transfer lets go of these closures when it ends, so holding it and this object
        // here makes no cycle that outlives it.
        download.onProgress = { [self] _, total in
            if offset > 0, !download.resumed, !restarted {
                // The server ignored the range: the file starts over, and so does the hash.
                restarted = true
                digest = try? FileDigest(descriptor: temporary.descriptor, algorithms: algorithms)
            }
            try? digest?.catchUp(to: download.fileLength)
            guard let whole = expected ?? total.map({ $0 + offset }), whole > 0 else { return }
            onProgress(min(1, Double(download.fileLength) / Double(whole)))
        }
        download.onFinished = { [self] outcome in transferEnded(outcome) }
        transfer = download
        download.start(on: reactor)
    }

    private func transferEnded(_ outcome: HttpDownload.Outcome) {
        guard !finished, let temporary else { return }
        switch outcome {
        case .completed:
            verify(temporary.descriptor)
        case .failed(let failure) where failure.kind == .cancelled:
            break
        case .failed(let failure) where failure.kind == .connection && resumes < Self.maxResumes:
            resumes += 1
            let have = Self.size(of: temporary.descriptor)
            logger.log(.warning, "download interrupted (" + failure.message + "); resuming at " + String(have) + " bytes")
            // The timer holds this download until it fires; `cancel()` cancels it.
            resumeTimer = reactor?.after(Int64(1_000 << (resumes - 1))) { [self] in
                resumeTimer = nil
                if !finished { transfer(from: have) }
            }
        case .failed(let failure):
            finish(.failure(Self.failure(of: failure)))
        }
    }

    /// Checks the size, then hashes the file in chunks from reactor turns.
    private func verify(_ descriptor: Int32) {
        let size = Self.size(of: descriptor)
        if let expected = target.size, size != expected {
            finish(.failure(CommandFailure(.verificationFailed, "the downloaded file has " + String(size)
                                           + " bytes, not the announced " + String(expected))))
            return
        }
        onChecking()
        let hashing: FileDigest
        do {
            if let started = digest {
                hashing = started
            } else {
                hashing = try FileDigest(descriptor: descriptor, algorithms: algorithms)
            }
        } catch {
            finish(.failure(CommandFailure(.controllerFailed, "cannot check the download: " + error.message)))
            return
        }
        digest = hashing
        guard let reactor else { return }
        // The hash holds this download until it ends or `cancel()` stops it.
        hashing.run(on: reactor) { [self] error in
            if let error {
                finish(.failure(CommandFailure(.controllerFailed, "cannot check the download: " + error.message)))
            } else {
                verified(descriptor, md5: hashing.hex(.md5) ?? "", sha256: hashing.bytes(.sha256) ?? [])
            }
        }
    }

    /// The hash is known: compare it, sync the file and put it in place.
    private func verified(_ descriptor: Int32, md5: String, sha256: [UInt8]) {
        guard !finished, let temporary else { return }
        guard md5 == target.md5 else {
            finish(.failure(CommandFailure(.verificationFailed, "the downloaded file's MD5 is " + md5 + ", not the announced " + target.md5)))
            return
        }
        if fsync(descriptor) != 0 {
            finish(.failure(Self.writeFailure(agent_errno())))
            return
        }
        var path = root.path + "/" + temporary.name
        if let destination = target.destination {
            do throws(StorageError) {
                try root.install(temporary: temporary.name, as: destination.name, in: destination.directory)
            } catch {
                finish(.failure(error.failure))
                return
            }
            path = root.path + "/" + (destination.directory.isRoot ? "" : destination.directory.relativeText + "/") + destination.name
            self.temporary = nil
        } else {
            // The receiver owns the descriptor now; `discard` removes the file after its use.
            self.temporary = (temporary.name, -1)
        }
        finished = true
        onFinished(.success(Verified(path: path, descriptor: descriptor, sha256: sha256)))
    }

    // MARK: Helpers

    /// The digests the download needs.
    private var algorithms: [FileDigest.Algorithm] { target.needsSHA256 ? [.md5, .sha256] : [.md5] }

    private func finish(_ result: Result<Verified, CommandFailure>) {
        guard !finished else { return }
        finished = true
        cleanUp()
        onFinished(result)
    }

    /// Removes the file kept as a temporary (a firmware image, once installed).
    func discard() { cleanUp() }

    /// Removes the temporary file and closes its descriptor if it is still this object's.
    private func cleanUp() {
        guard let temporary else { return }
        root.removeTemporary(temporary.name)
        if temporary.descriptor >= 0 { _ = close(temporary.descriptor) }
        self.temporary = nil
    }

    /// The report failure of a transfer failure.
    private static func failure(of failure: HttpDownload.HttpFailure) -> CommandFailure {
        switch failure.kind {
        case .write(let code):
            return writeFailure(code)
        case .badURL:
            return CommandFailure(.badRequest, failure.message)
        case .tooLarge:
            return CommandFailure(.verificationFailed, failure.message)
        default:
            return CommandFailure(.controllerFailed, "the download failed: " + failure.message)
        }
    }

    /// The report failure of writing (or syncing) the download failing with errno `code`.
    private static func writeFailure(_ code: Int32) -> CommandFailure {
        if code == ENOSPC || code == EDQUOT {
            return CommandFailure(.insufficientStorage, "the disk is full: the download was removed")
        }
        return CommandFailure(.controllerFailed, "cannot write the download: " + SystemError.describe(code))
    }

    private static func size(of descriptor: Int32) -> Int64 {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int64(status.st_size) : 0
    }

    /// Eight random bytes in hex: the temporary file's id.
    static func randomID() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var id: [UInt8] = []
        for byte in HostInfo.randomBytes(8) {
            id.append(digits[Int(byte >> 4)])
            id.append(digits[Int(byte & 15)])
        }
        return String(decoding: id, as: UTF8.self)
    }
}
