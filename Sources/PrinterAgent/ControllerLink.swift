import AgentCore
import AgentPlatform

/// The byte stream to the motion controller that both backends share: opens it (the
/// serial port, the Klipper socket), retries every second while it cannot, cuts what
/// arrives into frames, and says when it opens and closes. A reason for not being open is
/// logged once when it changes, not every second.
final class ControllerLink: ByteLink {
    /// How long to wait before opening again.
    static let retryMs: Int64 = 1_000

    /// The link opened.
    var onOpen: () -> Void = {}
    /// A frame arrived.
    var onFrame: (ByteFrameSplitter.Frame) -> Void = { _ in }
    /// The link closed (the other end went away, or `close` was called); says why.
    var onClosed: (String) -> Void = { _ in }

    /// Why the link is not open (or was last closed).
    private(set) var problem = "not connected yet"
    private let what: String
    private let logger: Logger
    private let open: () throws(SystemError) -> Int32
    private var splitter: ByteFrameSplitter
    private var channel: StreamChannel?
    private var reactor: Reactor?

    /// A link to `what` (for log lines) opened by `open`, with frames ended by `delimiter`.
    init(_ what: String, delimiter: UInt8, maxFrame: Int, logger: Logger,
         open: @escaping () throws(SystemError) -> Int32) {
        self.what = what
        self.logger = logger
        self.open = open
        splitter = ByteFrameSplitter(delimiter: delimiter, maxLength: maxFrame)
    }

    /// Whether the link is open.
    var isOpen: Bool { channel?.isOpen ?? false }

    /// Opens the link now and keeps reopening it while it is closed.
    func start(on reactor: Reactor) {
        self.reactor = reactor
        attempt()
        reactor.every(Self.retryMs) { [self] in
            if !isOpen { attempt() }
        }
    }

    /// Writes `bytes` when open (dropped otherwise: the backend learns of the close).
    func write(_ bytes: [UInt8]) { channel?.write(bytes) }

    /// Closes the link for `reason`; it is opened again after `retryMs`.
    func close(_ reason: String) {
        guard let channel, channel.isOpen else { return }
        channel.close()
        closed(reason)
    }

    private func attempt() {
        let descriptor: Int32
        do {
            descriptor = try open()
        } catch {
            note(error.message)
            return
        }
        let channel = StreamChannel(descriptor: descriptor)
        splitter.reset()
        channel.onBytes = { [unowned(unsafe) self] bytes in splitter.push(bytes) { onFrame($0) } }
        channel.onClosed = { [unowned(unsafe) self] reason in closed(reason) }
        if let old = self.channel { reactor?.remove(old) }
        self.channel = channel
        reactor?.add(channel)
        problem = ""
        logger.log(.info, "connected to " + what)
        onOpen()
    }

    private func closed(_ reason: String) {
        if let channel { reactor?.remove(channel) }
        channel = nil
        note(reason)
        onClosed(reason)
    }

    private func note(_ reason: String) {
        if reason != problem { logger.log(problem.isEmpty ? .warning : .info, what + ": " + reason) }
        problem = reason
    }
}
