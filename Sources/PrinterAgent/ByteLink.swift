import AgentCore
import AgentPlatform

/// The byte stream to the motion controller as a backend sees it: frames in, bytes out,
/// and word of it opening and closing. `ControllerLink` is the real one (the serial port,
/// the Klipper socket); tests give a backend a link of their own and play the controller.
protocol ByteLink: AnyObject {
    /// The link opened.
    var onOpen: () -> Void { get set }
    /// A frame arrived.
    var onFrame: (ByteFrameSplitter.Frame) -> Void { get set }
    /// The link closed (the other end went away, or `close` was called); says why.
    var onClosed: (String) -> Void { get set }
    /// Whether the link is open.
    var isOpen: Bool { get }
    /// Why the link is not open (or was last closed).
    var problem: String { get }
    /// Opens the link now and keeps reopening it while it is closed.
    func start(on reactor: Reactor)
    /// Writes `bytes` when open (dropped otherwise: the backend learns of the close).
    func write(_ bytes: [UInt8])
    /// Closes the link for `reason`; it is opened again later.
    func close(_ reason: String)
}
