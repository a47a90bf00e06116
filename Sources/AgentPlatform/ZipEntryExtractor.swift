import AgentCore
import CLibc
import CZlib

/// Copies one entry of a ZIP archive into a file, inflating it with zlib when it is deflated
/// and checking its CRC-32 and size, a chunk at a time so that the reactor is never held
/// for long (design decision 2): `step()` reads at most `chunkBytes` of the archive and writes
/// at most `maxStepOutput` bytes; `run(on:completion:)` does every step from its own reactor
/// turn, like `FileDigest`.
///
/// An entry that lies is refused as soon as it shows: data that inflates past the
/// uncompressed size its directory gives (a compression bomb writes nothing beyond that
/// size), compressed data that ends early or goes on past its end, a wrong CRC. The failures
/// are `CommandFailure`s: 422 for damaged data, 507 for a full disk, 500 for other read and
/// write errors.
public final class ZipEntryExtractor {
    /// The most bytes written by one step.
    public static let maxStepOutput = 1 << 20

    private let archive: Int32
    private let output: Int32
    private let entry: ZipEntry
    private let name: String
    private let chunkBytes: Int
    /// The next byte of the entry's data to read, and where the data ends.
    private var inputOffset: Int64
    private let inputEnd: Int64
    private var written: Int64 = 0
    private var crc: UInt = 0
    private let input: UnsafeMutablePointer<UInt8>
    private let outputBuffer: UnsafeMutablePointer<UInt8>
    /// The zlib stream of a deflated entry (at a fixed address: zlib keeps a pointer to it).
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamEnded = false
    private var done = false
    private var cancelled = false

    /// Prepares to copy `entry`, whose data starts at `dataOffset` in the archive open on
    /// `archive`, into the empty file open on `output` (neither descriptor is owned); `name`
    /// names the entry in messages.
    public init(archive: Int32, entry: ZipEntry, dataOffset: Int64, output: Int32, name: String,
                chunkBytes: Int = 64 * 1024) throws(CommandFailure) {
        self.archive = archive
        self.output = output
        self.entry = entry
        self.name = name
        self.chunkBytes = max(1, chunkBytes)
        inputOffset = dataOffset
        inputEnd = dataOffset + entry.compressedSize
        input = .allocate(capacity: self.chunkBytes)
        outputBuffer = .allocate(capacity: Self.maxStepOutput)
        if entry.method == ZipEntry.deflated {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            self.stream = stream
            guard agent_inflate_init_raw(stream) == Z_OK else {
                throw CommandFailure(StorageError.ioErrorCode, "zlib cannot start inflating " + name)
            }
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
        outputBuffer.deallocate()
    }

    /// The bytes written so far.
    public var bytesWritten: Int64 { written }

    /// Copies the next stretch; true when the whole entry is written and checked.
    public func step() throws(CommandFailure) -> Bool {
        if done { return true }
        if let stream { try inflateStep(stream) } else { try copyStep() }
        guard finishedInput else { return false }
        guard written == entry.uncompressedSize else {
            throw damaged(name + " gives " + String(written) + " bytes, not the " + String(entry.uncompressedSize)
                          + " its directory says")
        }
        guard UInt32(truncatingIfNeeded: crc) == entry.crc else {
            throw damaged(name + " fails its CRC-32 check: the archive is damaged")
        }
        done = true
        return true
    }

    /// Runs `step` from reactor turns (`Reactor.runSteps`) and calls `completion` once: nil
    /// when the entry is written and checked, or the failure. Never calls `completion` from
    /// within this call, nor after `cancel()`.
    public func run(on reactor: Reactor, completion: @escaping (CommandFailure?) -> Void) {
        reactor.runSteps({ [self] () throws(CommandFailure) -> Bool in try step() }, stopped: { [self] in cancelled },
                         completion: completion)
    }

    /// Stops a `run` under way before its next step; its completion is never called.
    public func cancel() { cancelled = true }

    // MARK: Steps

    /// Whether every byte of the entry's data was taken in (and, deflated, the stream ended).
    private var finishedInput: Bool {
        stream == nil ? inputOffset == inputEnd : streamEnded
    }

    /// A stored entry: one chunk of the archive, written as it is.
    private func copyStep() throws(CommandFailure) {
        let count = try readChunk()
        try write(input, count)
    }

    /// A deflated entry: takes in a chunk when zlib has used the last one, then inflates
    /// until zlib needs more input or the step's output is full.
    private func inflateStep(_ stream: UnsafeMutablePointer<z_stream>) throws(CommandFailure) {
        if stream.pointee.avail_in == 0 {
            guard inputOffset < inputEnd else {
                throw damaged(name + "'s compressed data ends before its deflate stream does (truncated)")
            }
            let count = try readChunk()
            stream.pointee.next_in = input
            stream.pointee.avail_in = uInt(count)
        }
        stream.pointee.next_out = outputBuffer
        stream.pointee.avail_out = uInt(Self.maxStepOutput)
        let status = inflate(stream, Z_NO_FLUSH)
        let produced = Self.maxStepOutput - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            streamEnded = true
            if stream.pointee.avail_in != 0 || inputOffset != inputEnd {
                throw damaged(name + "'s deflate stream ends before its compressed size says")
            }
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error " + String(status)
            throw damaged(name + "'s compressed data is damaged (zlib: " + detail + ")")
        }
        try write(outputBuffer, produced)
    }

    /// Reads the next stretch of the entry's data into `input`; returns its length.
    private func readChunk() throws(CommandFailure) -> Int {
        let wanted = Int(min(Int64(chunkBytes), inputEnd - inputOffset))
        guard wanted > 0 else { return 0 }
        guard let position = off_t(exactly: inputOffset) else {
            throw CommandFailure(StorageError.ioErrorCode, "cannot read " + name + ": " + SystemError.describe(EOVERFLOW))
        }
        let got: Int
        do {
            got = try retryingEINTR("pread " + name) { pread(archive, input, wanted, position) }
        } catch {
            throw CommandFailure(StorageError.ioErrorCode, "cannot read " + name + ": " + error.message)
        }
        if got == 0 { throw damaged("the archive ends inside " + name + " (truncated)") }
        inputOffset += Int64(got)
        return got
    }

    /// Writes `count` bytes of `bytes` at the end of the output and adds them to the CRC.
    private func write(_ bytes: UnsafeMutablePointer<UInt8>, _ count: Int) throws(CommandFailure) {
        guard count > 0 else { return }
        if written + Int64(count) > entry.uncompressedSize {
            throw damaged(name + " inflates to more than the " + String(entry.uncompressedSize)
                          + " bytes its directory says: refused")
        }
        var done = 0
        while done < count {
            guard let position = off_t(exactly: written + Int64(done)) else {
                throw CommandFailure(StorageError.ioErrorCode, "cannot write " + name + ": " + SystemError.describe(EOVERFLOW))
            }
            let result = pwrite(output, bytes + done, count - done, position)
            if result < 0 {
                let code = agent_errno()
                if code == EINTR { continue }
                if code == ENOSPC || code == EDQUOT {
                    throw CommandFailure(.insufficientStorage, "the disk is full: " + name + " could not be extracted")
                }
                throw CommandFailure(StorageError.ioErrorCode, "cannot write " + name + ": " + SystemError.describe(code))
            }
            done += result
        }
        crc = crc32(crc, bytes, uInt(count))
        written += Int64(count)
    }

    private func damaged(_ message: String) -> CommandFailure { CommandFailure(.verificationFailed, message) }
}
