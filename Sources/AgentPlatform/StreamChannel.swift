import CLibc

/// A byte stream to the motion controller (a serial port or a Unix socket), polled by the
/// reactor: what arrives goes to `onBytes`; what is written goes out at once or, when the
/// descriptor is full, waits in a bounded buffer until it can. The channel owns the
/// descriptor and closes it once, on `close()` or when the other end goes away.
public final class StreamChannel: PollSource {
    /// The most bytes kept waiting to be written; a controller that stops reading for that
    /// long is treated as gone.
    public static let maxPendingBytes = 1 << 20

    /// Bytes arrived (valid only during the call).
    public var onBytes: (UnsafeRawBufferPointer) -> Void = { _ in }
    /// The other end went away or the descriptor failed; says why. Called once.
    public var onClosed: (String) -> Void = { _ in }

    private var descriptor: Int32
    private var pending: [UInt8] = []
    /// Whether `onBytes` is running (writes wait for it to return).
    private var gathering = false
    private var readBuffer = [UInt8](repeating: 0, count: 4096)

    /// Takes over `descriptor` (made non-blocking here).
    public init(descriptor: Int32) {
        self.descriptor = descriptor
        _ = agent_set_nonblocking(descriptor)
    }

    deinit { if descriptor >= 0 { _ = CLibc.close(descriptor) } }

    /// Whether the descriptor is still open.
    public var isOpen: Bool { descriptor >= 0 }

    public var pollDescriptor: Int32 { descriptor }

    public var pollEvents: Int16 { Int16(POLLIN) | (pending.isEmpty ? 0 : Int16(POLLOUT)) }

    public func handle(events: Int16) {
        if events & Int16(POLLOUT) != 0 { flush() }
        if events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0, descriptor >= 0 { readAvailable() }
    }

    /// Sends `bytes`: written at once when possible, else kept in order behind what waits.
    /// While `onBytes` runs, writes are gathered and go out together when it returns: the
    /// replies to a burst of lines cost one write, not one each.
    public func write(_ bytes: [UInt8]) {
        guard descriptor >= 0 else { return }
        if gathering {
            pending.append(contentsOf: bytes)
        } else if pending.isEmpty {
            let written = bytes.withUnsafeBytes { CLibc.write(descriptor, $0.baseAddress, $0.count) }
            if written == bytes.count { return }
            if written < 0 {
                let error = agent_errno()
                if error != EAGAIN && error != EINTR {
                    fail("write: " + SystemError.describe(error))
                    return
                }
                pending.append(contentsOf: bytes)
            } else {
                pending.append(contentsOf: bytes[written...])
            }
        } else {
            pending.append(contentsOf: bytes)
        }
        checkBacklog()
    }

    /// Closes the descriptor without calling `onClosed`.
    public func close() {
        guard descriptor >= 0 else { return }
        _ = CLibc.close(descriptor)
        descriptor = -1
        pending.removeAll()
    }

    private func flush() {
        while !pending.isEmpty && descriptor >= 0 {
            let written = pending.withUnsafeBytes { CLibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                pending.removeFirst(written)
                continue
            }
            let error = agent_errno()
            if written < 0 && (error == EAGAIN || error == EINTR) { return }
            fail("write: " + SystemError.describe(error))
        }
    }

    private func readAvailable() {
        let count = readBuffer.withUnsafeMutableBytes { CLibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            gathering = true
            readBuffer.withUnsafeBytes { onBytes(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            gathering = false
            flush()
            checkBacklog()
            return
        }
        if count < 0 {
            let error = agent_errno()
            if error == EAGAIN || error == EINTR { return }
            fail("read: " + SystemError.describe(error))
        } else {
            fail("the other end closed the connection")
        }
    }

    /// Fails when more than `maxPendingBytes` wait to be written.
    private func checkBacklog() {
        if pending.count > Self.maxPendingBytes { fail("the controller stopped reading (\(pending.count) bytes waiting)") }
    }

    private func fail(_ reason: String) {
        guard descriptor >= 0 else { return }
        close()
        onClosed(reason)
    }
}
