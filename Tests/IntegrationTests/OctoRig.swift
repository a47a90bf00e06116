import Foundation
import TestSupport

/// An agent with the OctoPrint-compatible API on (on a free loopback port) printing through a
/// Marlin or Klipper simulator (a 60 s print of the fixture), serving the repository's web page
/// (www/), with its broker and test client:
/// what a slicer or Home Assistant on the LAN sees, and what the Anycubic clients see meanwhile.
final class OctoRig {
    let rig: PrintRig
    /// The API's port.
    let port: Int
    /// The API key the agent made in its state directory.
    let key: String

    /// Starts the rig on `controller` (`marlin` or `klipper`) with `config` lines added and the
    /// web page of the folder `www`; waits until the controller answers, and until `stick`
    /// (Marlin only) is mounted when the agent is started in its namespace.
    init(controller: String = "marlin", config: [String] = [],
         www: String = ClientDriver.repository.appendingPathComponent("www").path, stick: UsbStick? = nil) throws {
        port = try FreePort.find()
        let simulator = ["--speed", "20", "--heat-rate", "instant"]
        let lines = ["http_api = yes", "http_api_listen = 127.0.0.1", "http_api_port = \(port)",
                     "http_api_www = \(www)"] + config
        rig = controller == "klipper" ? try PrintRig.klipper(simulator, config: lines)
            : try PrintRig.marlin(simulator, config: lines, launcher: try stick?.launcher() ?? [])
        try rig.harness.agent.waitForLog("OctoPrint-compatible API on")
        if let stick { try rig.harness.agent.waitForLog("USB stick \(stick.device) mounted on \(stick.mountPoint)") }
        key = try String(contentsOfFile: rig.storage.path + "/state/api-key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try rig.waitForController()
    }

    /// The storage root.
    var root: String { rig.root }

    /// Every name in the storage root, hidden ones included, sorted.
    var rootNames: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() }

    /// Sends `method` `path` with the right key (unless `key` says another, or nil for none),
    /// failing when no answer comes within `timeout` seconds.
    func request(_ method: String, _ path: String, key: String?? = .none, headers: [String: String] = [:],
                 body: Data? = nil, timeout: TimeInterval = 15) throws -> LoopbackHttp.Answer {
        var all = headers
        let given: String? = key ?? self.key
        if let given { all["X-Api-Key"] = given }
        return try LoopbackHttp.request(port: port, method, path, headers: all, body: body, timeout: timeout)
    }

    /// The state word of `GET /api/job`.
    func jobState() throws -> String? { try request("GET", "/api/job").json["state"] as? String }

    /// Waits until `GET /api/job` says `state`.
    func waitForJob(_ state: String, timeout: TimeInterval = 30) throws {
        try waitUntil("the job \(state) (last: \((try? jobState()) ?? "none"))", timeout: timeout) { (try? jobState()) == state }
    }

    /// Uploads `file` (a path) as OrcaSlicer and PrusaSlicer do, with curl: the multipart
    /// fields `print`, `path` and `file` (named `name`) and the `X-Api-Key` header (`key`,
    /// the right one unless given). Returns curl's output: the status line, the headers and
    /// the body.
    func slicerUpload(_ file: String, as name: String, print: Bool, key: String? = nil, extra: [String] = []) throws -> String {
        try Tool.run("curl", ["-s", "-i", "-H", "X-Api-Key: \(key ?? self.key)", "-F", "print=\(print ? "true" : "false")",
                              "-F", "path=", "-F", "file=@\(file);filename=\(name)"] + extra
                             + ["http://127.0.0.1:\(port)/api/files/local"])
    }

    /// The status of curl's output `answer`.
    static func status(_ answer: String) -> Int {
        Int(answer.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// The JSON body of curl's output `answer`.
    static func body(_ answer: String) -> [String: Any] {
        guard let start = answer.range(of: "\r\n\r\n") else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(answer[start.upperBound...].utf8))) as? [String: Any] ?? [:]
    }
}

/// An agent with the OctoPrint-compatible API on (on a free loopback port) and no
/// controller, configured by a file with the test printer's identity: for the agent's own
/// commands (`--print-identity`, `--rotate-api-key`) and the packaging's scripts beside the
/// running API.
final class ApiAgent {
    /// The API's port.
    let port: Int
    let storage: TemporaryDirectory
    /// The configuration file.
    let config: String
    let harness: Harness

    /// Starts the agent and waits until the API listens.
    init() throws {
        port = try FreePort.find()
        storage = try TemporaryDirectory()
        config = try storage.write("agent.conf", ["model_id = \(AgentProcess.modelId)", "device_id = \(AgentProcess.deviceId)",
                                                  "state_dir = \(storage.path)/state", "http_api = yes",
                                                  "http_api_listen = 127.0.0.1", "http_api_port = \(port)"]
                                                    .joined(separator: "\n") + "\n")
        harness = try Harness(agentArguments: ["-c", config, "--storage", storage.path])
        try harness.agent.waitForLog("OctoPrint-compatible API on")
    }

    /// The file the agent keeps its API key in.
    var keyFile: String { storage.path + "/state/api-key" }

    /// The API key in that file now.
    func key() throws -> String {
        try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
