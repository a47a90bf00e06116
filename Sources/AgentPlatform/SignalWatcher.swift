import CLibc

/// Delivers SIGTERM and SIGINT through a signalfd polled by the reactor, so a signal is
/// handled between two handlers like any other event (no async-signal-safety concerns).
/// SIGPIPE is ignored: a broken socket is an error return, not a death.
public final class SignalWatcher: PollSource {
    private let descriptor: Int32
    private let onSignal: (Int32) -> Void

    /// Blocks SIGTERM and SIGINT and watches them; `onSignal` gets the signal number.
    public init(onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        agent_ignore_signal(SIGPIPE)
        let watched: [Int32] = [SIGTERM, SIGINT]
        for number in watched where agent_block_signal(number) != 0 {
            throw SystemError.fromErrno("sigprocmask")
        }
        let fd = watched.withUnsafeBufferPointer { agent_signalfd($0.baseAddress, Int32($0.count)) }
        if fd < 0 { throw SystemError.fromErrno("signalfd") }
        descriptor = fd
        self.onSignal = onSignal
    }

    deinit { close(descriptor) }

    public var pollDescriptor: Int32 { descriptor }
    public var pollEvents: Int16 { Int16(POLLIN) }

    public func handle(events: Int16) {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while withUnsafeMutableBytes(of: &info, { read(descriptor, $0.baseAddress, size) }) == size {
            onSignal(Int32(info.ssi_signo))
        }
    }
}
