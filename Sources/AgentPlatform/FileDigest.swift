import CCrypto
import CLibc

/// MD5 and SHA-256 of a file computed a chunk at a time with libcrypto's EVP digests
/// (design decision 4), so that hashing a 200 MB download never holds the reactor for more
/// than one chunk (decision 2): `step()` reads and hashes one chunk; `run(on:completion:)`
/// does every step from its own reactor turn. Several algorithms share each read.
///
/// The file is read with pread(2) from offset 0 until a read returns nothing; the
/// descriptor's own file offset is neither used nor moved. In a build without a 64-bit
/// `off_t`, a file of 2 GiB or more fails with EOVERFLOW.
public final class FileDigest {
    /// A digest algorithm.
    public enum Algorithm {
        /// MD5 (16 bytes): what the cloud sends with print files and firmware images.
        case md5
        /// SHA-256 (32 bytes): what firmware signatures sign.
        case sha256
    }

    /// A digest being computed, then its result.
    private struct Running {
        let algorithm: Algorithm
        let context: OpaquePointer
        var result: [UInt8]? = nil
    }

    private let descriptor: Int32
    private var running: [Running] = []
    private var buffer: [UInt8]
    private var offset: Int64 = 0
    private var done = false
    /// Set by `cancel()`: a `run` under way stops.
    private var cancelled = false

    /// Hashes `descriptor` (not owned) from offset 0 to its end, `chunkBytes` per step
    /// (default 1 MiB). Fails only when libcrypto cannot set a digest up.
    public init(descriptor: Int32, algorithms: [Algorithm], chunkBytes: Int = 1 << 20) throws(SystemError) {
        self.descriptor = descriptor
        buffer = [UInt8](repeating: 0, count: max(1, chunkBytes))
        for algorithm in algorithms where !running.contains(where: { $0.algorithm == algorithm }) {
            guard let context = EVP_MD_CTX_new() else {
                throw SystemError(call: "EVP_MD_CTX_new", message: "libcrypto cannot allocate a digest")
            }
            running.append(Running(algorithm: algorithm, context: context))
            guard EVP_DigestInit_ex(context, Self.evp(algorithm), nil) == 1 else {
                ERR_clear_error()
                throw SystemError(call: "EVP_DigestInit_ex", message: "libcrypto has no \(Self.name(algorithm)) digest")
            }
        }
    }

    deinit {
        for digest in running { EVP_MD_CTX_free(digest.context) }
    }

    /// Hashes the next chunk; true when the whole file is done (and the digests are ready).
    public func step() throws(SystemError) -> Bool {
        if done { return true }
        if try hashChunk(upTo: buffer.count) == 0 {
            try finish()
            return true
        }
        return false
    }

    /// Hashes the bytes between those hashed so far and `end`, of a file that is still being
    /// written (a download): the final `step`s or `run` then only read what came after. A
    /// file shorter than `end` is hashed to its end.
    public func catchUp(to end: Int64) throws(SystemError) {
        while !done, offset < end {
            if try hashChunk(upTo: Int(min(Int64(buffer.count), end - offset))) == 0 { return }
        }
    }

    /// Reads up to `limit` bytes at the offset into every digest; returns how many there were.
    private func hashChunk(upTo limit: Int) throws(SystemError) -> Int {
        guard let position = off_t(exactly: offset) else {
            // Qualified: CCrypto's headers define the errno names too, and an unqualified use
            // here would tie them to CCrypto for the other files of the Embedded build.
            throw SystemError(call: "pread", errno: CLibc.EOVERFLOW,
                              message: "reading the file to hash: \(SystemError.describe(CLibc.EOVERFLOW))")
        }
        let count = try retryingEINTR("pread of the file to hash") {
            buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, limit, position) }
        }
        for digest in running {
            let updated = buffer.withUnsafeBytes { EVP_DigestUpdate(digest.context, $0.baseAddress, count) }
            guard updated == 1 else {
                ERR_clear_error()
                throw SystemError(call: "EVP_DigestUpdate", message: "libcrypto failed to hash \(Self.name(digest.algorithm))")
            }
        }
        offset += Int64(count)
        return count
    }

    /// Lower-case hex digest once done (nil before, or for an algorithm not asked for).
    public func hex(_ algorithm: Algorithm) -> String? {
        guard let digest = bytes(algorithm) else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Raw digest bytes once done (nil before, or for an algorithm not asked for).
    public func bytes(_ algorithm: Algorithm) -> [UInt8]? {
        running.first { $0.algorithm == algorithm }?.result
    }

    /// Runs `step` from reactor turns (`Reactor.runSteps`: every other descriptor and timer is
    /// served between two chunks) and calls `completion` once: with nil when the digests are
    /// ready, or with the error that stopped it. Never calls `completion` from within this call.
    public func run(on reactor: Reactor, completion: @escaping (SystemError?) -> Void) {
        reactor.runSteps({ [self] () throws(SystemError) -> Bool in try step() }, stopped: { [self] in cancelled },
                         completion: completion)
    }

    /// Stops a `run` under way after the chunk it is at; its completion is never called
    /// (the file's owner closed it: a download stopped while it was being checked).
    public func cancel() { cancelled = true }

    /// Finalises every digest and lets the read buffer go.
    private func finish() throws(SystemError) {
        for index in running.indices {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard EVP_DigestFinal_ex(running[index].context, &digest, &length) == 1 else {
                ERR_clear_error()
                throw SystemError(call: "EVP_DigestFinal_ex",
                                  message: "libcrypto failed to finish \(Self.name(running[index].algorithm))")
            }
            running[index].result = Array(digest[0..<Int(length)])
        }
        buffer = []
        done = true
    }

    /// libcrypto's description of `algorithm`.
    private static func evp(_ algorithm: Algorithm) -> OpaquePointer? {
        switch algorithm {
        case .md5: return EVP_md5()
        case .sha256: return EVP_sha256()
        }
    }

    /// The algorithm's name, for errors.
    private static func name(_ algorithm: Algorithm) -> String {
        switch algorithm {
        case .md5: return "MD5"
        case .sha256: return "SHA-256"
        }
    }
}
