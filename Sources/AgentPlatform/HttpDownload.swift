import CCurl
import CLibc

/// One HTTP(S) GET into a file descriptor, driven by the reactor through libcurl's multi
/// interface (`CurlMulti`). The body goes straight to the descriptor with `pwrite` from
/// libcurl's 64 KiB receive buffer, so memory does not grow with the file.
///
/// Only http and https, also across at most 5 redirects; TLS always verifies the peer and the
/// host name. An HTTP status of 400 or more, a stall, a broken connection, a TLS failure, a
/// full disk or a body larger than `maxBytes` ends the download with a failure that says
/// which, in words for users. The process must ignore SIGPIPE (the agent does): libcurl is
/// told not to touch signals (CURLOPT_NOSIGNAL).
///
/// Keep a reference until `onFinished`; dropping a running download stops it without a call.
/// (No Array in this file: see `CurlMulti`.)
public final class HttpDownload {
    /// What to download and how patiently.
    public struct Options: Equatable {
        /// The http:// or https:// URL; any other scheme fails as `badURL`.
        public var url: String
        /// > 0: send `Range: bytes=<n>-`; the server's answer decides (see `resumed`).
        public var resumeFrom: Int64 = 0
        /// The CA file that signs the server's certificate; nil: the system CA store.
        public var caFile: String? = nil
        /// Bytes per second ...
        public var lowSpeedLimit: Int = 1
        /// ... below which, for this long, the download fails as stalled.
        public var lowSpeedTimeSeconds: Int = 30
        /// The longest wait for the connection to be set up.
        public var connectTimeoutSeconds: Int = 30
        /// The most bytes the file may hold: the download fails as `tooLarge` when the body
        /// would take the file past this (its announced length at once, else while it arrives).
        public var maxBytes: Int64? = nil
        /// The User-Agent header, `printer-agent/<version>`.
        public var userAgent: String = "printer-agent"

        /// Options for `url` with the defaults above.
        public init(url: String) { self.url = url }
    }

    /// How a download ended.
    public enum Outcome: Equatable {
        /// The whole body is written: `bytes` by this transfer, with a 2xx status.
        case completed(httpStatus: Int, bytes: Int64)
        /// It stopped early, for the reason given.
        case failed(HttpFailure)
    }

    /// Why a download failed.
    public struct HttpFailure: Error, Equatable {
        /// The kind of failure, for the caller's decisions (retry, resume, give up).
        public enum Kind: Equatable {
            /// The server answered this status (400 or more, or a 3xx that was not followed).
            case http(Int)
            /// Less than `lowSpeedLimit` bytes/s for `lowSpeedTimeSeconds`.
            case stalled
            /// The server could not be reached, or the connection broke before the end.
            case connection
            /// The TLS handshake or the certificate's verification failed.
            case tls
            /// The body would take the file past `maxBytes`.
            case tooLarge
            /// Writing the descriptor failed with this errno.
            case write(Int32)
            /// `cancel()` was called.
            case cancelled
            /// Not an http or https URL, or a malformed one.
            case badURL
            /// Anything else (too many redirects, a range the server made up, libcurl errors).
            case other
        }

        /// The kind of failure.
        public var kind: Kind
        /// A sentence for users ("the server answered 404 Not Found").
        public var message: String
        /// The bytes this transfer wrote before the failure.
        public var bytes: Int64

        /// A failure of `kind`, described by `message`, after `bytes` were written.
        public init(kind: Kind, message: String, bytes: Int64) {
            self.kind = kind
            self.message = message
            self.bytes = bytes
        }
    }

    /// Progress: the bytes this transfer has written so far and the length of its body (from
    /// Content-Length, which for a 206 answer is the length of the part sent), when known.
    public var onProgress: (_ written: Int64, _ total: Int64?) -> Void = { _, _ in }
    /// Called exactly once, from the reactor (or from `cancel`).
    public var onFinished: (Outcome) -> Void = { _ in }
    /// Whether the server honoured the Range request (206 with a Content-Range that starts at
    /// `resumeFrom`). When it answered 200 instead, the body is written from offset 0 and the
    /// file is truncated first, so the file is always right either way.
    public private(set) var resumed = false
    /// How long the file is now: where this transfer started writing (`resumeFrom` when
    /// `resumed`, else 0) plus what it wrote. A later download can resume from here.
    public var fileLength: Int64 { startOffset + written }

    private enum State { case ready, running, finished }

    private let options: Options
    private let descriptor: Int32
    private let multi: CurlMulti
    /// The CURL handle; nil once cleaned up.
    private var easy: UnsafeMutableRawPointer?
    /// libcurl's detailed message of the last failure (CURLOPT_ERRORBUFFER).
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var state = State.ready
    /// Where the body goes in the file: decided at the first byte of the final answer.
    private var startOffset: Int64 = 0
    private var bodyStarted = false
    private var written: Int64 = 0
    private var expected: Int64? = nil
    /// Why the write callback stopped the transfer (it can only return "stop" to libcurl).
    private var stopReason: HttpFailure? = nil
    /// Whether `onProgress` is running, inside a libcurl call: `cancel` must then wait.
    private var reportingProgress = false
    private var cancelRequested = false
    private static var libraryReady = false

    /// The longest redirect chain followed.
    static let maxRedirects = 5
    /// libcurl's receive buffer: also the most a single write to the descriptor holds. 1 MiB:
    /// fewer, larger writes (64 KiB reached 75% of curl -o plus md5sum on loopback, 1 MiB 97%).
    static let bufferSize = 1024 * 1024

    /// Prepares the download of `options.url` into `descriptor`, a regular file opened for
    /// writing, which stays the caller's: it is neither closed nor kept after `onFinished`.
    public init(_ options: Options, descriptor: Int32) throws(SystemError) {
        try Self.initializeLibrary()
        multi = try CurlMulti()
        guard let easy = agent_curl_easy_init() else {
            throw SystemError(call: "curl_easy_init", message: "libcurl: cannot create a transfer")
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer[0] = 0
        do throws(SystemError) {
            try Self.configure(easy, options, errorBuffer: errorBuffer)
        } catch {
            agent_curl_easy_cleanup(easy)
            errorBuffer.deallocate()
            throw error
        }
        self.easy = easy
        self.errorBuffer = errorBuffer
        self.options = options
        self.descriptor = descriptor
    }

    deinit {
        release()
        errorBuffer.deallocate()
    }

    /// Starts the transfer; what follows comes through `onProgress` and `onFinished`.
    public func start(on reactor: Reactor) {
        guard state == .ready, let easy else { return }
        state = .running
        _ = agent_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        multi.onDone = { [unowned(unsafe) self] _, result in finish(result) }
        let rc = multi.add(easy, on: reactor)
        if rc != CURLM_OK { end(.failed(failure(.other, "libcurl: \(CurlMulti.describe(rc))"))) }
    }

    /// Stops the download; `onFinished(.failed(.cancelled))` follows, at once or (when called
    /// from `onProgress`) as soon as libcurl returns.
    public func cancel() {
        switch state {
        case .finished: return
        case .running where reportingProgress: cancelRequested = true
        case .ready, .running: end(.failed(failure(.cancelled, "the download was cancelled")))
        }
    }

    private static func initializeLibrary() throws(SystemError) {
        if libraryReady { return }
        guard agent_curl() != nil else {
            let reason = agent_curl_load_error().map { String(cString: $0) } ?? "missing functions"
            throw SystemError(call: "dlopen", message: "downloads need libcurl.so.4, which cannot be loaded: " + reason)
        }
        let rc = agent_curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard rc == CURLE_OK else {
            throw SystemError(call: "curl_global_init", message: "libcurl: \(String(cString: agent_curl_easy_strerror(rc)))")
        }
        libraryReady = true
    }

    /// Sets every option of the transfer but its write context (set at `start`).
    private static func configure(_ easy: UnsafeMutableRawPointer, _ options: Options,
                                  errorBuffer: UnsafeMutablePointer<CChar>) throws(SystemError) {
        func check(_ rc: CURLcode, _ name: String) throws(SystemError) {
            guard rc != CURLE_OK else { return }
            throw SystemError(call: "curl_easy_setopt \(name)",
                              message: "libcurl option \(name): \(String(cString: agent_curl_easy_strerror(rc)))")
        }
        func set(_ option: CURLoption, _ value: Int, _ name: String) throws(SystemError) {
            try check(agent_curl_easy_setopt_long(easy, option, value), name)
        }
        func set(_ option: CURLoption, _ value: String, _ name: String) throws(SystemError) {
            try check(agent_curl_easy_setopt_string(easy, option, value), name)
        }
        try check(agent_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        try set(CURLOPT_URL, options.url, "URL")
        try set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR")
        try set(CURLOPT_FOLLOWLOCATION, 1, "FOLLOWLOCATION")
        try set(CURLOPT_MAXREDIRS, maxRedirects, "MAXREDIRS")
        try set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        try set(CURLOPT_FAILONERROR, 1, "FAILONERROR")
        try set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
        try set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
        if let caFile = options.caFile { try set(CURLOPT_CAINFO, caFile, "CAINFO") }
        try set(CURLOPT_USERAGENT, options.userAgent, "USERAGENT")
        try set(CURLOPT_BUFFERSIZE, bufferSize, "BUFFERSIZE")
        try set(CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit, "LOW_SPEED_LIMIT")
        try set(CURLOPT_LOW_SPEED_TIME, options.lowSpeedTimeSeconds, "LOW_SPEED_TIME")
        try set(CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds, "CONNECTTIMEOUT")
        // CURLOPT_RANGE, not RESUME_FROM: libcurl fails a resume the server answers with 200,
        // where this class writes the whole body from the start instead.
        if options.resumeFrom > 0 { try set(CURLOPT_RANGE, "\(options.resumeFrom)-", "RANGE") }
        try check(agent_curl_easy_setopt_write_function(easy) { data, size, count, context in
            guard let context else { return 0 }
            let download = Unmanaged<HttpDownload>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            return download.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }, "WRITEFUNCTION")
    }

    /// CURLOPT_WRITEFUNCTION: writes a piece of the body; false stops the transfer.
    private func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if !bodyStarted, let failure = beginBody() {
            stopReason = failure
            return false
        }
        if let limit = options.maxBytes, fileLength + Int64(bytes.count) > limit {
            stopReason = tooLarge(limit)
            return false
        }
        if let failure = write(bytes) {
            stopReason = failure
            return false
        }
        written += Int64(bytes.count)
        reportingProgress = true
        onProgress(written, expected)
        reportingProgress = false
        if cancelRequested {
            stopReason = failure(.cancelled, "the download was cancelled")
            return false
        }
        return true
    }

    /// At the first byte of the final answer (or at its end when it has no body): checks the
    /// status, decides where the body goes, truncates the file there, and checks the
    /// announced length against `maxBytes`. Returns why the body must not be written.
    private func beginBody() -> HttpFailure? {
        bodyStarted = true
        let status = responseCode
        guard (200..<300).contains(status) else { return httpFailure(status) }
        if status == 206 {
            guard let start = contentRangeStart, start == options.resumeFrom else {
                return failure(.other, "the server sent another part of the file than the one asked for")
            }
            startOffset = start
            resumed = start > 0
        }
        var length: curl_off_t = -1
        if agent_curl_easy_getinfo_offset(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK, length >= 0 {
            expected = Int64(length)
        }
        if let limit = options.maxBytes, let expected, startOffset + expected > limit { return tooLarge(limit) }
        guard let offset = off_t(exactly: startOffset) else { return writeFailure(EFBIG) }
        if ftruncate(descriptor, offset) != 0 { return writeFailure(agent_errno()) }
        return nil
    }

    /// Writes `bytes` at the end of what this transfer wrote so far.
    private func write(_ bytes: UnsafeRawBufferPointer) -> HttpFailure? {
        guard let base = bytes.baseAddress else { return nil }
        var done = 0
        while done < bytes.count {
            guard let offset = off_t(exactly: fileLength + Int64(done)) else { return writeFailure(EFBIG) }
            do throws(SystemError) {
                done += try retryingEINTR("pwrite") { pwrite(descriptor, base + done, bytes.count - done, offset) }
            } catch {
                return writeFailure(error.errno)
            }
        }
        return nil
    }

    /// Turns libcurl's result into the outcome, and ends the download.
    private func finish(_ result: CURLcode) {
        if let stopReason {
            end(.failed(stopReason))
        } else if result != CURLE_OK {
            end(.failed(failure(for: result)))
        } else if !bodyStarted, let failure = beginBody() {
            end(.failed(failure))
        } else {
            end(.completed(httpStatus: responseCode, bytes: written))
        }
    }

    /// Releases libcurl's handles and the callbacks (what they hold is not kept alive by a
    /// finished download, so a callback may hold this object), then reports `outcome` (the
    /// last thing done: the owner may drop this object in `onFinished`).
    private func end(_ outcome: Outcome) {
        guard state != .finished else { return }
        state = .finished
        release()
        let report = onFinished
        onProgress = { _, _ in }
        onFinished = { _ in }
        report(outcome)
    }

    /// Removes the transfer from the multi handle and cleans both up.
    private func release() {
        if let easy {
            multi.remove(easy)
            agent_curl_easy_cleanup(easy)
            self.easy = nil
        }
        multi.close()
    }

    /// The HTTP status of the last answer (after redirects), or 0 before any.
    private var responseCode: Int {
        var code = 0
        _ = agent_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Where the part a 206 answer carries starts, from `Content-Range: bytes <start>-<end>/<size>`.
    private var contentRangeStart: Int64? {
        var header: UnsafeMutablePointer<curl_header>? = nil
        guard agent_curl_easy_header(easy, "Content-Range", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
              let value = header?.pointee.value else { return nil }
        return Self.rangeStart(String(cString: value))
    }

    /// The start of a `bytes <start>-<end>/<size>` range, or nil when it is not one.
    static func rangeStart(_ value: String) -> Int64? {
        let unit = "bytes "
        guard value.utf8.starts(with: unit.utf8), let dash = value.utf8.firstIndex(of: UInt8(ascii: "-")) else {
            return nil
        }
        return Int64(value[value.utf8.index(value.utf8.startIndex, offsetBy: unit.utf8.count)..<dash])
    }

    private func failure(_ kind: HttpFailure.Kind, _ message: String) -> HttpFailure {
        HttpFailure(kind: kind, message: message, bytes: written)
    }

    private func httpFailure(_ status: Int) -> HttpFailure {
        let reason = Self.reasonPhrase(status)
        return failure(.http(status), "the server answered \(status)" + (reason.isEmpty ? "" : " " + reason))
    }

    private func tooLarge(_ limit: Int64) -> HttpFailure {
        failure(.tooLarge, "the server sent more than the expected \(limit) bytes")
    }

    private func writeFailure(_ code: Int32) -> HttpFailure {
        let message: String
        switch code {
        case ENOSPC: message = "the disk is full"
        case EDQUOT: message = "the disk quota is used up"
        case EIO: message = "the storage failed to write (I/O error)"
        default: message = "cannot write the file: \(SystemError.describe(code))"
        }
        return failure(.write(code), message)
    }

    /// The failure for a libcurl result other than CURLE_OK.
    private func failure(for result: CURLcode) -> HttpFailure {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: agent_curl_easy_strerror(result))
        switch result {
        case CURLE_HTTP_RETURNED_ERROR:
            return httpFailure(responseCode)
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime: curl_off_t = 0
            _ = agent_curl_easy_getinfo_offset(easy, CURLINFO_CONNECT_TIME_T, &connectTime)
            if responseCode == 0 && connectTime == 0 {
                return failure(.connection, "cannot connect to the server within \(options.connectTimeoutSeconds) s")
            }
            let rate = options.lowSpeedLimit <= 1 ? "no data" : "less than \(options.lowSpeedLimit) bytes/s"
            return failure(.stalled, "\(rate) for \(options.lowSpeedTimeSeconds) s (the server stalled)")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return failure(.badURL, "not an http or https URL: \(detail)")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return failure(.connection, "cannot reach the server: \(detail)")
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            return failure(.connection, "the connection broke: \(detail)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED:
            return failure(.tls, "TLS: \(detail)")
        case CURLE_TOO_MANY_REDIRECTS:
            return failure(.other, "more than \(Self.maxRedirects) redirects")
        default:
            return failure(.other, detail)
        }
    }

    /// The reason phrase of the statuses a download meets, or "" for others.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 300: return "Multiple Choices"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 410: return "Gone"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
