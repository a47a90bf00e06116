import AgentCore
import CLibc

/// A command (the firmware installer) run as a child process that the reactor watches
/// without ever blocking (design decision 2): its merged standard output and error arrive
/// line by line through a pipe polled by the reactor, and its exit through a pidfd, also
/// polled (or, on kernels before 5.3, a waitpid(WNOHANG) check every 500 ms).
///
/// The child starts as a service manager would start it (see `agent_spawn` in CLibc): no
/// shell, an empty signal mask, default signal dispositions (SIGPIPE excepted: it stays
/// ignored, so an installer outlives an agent that dies mid-update), standard input on
/// /dev/null, no other descriptor of the agent, and a process group of its own, so that
/// `terminate()` reaches whatever the installer started too.
///
/// A started subprocess keeps itself alive until it has exited and `onExit` was called.
public final class Subprocess {
    /// The longest line passed to `onLine`; the rest of a longer line is dropped.
    public static let maxLineBytes = 4096
    /// How long `terminate()` waits after SIGTERM before it sends SIGKILL.
    public static let killDelayMs: Int64 = 5000
    /// How often the exit is checked where pidfd_open(2) is not available.
    static let exitPollMs: Int64 = 500
    /// The most reads of the output after the exit, before `onExit`: 16 of 4 KiB are one
    /// pipe buffer, all the child can have left unread (processes it left behind could
    /// otherwise keep writing forever).
    private static let finalReads = 16

    /// Each line of output without its end (`\n` or `\r`: progress bars redraw with `\r`),
    /// at most `maxLineBytes` bytes; empty lines are skipped.
    public var onLine: (String) -> Void = { _ in }
    /// The exit status, once, after the last line: the exit code, 128 plus the signal's
    /// number when a signal killed it, or -1 when the status could not be collected.
    public var onExit: (Int32) -> Void = { _ in }
    /// The child's process id (also its process group's id).
    public let pid: Int32
    /// Whether `start(on:)` watches the exit through a pidfd; tests turn it off to exercise
    /// the waitpid fallback of kernels before 5.3.
    var usesPidfd = true

    private var output: ReadableDescriptor?
    private var exitWatch: ReadableDescriptor?
    private var lines = ByteFrameSplitter.lines(maxLength: maxLineBytes)
    private var readBuffer = [UInt8](repeating: 0, count: 4096)
    private var reactor: Reactor?
    private var killTimer: Reactor.TimerID?
    private var exited = false

    /// Splits `template` on spaces into argv, replacing the word `{file}` with `file` (no
    /// shell is involved; a template with no `{file}` gets the file appended as the last
    /// argument), and starts it with posix_spawnp (the program is looked up on PATH). An empty
    /// template, or a program that cannot be started (ENOENT, EACCES), is an error naming it.
    public init(template: String, file: String) throws(SystemError) {
        let arguments = Self.arguments(template: template, file: file)
        guard let program = arguments.first else {
            throw SystemError(call: "posix_spawn", errno: EINVAL, message: "the command to run is empty")
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        var descriptor: Int32 = -1
        let rc = agent_spawn(program, argv, &child, &descriptor)
        guard rc == 0 else {
            throw SystemError(call: "posix_spawn \(program)", errno: rc,
                              message: "cannot start \(program): \(SystemError.describe(rc))")
        }
        pid = child
        _ = agent_set_nonblocking(descriptor)
        output = ReadableDescriptor(descriptor)
    }

    /// Starts watching the output and the exit on `reactor`. Call it once; `onLine` and
    /// `onExit` are called from the reactor's turns, never from this call.
    public func start(on reactor: Reactor) {
        guard self.reactor == nil else { return }
        self.reactor = reactor
        if let output {
            output.onReadable = { [self] in readOutput() }
            reactor.add(output)
        }
        let pidfd = usesPidfd ? agent_pidfd_open(pid) : -1
        if pidfd >= 0 {
            let watch = ReadableDescriptor(pidfd)
            watch.onReadable = { [self] in reap() }
            exitWatch = watch
            reactor.add(watch)
        } else {
            pollExit()
        }
    }

    /// SIGTERM to the process group; SIGKILL to it `killDelayMs` later if the child has not
    /// exited by then (the escalation needs `start(on:)` to have been called). Does nothing
    /// once the child has exited.
    public func terminate() {
        guard !exited else { return }
        kill(-pid, SIGTERM)
        guard killTimer == nil, let reactor else { return }
        killTimer = reactor.after(Self.killDelayMs) { [self] in
            killTimer = nil
            if !exited { kill(-pid, SIGKILL) }
        }
    }

    /// Splits `template` into arguments on spaces and tabs, with `{file}` words replaced by
    /// `file`, or `file` appended when there is none.
    private static func arguments(template: String, file: String) -> [String] {
        let words = template.utf8.split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var arguments = words.map { String(decoding: $0, as: UTF8.self) }
        var substituted = false
        for index in arguments.indices where arguments[index] == "{file}" {
            arguments[index] = file
            substituted = true
        }
        if !substituted && !arguments.isEmpty { arguments.append(file) }
        return arguments
    }

    /// Reads what the pipe holds now and passes on the lines it completes. Returns whether
    /// bytes were read; at the end of the output (or on a read error) the pipe is closed.
    @discardableResult
    private func readOutput() -> Bool {
        guard let output else { return false }
        let count = readBuffer.withUnsafeMutableBytes { read(output.pollDescriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            for index in 0..<count where readBuffer[index] == UInt8(ascii: "\r") {
                readBuffer[index] = UInt8(ascii: "\n")
            }
            readBuffer.withUnsafeBytes { pushLines(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            return true
        }
        if count < 0 && (agent_errno() == EAGAIN || agent_errno() == EINTR) { return false }
        closeOutput()
        return false
    }

    /// Passes on every non-empty line that `bytes` complete.
    private func pushLines(_ bytes: UnsafeRawBufferPointer) {
        lines.push(bytes) { frame in
            if !frame.bytes.isEmpty { onLine(String(decoding: frame.bytes, as: UTF8.self)) }
        }
    }

    /// Stops watching the pipe and passes on a last line that had no line end.
    private func closeOutput() {
        guard let output else { return }
        reactor?.remove(output)
        self.output = nil
        let end: [UInt8] = [UInt8(ascii: "\n")]
        end.withUnsafeBytes { pushLines($0) }
    }

    /// Collects the exit status if the child has exited, then finishes.
    private func reap() {
        guard !exited else { return }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            finish(Int32(agent_exit_status(status)))
        } else if result < 0 && agent_errno() != EINTR {
            finish(-1)  // ECHILD: something else collected it
        }
    }

    /// The fallback without a pidfd: checks for the exit every `exitPollMs`.
    private func pollExit() {
        reactor?.after(Self.exitPollMs) { [self] in
            reap()
            if !exited { pollExit() }
        }
    }

    /// Reads the output the child left, stops watching, and reports the exit.
    private func finish(_ status: Int32) {
        exited = true
        var reads = 0
        while reads < Self.finalReads && readOutput() { reads += 1 }
        closeOutput()
        if let exitWatch { reactor?.remove(exitWatch) }
        exitWatch = nil
        if let killTimer { reactor?.cancel(killTimer) }
        killTimer = nil
        onExit(status)
    }
}

/// A descriptor of a subprocess (its output pipe or its pidfd), owned and closed here, that
/// the reactor polls for reading.
private final class ReadableDescriptor: PollSource {
    let pollDescriptor: Int32
    var pollEvents: Int16 { Int16(POLLIN) }
    /// Called when poll reports the descriptor readable, hung up or failed.
    var onReadable: () -> Void = {}

    init(_ descriptor: Int32) { pollDescriptor = descriptor }

    deinit { close(pollDescriptor) }

    func handle(events: Int16) { onReadable() }
}
