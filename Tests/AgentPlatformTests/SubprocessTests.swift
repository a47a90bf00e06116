import AgentCore
@testable import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// A subprocess run to its exit on a reactor, with what it reported in order.
private final class InstallerRun {
    /// What the subprocess reported.
    enum Event: Equatable {
        case line(String)
        case exit(Int32)
    }

    let reactor = Reactor()
    let process: Subprocess
    private(set) var events: [Event] = []

    /// Starts `template` with `file` on a new reactor.
    init(_ template: String, file: String = "/data/update.swu") throws {
        process = try Subprocess(template: template, file: file)
    }

    var lines: [String] { events.compactMap { if case .line(let text) = $0 { text } else { nil } } }
    var exits: [Int32] { events.compactMap { if case .exit(let status) = $0 { status } else { nil } } }

    /// Starts watching; `onLine` also sees each line as it comes.
    func start(onLine: @escaping (String) -> Void = { _ in }) {
        process.onLine = { [unowned self] line in
            events.append(.line(line))
            onLine(line)
        }
        process.onExit = { [unowned self] status in events.append(.exit(status)) }
        process.start(on: reactor)
    }

    /// Runs the reactor until the exit was reported (and 50 ms more, to catch a second report).
    func runToExit(limitMs: Int64 = 10_000) throws {
        try reactor.run(until: "the installer's exit", limitMs: limitMs) { !self.exits.isEmpty }
        reactor.stop(after: 50)
        try reactor.run()
    }
}

/// Subprocess: the installer as a child process watched by the reactor, its output read line
/// by line, its exit through a pidfd (or waitpid), and its termination.
@Suite struct SubprocessTests {
    /// Writes an executable shell script `body` named `name` in `directory`. The file is
    /// written through a close-on-exec descriptor: a child that another test spawns meanwhile
    /// must not inherit it open for writing, or running the script fails with ETXTBSY.
    private func script(_ name: String, _ body: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw TestFailure("cannot create \(path)") }
        defer { close(fd) }
        var text = "#!/bin/sh\n" + body + "\n"
        let written = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        guard written == text.utf8.count else { throw TestFailure("cannot write \(path)") }
        return path
    }

    private static let progressScript = """
        printf '[ 10%%]\\n'
        printf '\\r 50%%'
        printf '\\rinstalled %s\\n' "$1"
        printf 'no newline at the end'
        exit 0
        """

    @Test func linesEndedByNewlinesOrCarriageReturnsArriveBeforeTheExit() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", Self.progressScript, in: directory)
        let run = try InstallerRun("\(installer) {file}")
        #expect(run.process.pid > 0)
        run.start()
        try run.runToExit()
        #expect(run.events == [.line("[ 10%]"), .line(" 50%"), .line("installed /data/update.swu"),
                               .line("no newline at the end"), .exit(0)])
        #expect(run.lines.map { InstallerProgress.percent(in: $0) } == [10, 50, nil, nil])
    }

    @Test func theExitIsNoticedWithoutAPidfdToo() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", Self.progressScript, in: directory)
        let run = try InstallerRun("\(installer) {file}")
        run.process.usesPidfd = false
        run.start()
        try run.runToExit()
        #expect(run.events.last == .exit(0))
        #expect(run.lines.count == 4)
    }

    @Test func aFailingInstallerReportsItsStatusAndItsMessage() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", "echo 'checking image'\necho 'bad image: wrong hardware' >&2\nexit 3",
                                   in: directory)
        let run = try InstallerRun("\(installer) -i {file}")
        run.start()
        try run.runToExit()
        #expect(run.events == [.line("checking image"), .line("bad image: wrong hardware"), .exit(3)])
    }

    @Test func fileIsSubstitutedForTheWordOrAppendedWithoutAShell() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", "for a in \"$@\"; do echo \"arg:$a\"; done", in: directory)
        let file = directory.path + "/my update;$(reboot).swu"
        let substituted = try InstallerRun("\(installer)  -i\t{file}   --no-reboot ", file: file)
        substituted.start()
        try substituted.runToExit()
        #expect(substituted.lines == ["arg:-i", "arg:" + file, "arg:--no-reboot"])

        let appended = try InstallerRun("\(installer) install", file: file)
        appended.start()
        try appended.runToExit()
        #expect(appended.lines == ["arg:install", "arg:" + file])
    }

    @Test func terminateEndsTheWholeProcessGroup() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", "sleep 30 &\necho \"child $!\"\necho started\nwait\necho never", in: directory)
        let run = try InstallerRun(installer)
        var child: Int32 = 0
        run.start { line in
            if line.hasPrefix("child ") { child = Int32(line.dropFirst(6)) ?? 0 }
            if line == "started" { run.process.terminate() }
        }
        let start = Clock.monotonicMs()
        try run.runToExit()
        #expect(run.exits == [128 + SIGTERM])
        #expect(Clock.monotonicMs() - start < Subprocess.killDelayMs)
        #expect(!run.lines.contains("never"))
        #expect(child > 0)
        try waitUntil("the installer's own child to die", timeout: 5) { !isAlive(child) }
    }

    @Test func anInstallerThatIgnoresSIGTERMIsKilledFiveSecondsLater() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", "trap '' TERM\necho started\nwhile :; do sleep 1; done", in: directory)
        let run = try InstallerRun(installer)
        run.start { line in if line == "started" { run.process.terminate() } }
        let start = Clock.monotonicMs()
        try run.runToExit(limitMs: 15_000)
        #expect(run.exits == [128 + SIGKILL])
        #expect(Clock.monotonicMs() - start >= Subprocess.killDelayMs - 100)
    }

    @Test func aStartedSubprocessLivesUntilItHasReportedItsExit() throws {
        let reactor = Reactor()
        var exits: [Int32] = []
        do {
            let process = try Subprocess(template: "false", file: "-")
            process.onExit = { exits.append($0) }
            process.start(on: reactor)
        }
        try reactor.run(until: "the exit", limitMs: 5_000) { !exits.isEmpty }
        #expect(exits == [1])
    }

    @Test(arguments: ["/nonexistent/installer -i {file}", "no-such-installer-on-path {file}"])
    func aProgramThatDoesNotExistIsAnErrorNamingIt(template: String) throws {
        let error = #expect(throws: SystemError.self) { try Subprocess(template: template, file: "/x.swu") }
        let program = String(template.prefix { $0 != " " })
        #expect(error?.errno == ENOENT)
        #expect(error?.message == "cannot start \(program): No such file or directory")
    }

    @Test func aProgramThatIsNotExecutableIsAnError() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("installer", "#!/bin/sh\nexit 0\n")
        let error = #expect(throws: SystemError.self) { try Subprocess(template: path, file: "/x.swu") }
        #expect(error?.errno == EACCES)
        #expect(error?.message.contains(path) == true)
    }

    @Test(arguments: ["", "   ", "\t"])
    func anEmptyCommandIsAnError(template: String) throws {
        let error = #expect(throws: SystemError.self) { try Subprocess(template: template, file: "/x.swu") }
        #expect(error?.message == "the command to run is empty")
    }

    @Test func outputLargerThanThePipeBufferDoesNotDeadlockAndLongLinesAreCut() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", "head -c 10000 /dev/zero | tr '\\0' x\necho\nexec seq 1 200000",
                                   in: directory)
        let run = try InstallerRun(installer)
        run.start()
        try run.runToExit(limitMs: 30_000)
        #expect(run.exits == [0])
        #expect(run.lines.count == 200_001)
        #expect(run.lines.first == String(repeating: "x", count: Subprocess.maxLineBytes))
        #expect(run.lines.last == "200000")
    }

    /// The child gets none of the test's descriptors (even those without close-on-exec), its
    /// standard input is /dev/null, no signal blocked, none ignored but SIGPIPE (the agent
    /// ignores it, and the installer keeps that: it must outlive an agent that dies), and its
    /// own process group.
    @Test func theChildStartsCleanInItsOwnProcessGroup() throws {
        let directory = try TemporaryDirectory()
        let installer = try script("installer", """
            for fd in "$1" "$2"; do
                if [ -e /proc/$$/fd/$fd ]; then echo "inherited $fd"; else echo "closed $fd"; fi
            done
            echo "stdin $(readlink /proc/$$/fd/0)"
            grep -E '^Sig(Blk|Ign):' /proc/$$/status | tr -d '\\t'
            echo "pgid $(cut -d' ' -f5 /proc/$$/stat) pid $$"
            """, in: directory)
        let pipe = try Pipe()
        let high = fcntl(pipe.writeEnd, F_DUPFD, 300)  // no close-on-exec, and above dash's own 10
        #expect(high >= 300)
        defer { close(high) }
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        agent_ignore_signal(SIGPIPE)
        let run = try InstallerRun("\(installer) \(pipe.readEnd) \(high)")
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        run.start()
        try run.runToExit()
        #expect(run.lines == ["closed \(pipe.readEnd)", "closed \(high)", "stdin /dev/null",
                              "SigBlk:0000000000000000", "SigIgn:0000000000001000",
                              "pgid \(run.process.pid) pid \(run.process.pid)"])
        #expect(run.exits == [0])
    }
}

/// Whether process `pid` exists and is not a zombie.
private func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[close...].hasPrefix(") Z")
}
