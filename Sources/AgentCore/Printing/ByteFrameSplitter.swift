/// Cuts a byte stream into frames ended by one delimiter byte: lines ended by `\n` from a
/// serial port (a trailing `\r` is dropped too), or Klipper API messages ended by 0x03.
/// Bytes arrive in any chunking; a frame longer than `maxLength` is cut there and flagged,
/// so a controller that never sends the delimiter cannot make the agent's memory grow.
public struct ByteFrameSplitter {
    /// One complete frame, without its delimiter.
    public struct Frame: Equatable {
        /// The frame's bytes (at most `maxLength`).
        public var bytes: [UInt8]
        /// Whether the frame was longer than `maxLength` and its rest was dropped.
        public var truncated: Bool

        /// A frame of `bytes` (cut short when `truncated`).
        public init(bytes: [UInt8], truncated: Bool = false) {
            self.bytes = bytes
            self.truncated = truncated
        }
    }

    /// The byte that ends a frame.
    public let delimiter: UInt8
    /// The longest frame kept.
    public let maxLength: Int
    private var pending: [UInt8] = []
    private var overflowing = false

    /// Creates a splitter for frames ended by `delimiter`, of at most `maxLength` bytes.
    public init(delimiter: UInt8, maxLength: Int) {
        self.delimiter = delimiter
        self.maxLength = maxLength
    }

    /// Frames ended by a newline (a `\r` before it is dropped).
    public static func lines(maxLength: Int = 4096) -> ByteFrameSplitter {
        ByteFrameSplitter(delimiter: UInt8(ascii: "\n"), maxLength: maxLength)
    }

    /// Adds `bytes` and calls `frame` for every frame they complete, in order.
    public mutating func push(_ bytes: UnsafeRawBufferPointer, _ frame: (Frame) -> Void) {
        for byte in bytes {
            if byte == delimiter {
                if delimiter == UInt8(ascii: "\n"), pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                frame(Frame(bytes: pending, truncated: overflowing))
                pending.removeAll(keepingCapacity: true)
                overflowing = false
            } else if pending.count < maxLength {
                pending.append(byte)
            } else {
                overflowing = true
            }
        }
    }

    /// Adds `bytes` (an array) and calls `frame` for every frame they complete.
    public mutating func push(_ bytes: [UInt8], _ frame: (Frame) -> Void) {
        bytes.withUnsafeBytes { push($0, frame) }
    }

    /// Forgets a partial frame (after a reconnect, the rest of it will never come).
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        overflowing = false
    }
}
