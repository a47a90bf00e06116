/// The checks of the LAN handshake's signed request, `POST /ctrl?ts&nonce&sign&did`, as the
/// stock firmware's clients sign it: `sign = md5(md5(token[0:16]) + ts + nonce)` in lower-case
/// hex, `ts` in wall-clock milliseconds, `nonce` a short random word, `did` the client's id.
/// It also keeps what the checks need across requests: the nonces already used and, per
/// client address, the recent failures (a client that fails too often is refused for a while).
/// Pure: the caller gives the clocks and the MD5 function.
public struct LanControlGate {
    /// How far `ts` may be from the printer's clock, either way.
    public static let timestampWindowMs: Int64 = 300_000
    /// Failed handshakes one address may make within `failureWindowMs` before it is refused.
    public static let failureLimit = 5
    /// The window failures are counted over.
    public static let failureWindowMs: Int64 = 60_000
    /// Nonces remembered at once (each for twice the timestamp window); a burst of more
    /// successful handshakes than this within that time is refused.
    public static let nonceCapacity = 256
    /// Addresses whose failures are remembered at once; the oldest is forgotten first.
    public static let addressCapacity = 64

    /// The query arguments of a control request, as received (nil when absent).
    public struct Request: Equatable {
        public var ts: String?
        public var nonce: String?
        public var sign: String?
        public var did: String?

        /// A request with these arguments.
        public init(ts: String?, nonce: String?, sign: String?, did: String?) {
            self.ts = ts
            self.nonce = nonce
            self.sign = sign
            self.did = did
        }
    }

    /// What a control request gets.
    public enum Verdict: Equatable {
        /// The credentials.
        case grant
        /// An error: the HTTP status and a sentence a person can act on.
        case refuse(status: Int, message: String)
    }

    private var nonces: [(nonce: String, expiresMs: Int64)] = []
    private var failures: [(address: String, timesMs: [Int64])] = []

    /// A gate that has seen nothing yet.
    public init() {}

    /// Checks `request` from `address` against `token`, at wall-clock `wallMs` and monotonic
    /// `monotonicMs`; `md5Hex` is MD5 in lower-case hex. A refusal is counted against the
    /// address; a grant uses up the nonce.
    public mutating func check(_ request: Request, token: String, address: String, wallMs: Int64, monotonicMs: Int64,
                               md5Hex: (String) -> String) -> Verdict {
        let recent = recentFailures(of: address, monotonicMs: monotonicMs)
        if recent >= Self.failureLimit {
            return .refuse(status: 429, message: "too many failed handshakes from \(address): try again in a minute")
        }
        let verdict = verify(request, token: token, wallMs: wallMs, md5Hex: md5Hex)
        if case .refuse = verdict {
            recordFailure(of: address, monotonicMs: monotonicMs)
        }
        return verdict
    }

    private mutating func verify(_ request: Request, token: String, wallMs: Int64, md5Hex: (String) -> String) -> Verdict {
        guard let tsText = request.ts, let nonce = request.nonce, let sign = request.sign, let did = request.did else {
            return .refuse(status: 400, message: "the request needs ts, nonce, sign and did in its query string")
        }
        guard tsText.utf8.count <= 16, tsText.utf8.allSatisfy(Self.isDigit), let ts = Int64(tsText) else {
            return .refuse(status: 400, message: "ts must be the time in milliseconds since 1970, not \"\(StoragePath.printable(tsText, maxBytes: 32))\"")
        }
        guard AsciiText.isWord(nonce, maxBytes: 64) else {
            return .refuse(status: 400, message: "nonce must be 1 to 64 letters or digits")
        }
        guard AsciiText.isWord(did, maxBytes: 64) else {
            return .refuse(status: 400, message: "did must be 1 to 64 letters or digits")
        }
        guard token.utf8.count == 32 else {
            return .refuse(status: 500, message: "the printer's LAN token is not 32 characters")
        }
        let distance = ts > wallMs ? ts - wallMs : wallMs - ts
        if distance > Self.timestampWindowMs {
            return .refuse(status: 403, message: "ts is \(distance / 1000) s away from the printer's clock (at most \(Self.timestampWindowMs / 1000) s): check both clocks")
        }
        let expected = md5Hex(md5Hex(String(decoding: token.utf8.prefix(16), as: UTF8.self)) + tsText + nonce)
        // Hex digits in either case (ASCII only: the device build has no Unicode tables).
        let given = sign.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
        guard AsciiText.equalInConstantTime(given, Array(expected.utf8)) else {
            return .refuse(status: 403, message: "the signature does not match: sign md5(md5(token[0:16]) + ts + nonce) with the token /info gives now")
        }
        nonces.removeAll { $0.expiresMs <= wallMs }
        if nonces.contains(where: { $0.nonce == nonce }) {
            return .refuse(status: 403, message: "this nonce was used already: make a new one for every request")
        }
        guard nonces.count < Self.nonceCapacity else {
            return .refuse(status: 503, message: "too many handshakes in the last \(2 * Self.timestampWindowMs / 60_000) minutes: try again later")
        }
        nonces.append((nonce, wallMs + 2 * Self.timestampWindowMs))
        return .grant
    }

    private mutating func recentFailures(of address: String, monotonicMs: Int64) -> Int {
        guard let index = failures.firstIndex(where: { $0.address == address }) else { return 0 }
        failures[index].timesMs.removeAll { monotonicMs - $0 >= Self.failureWindowMs }
        return failures[index].timesMs.count
    }

    private mutating func recordFailure(of address: String, monotonicMs: Int64) {
        if let index = failures.firstIndex(where: { $0.address == address }) {
            var entry = failures.remove(at: index)
            entry.timesMs.append(monotonicMs)
            failures.append(entry)
        } else {
            if failures.count >= Self.addressCapacity { failures.removeFirst() }
            failures.append((address, [monotonicMs]))
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
