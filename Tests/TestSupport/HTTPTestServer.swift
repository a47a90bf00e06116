import Foundation

/// A real HTTP(S) server on 127.0.0.1 for the download tests: Tests/Fixtures/http_server.py
/// (Python 3 standard library), serving the files of a directory with Range support and the
/// fault modes that script describes (`?fault=truncate`, `slow`, `drop`, ...). It runs on a
/// free port and is stopped when the test drops it.
public final class HTTPTestServer {
    /// One request as the server logged it.
    public struct Request: Equatable {
        /// GET or HEAD.
        public var method: String
        /// The path with its query.
        public var path: String
        /// The Range header, or nil when there was none.
        public var range: String?
        /// The User-Agent header, or nil when there was none.
        public var userAgent: String?
    }

    /// The port it listens on.
    public let port: Int
    /// "http", or "https" when started with a certificate.
    public let scheme: String
    private let work: TemporaryDirectory
    private let process: ChildProcess

    /// The server script, next to this file's folder.
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/http_server.py").path

    /// Starts the server on the files under `root`. `noRange` makes it answer 200 with the
    /// whole file to every Range request; a certificate and key make it HTTPS.
    public init(root: String, noRange: Bool = false, certificate: (cert: String, key: String)? = nil) throws {
        work = try TemporaryDirectory()
        var arguments = [Self.script, "--root", root, "--log", work.path + "/requests.log"]
        if noRange { arguments.append("--no-range") }
        if let certificate { arguments += ["--cert", certificate.cert, "--key", certificate.key] }
        scheme = certificate == nil ? "http" : "https"
        let output = work.path + "/stdout", errors = work.path + "/stderr"
        process = try ChildProcess(try Executables.find("python3"), arguments, stdout: output, stderr: errors)
        var ready: Int? = nil
        let deadline = Date().addingTimeInterval(10)
        while ready == nil && Date() < deadline {
            ready = Self.readyPort(in: output)
            if ready == nil {
                if !process.isRunning {
                    let log = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
                    throw TestFailure("http_server.py exited at start: \(log)")
                }
                usleep(20_000)
            }
        }
        guard let ready else { throw TestFailure("http_server.py did not print `ready <port>` within 10 s") }
        port = ready
    }

    deinit {
        process.send(SIGTERM)
        if (try? process.waitForExit(timeout: 10)) == nil { process.send(SIGKILL) }
    }

    /// The URL of `path` (relative to the root, with any query) on this server.
    public func url(for path: String) -> String { "\(scheme)://127.0.0.1:\(port)/\(path)" }

    /// The requests served so far, oldest first.
    public var requests: [Request] {
        let text = (try? String(contentsOfFile: work.path + "/requests.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard fields.count == 4 else { return nil }
            return Request(method: fields[0], path: fields[1], range: fields[2] == "-" ? nil : fields[2],
                           userAgent: fields[3] == "-" ? nil : fields[3])
        }
    }

    /// The port of a `ready <port>` line in the file at `path`, once it is there.
    private static func readyPort(in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("ready ") {
            return Int(line.dropFirst("ready ".count))
        }
        return nil
    }
}
