import Glibc

/// A non-blocking descriptor on the event loop: bytes read are handed to `onBytes` as
/// they come; bytes sent are written at once, and what the descriptor does not take yet
/// waits in a bounded buffer until it becomes writable.
final class ByteChannel {
    /// What happens when the unsent bytes pass the limit.
    enum Overflow {
        /// Drop the oldest bytes, as a serial line with nobody reading loses them.
        case dropOldest
        /// Close the channel, as a server does with a client that does not read.
        case close
    }

    /// The descriptor (closed by `close()`).
    let fd: Int32
    private let loop: EventLoop
    private let limit: Int
    private let overflow: Overflow
    private var unsent: [UInt8] = []
    /// Receives every chunk of bytes read.
    var onBytes: ([UInt8]) -> Void = { _ in }
    /// Called once when the channel closes because of end of file or an error.
    var onClose: () -> Void = {}
    /// Whether the descriptor is still open.
    private(set) var isOpen = true

    /// Takes over `fd` (made non-blocking) and starts watching it.
    init(fd: Int32, loop: EventLoop, limit: Int, overflow: Overflow) {
        self.fd = fd
        self.loop = loop
        self.limit = limit
        self.overflow = overflow
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        loop.watch(fd) { [weak self] events in self?.handle(events) }
    }

    deinit {
        if isOpen {
            loop.unwatch(fd)
            Glibc.close(fd)
        }
    }

    /// Writes `bytes`, keeping what the descriptor does not take yet.
    func send(_ bytes: [UInt8]) {
        guard isOpen else { return }
        unsent += bytes
        flush()
        if unsent.count > limit {
            switch overflow {
            case .dropOldest: unsent.removeFirst(unsent.count - limit)
            case .close: close()
            }
        }
    }

    /// Closes the descriptor without calling `onClose`.
    func close() {
        guard isOpen else { return }
        isOpen = false
        unsent = []
        loop.unwatch(fd)
        Glibc.close(fd)
    }

    /// Writes what waits when writable, reads what came when readable.
    private func handle(_ events: Int16) {
        if events & Int16(POLLOUT) != 0 { flush() }
        if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readAvailable() }
    }

    /// Reads until the descriptor would block; end of file or an error closes the channel.
    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while isOpen {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                onBytes(Array(chunk[0..<count]))
            } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
                return
            } else {
                close()
                onClose()
            }
        }
    }

    /// Writes as much of the unsent bytes as the descriptor takes, and waits for POLLOUT
    /// while some are left.
    private func flush() {
        while isOpen && !unsent.isEmpty {
            let written = unsent.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                unsent.removeFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && errno == EAGAIN {
                break
            } else {
                close()
                onClose()
                return
            }
        }
        if isOpen { loop.setEvents(fd, Int16(unsent.isEmpty ? POLLIN : POLLIN | POLLOUT)) }
    }
}
