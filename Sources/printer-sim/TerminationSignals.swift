import Glibc

/// The write end of the pipe the signal handler writes to (set before the handler is installed).
private nonisolated(unsafe) var terminationPipeWriteEnd: Int32 = -1

/// Turns SIGTERM and SIGINT into bytes on a pipe that the event loop watches, so the
/// simulator stops between two events and cleans up (the self-pipe trick).
enum TerminationSignals {
    /// Installs the handlers and calls `handler` on the loop when a signal arrives. Also
    /// ignores SIGPIPE: a client that goes away must not kill the simulator.
    static func install(on loop: EventLoop, _ handler: @escaping () -> Void) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SystemError("pipe") }
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        terminationPipeWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(terminationPipeWriteEnd, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        signal(SIGPIPE, SIG_IGN)
        let readEnd = ends[0]
        loop.watch(readEnd) { _ in
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) > 0 {}
            handler()
        }
    }
}
