import Foundation

/// The agent's host build running as a child process, as a user would run it, with its
/// standard error collected in a file for the test to read.
public final class AgentProcess {
    private let child: ChildProcess
    private let files: TemporaryDirectory
    private let logPath: String

    /// The device id every test agent uses unless a test says otherwise.
    public static let deviceId = "0123456789abcdef0123456789abcdef"
    /// The model id every test agent uses unless a test says otherwise.
    public static let modelId = "20021"

    /// Starts `printer-agent` with `arguments` and `environment` added to the test's own.
    /// A `launcher` (a command that sets something up, then runs the command line it is
    /// given, as `unshare` does) runs the agent's command line instead; it must end by
    /// exec'ing the agent, whose process id is then the launcher's.
    public init(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) throws {
        files = try TemporaryDirectory()
        logPath = files.path + "/stderr.log"
        let command = launcher + [try Executables.agent()] + arguments
        child = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment, stderr: logPath)
    }

    /// Starts the agent against `broker` with the test ids, `-v`, no configuration file of
    /// the machine's (`-c /dev/null`), and `extra` arguments (a later `-c` wins).
    public convenience init(broker: String, extra: [String] = [], environment: [String: String] = [:],
                            launcher: [String] = []) throws {
        try self.init(["--broker", broker, "--model-id", Self.modelId, "--device-id", Self.deviceId,
                       "-c", "/dev/null", "-v"] + extra, environment: environment, launcher: launcher)
    }

    /// The process id.
    public var pid: Int32 { child.pid }

    /// What the agent wrote to standard error so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the agent.
    public func send(_ signal: Int32) { child.send(signal) }

    /// Waits up to `timeout` seconds for the agent to exit and returns its status.
    public func waitForExit(timeout: TimeInterval = 10) throws -> Int32 {
        try child.waitForExit(timeout: timeout)
    }

    /// Waits until the log contains `text`.
    public func waitForLog(_ text: String, timeout: TimeInterval = 10) throws {
        do {
            try waitUntil("\"\(text)\" in the agent's log", timeout: timeout) { log.contains(text) }
        } catch {
            throw TestFailure("\(error); the log:\n\(log)")
        }
    }

    /// Runs the agent to completion with `arguments` and returns its exit status, standard
    /// output and standard error (for --check-config, --print-identity, --help).
    public static func runToEnd(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let child = try ChildProcess(try Executables.agent(), arguments, stdout: out, stderr: err)
        let status = try child.waitForExit(timeout: 30)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
