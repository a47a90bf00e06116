import Foundation

/// A child process started with `posix_spawn`, with an empty signal mask and default
/// signal dispositions, as a service manager would start it. (Foundation's `Process`
/// spawns from worker threads that block signals, and the child inherits the mask: a
/// broker started that way ignores SIGTERM and SIGHUP.) Output goes to files.
public final class ChildProcess {
    /// The process id.
    public let pid: pid_t
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`, the test's environment plus `environment`,
    /// standard output and error appended to the files given (or /dev/null).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                stdout: String = "/dev/null", stderr: String = "/dev/null") throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)

        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw TestFailure("posix_spawn \(executable): error \(rc)") }
        pid = child
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = try? waitForExit(timeout: 10)
        }
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Whether the process has not exited yet (reaping it when it has).
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signal = status & 0x7F
            exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            return false
        }
        return result == 0
    }

    /// Waits up to `timeout` seconds for the exit and returns the status (128 + n when
    /// killed by signal n).
    @discardableResult
    public func waitForExit(timeout: TimeInterval) throws -> Int32 {
        try waitUntil("process \(pid) to exit", timeout: timeout) { !isRunning }
        return exitStatus ?? -1
    }
}
