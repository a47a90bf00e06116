import AgentPlatform
import Foundation
import Testing

/// SIGTERM and SIGINT through a signalfd polled by the reactor; SIGPIPE ignored.
@Suite struct SignalWatcherTests {
    /// The signals are raised at this thread only (a process-directed one could be delivered
    /// to another thread of the test process and kill it), and only once the watcher is seen
    /// to have blocked them here. The test's worker thread may have them blocked already, so
    /// they are unblocked first: the watcher must block them itself.
    @Test func sigtermAndSigintReachTheCallbackThroughTheReactor() throws {
        try #require(changeMaskOfThisThread(SIG_UNBLOCK, [SIGTERM, SIGINT]))
        let reactor = Reactor()
        let thread = pthread_self()
        var received: [Int32] = []
        let watcher = try SignalWatcher { [unowned reactor] number in
            received.append(number)
            if number == SIGTERM {
                pthread_kill(thread, SIGINT)
            } else {
                reactor.stop()
            }
        }
        try #require(blockedOnThisThread(SIGTERM), "SIGTERM is not blocked: raising it would kill the tests")
        try #require(blockedOnThisThread(SIGINT), "SIGINT is not blocked: raising it would kill the tests")
        reactor.add(watcher)
        #expect(received.isEmpty)
        try #require(pthread_kill(thread, SIGTERM) == 0)
        try reactor.runWithSafetyStop()
        #expect(received == [SIGTERM, SIGINT])
    }

    /// SIGPIPE is first given a handler that does nothing (so that the test process survives
    /// whatever happens), then the watcher must have replaced it with "ignore".
    @Test func sigpipeIsIgnoredSoAWriteToAClosedPipeFailsWithEPIPE() throws {
        var harmless = sigaction()
        harmless.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&harmless.sa_mask)
        try #require(sigaction(SIGPIPE, &harmless, nil) == 0)
        let watcher = try SignalWatcher { _ in }
        #expect(handlerAddress(SIGPIPE) == unsafeBitCast(SIG_IGN, to: Int.self), "SIGPIPE is not ignored")

        let pipe = try Pipe()
        pipe.closeReadEnd()
        let written = pipe.write("x")
        let error = errno
        #expect(written == -1)
        #expect(error == EPIPE)
        _ = watcher
    }

    private func changeMaskOfThisThread(_ how: Int32, _ signals: [Int32]) -> Bool {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return pthread_sigmask(how, &set, nil) == 0
    }

    private func blockedOnThisThread(_ signal: Int32) -> Bool {
        var mask = sigset_t()
        return pthread_sigmask(SIG_BLOCK, nil, &mask) == 0 && sigismember(&mask, signal) == 1
    }

    private func handlerAddress(_ signal: Int32) -> Int {
        var current = sigaction()
        sigaction(signal, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    }
}
