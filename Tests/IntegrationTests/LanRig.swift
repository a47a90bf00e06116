import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The agent in LAN mode behind the shipped broker profile, with a storage directory, and
/// an HTTP client for its LAN server: what a LAN user's machine sees.
final class LanRig {
    let profile: LanBrokerProfile
    let storage: TemporaryDirectory
    let harness: Harness
    /// The LAN server's port.
    let port: Int
    /// The UDP port SSDP searches are answered on.
    let ssdpPort: Int

    /// The storage root the uploads go to.
    let root: String

    /// Starts the profile's broker and an agent in LAN mode on a free port, storing into
    /// `root` (a fresh directory unless given), with the configuration lines `extra` too.
    init(root: String? = nil, extra: [String] = []) throws {
        profile = try LanBrokerProfile()
        storage = try TemporaryDirectory()
        port = try FreePort.find()
        ssdpPort = try FreePort.find()
        let lines = try profile.agentConfig() + ["state_dir = \(storage.path)/state", "lan_listen = 127.0.0.1",
                                                 "lan_port = \(port)", "lan_ssdp_port = \(ssdpPort)"] + extra
        let config = try storage.write("agent.conf", lines.joined(separator: "\n") + "\n")
        self.root = root ?? storage.path + "/files"
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        harness = try Harness(broker: profile.broker, client: try profile.agentClient(),
                              agentArguments: ["-c", config, "--storage", self.root])
    }

    /// Every name in the storage root, hidden ones included, sorted.
    var rootNames: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() }

    /// An HTTP answer of the LAN server.
    typealias Answer = LoopbackHttp.Answer

    /// Sends `method` `path` (with its query) to the LAN server and waits for the answer,
    /// failing when none comes within `timeout` seconds.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
                 timeout: TimeInterval = 15) throws -> Answer {
        try LoopbackHttp.request(port: port, method, path, headers: headers, body: body, timeout: timeout)
    }

    /// Starts a LAN upload of `half.gcode` (100,000 bytes announced) that sends 60,000 bytes
    /// and stops; returns once its partial file is in the storage root. Dropping the
    /// connection makes the client go away.
    func startPartialUpload() throws -> RawConnection {
        let connection = try RawConnection(port: port)
        let head = "POST /gcode_upload?s=\(try token()) HTTP/1.1\r\nHost: printer\r\n"
            + "Content-Type: multipart/form-data; boundary=agent-test-boundary\r\nX-File-Length: 100000\r\n"
            + "Content-Length: 100300\r\n\r\n"
        let partial = Self.form(filename: "half.gcode", file: Data(repeating: 0x47, count: 100_000)).prefix(60_000)
        guard connection.send(Data(head.utf8) + partial) else { throw TestFailure("the server closed the upload's connection") }
        try waitUntil("the partial file in the storage root", timeout: 10) {
            rootNames.contains { $0.hasPrefix(".agent-download-") }
        }
        return connection
    }

    /// The discovery document's token.
    func token() throws -> String {
        guard let token = try request("GET", "/info").json["token"] as? String else { throw TestFailure("no token in /info") }
        return token
    }

    /// A signed control request's query string, as the clients sign it.
    static func signedQuery(token: String, ts: Int64 = Int64(Date().timeIntervalSince1970 * 1000),
                            nonce: String = String(UUID().uuidString.prefix(6)), did: String = "CLIENT0123456789") throws -> String {
        let keyed = try md5Hex(Data(token.prefix(16).utf8))
        let sign = try md5Hex(Data((keyed + String(ts) + nonce).utf8))
        return "ts=\(ts)&nonce=\(nonce)&sign=\(sign)&did=\(did)"
    }

    /// A multipart form body with a `filename` field (when given) and a `gcode` file part.
    static func form(filename: String?, file: Data, boundary: String = "agent-test-boundary") -> Data {
        var body = Data()
        if let filename {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\n".utf8)
            body += Data(filename.utf8) + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"gcode\"; filename=\"upload.gcode\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + file
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return body
    }

    /// A form with a `filename` field and two `gcode` parts of `file`.
    static func twoFileForm(_ file: Data, boundary: String = "agent-test-boundary") -> Data {
        let one = form(filename: "a.gcode", file: file, boundary: boundary)
        let closing = Data("--\(boundary)--\r\n".utf8)
        let part = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"gcode\"; filename=\"b.gcode\"\r\n\r\n".utf8)
            + file + Data("\r\n".utf8)
        return one.prefix(one.count - closing.count) + part + closing
    }

    /// Uploads `file` under `filename` announcing `announced` bytes (the file's size unless
    /// given), with the token unless another is given.
    func upload(_ filename: String?, _ file: Data, announced: Int? = nil, token: String? = nil) throws -> Answer {
        let key = try token ?? self.token()
        return try request("POST", "/gcode_upload?s=\(key)",
                           headers: ["Content-Type": "multipart/form-data; boundary=agent-test-boundary",
                                     "X-File-Length": String(announced ?? file.count)],
                           body: Self.form(filename: filename, file: file))
    }
}

/// A UDP socket on 127.0.0.1, for SSDP searches.
final class UdpProbe {
    private let fd: Int32

    /// A socket bound to a port of the kernel's choice, with a receive timeout of `timeout` seconds.
    init(timeout: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `text` to 127.0.0.1:`port`.
    func send(_ text: String, to port: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == bytes.count else { throw TestFailure("sendto: errno \(errno)") }
    }

    /// The next datagram, or nil when none came within the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
