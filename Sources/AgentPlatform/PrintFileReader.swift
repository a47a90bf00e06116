import CLibc
import AgentCore

/// Reads a G-code file line by line for streaming to a Marlin board, in 64 KiB `pread`
/// chunks, so a print of any size needs the same little memory. `position` is how far the
/// lines handed out reach, which is the print's progress. Owns the descriptor.
public final class PrintFileReader {
    /// The chunk read at a time; a line longer than this is handed out in pieces.
    static let chunkSize = 65_536

    /// The file's size in bytes when it was opened.
    public let size: Int64
    /// The bytes consumed: the end of the last line handed out.
    public private(set) var position: Int64 = 0
    private let descriptor: Int32
    private let name: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    /// Takes over `descriptor` (a regular file opened for reading); `name` names it in errors.
    public init(descriptor: Int32, name: String) throws(SystemError) {
        var status = stat()
        if fstat(descriptor, &status) != 0 {
            let error = SystemError.fromErrno("fstat " + name)
            _ = close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.name = name
        size = Int64(status.st_size)
        buffer.reserveCapacity(Self.chunkSize)
    }

    deinit { _ = close(descriptor) }

    /// The next line without its newline, or nil at the end of the file.
    public func nextLine() throws(SystemError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                return take(upTo: newline, skipping: 1)
            }
            if atEnd {
                return start < buffer.count ? take(upTo: buffer.count, skipping: 0) : nil
            }
            if start == 0 && buffer.count >= Self.chunkSize {
                return take(upTo: buffer.count, skipping: 0)
            }
            try refill()
        }
    }

    private func take(upTo end: Int, skipping: Int) -> ArraySlice<UInt8> {
        let line = buffer[start..<end]
        start = end + skipping
        position += Int64(end + skipping - line.startIndex)
        return line
    }

    /// Moves the unread rest to the front and appends the next chunk.
    private func refill() throws(SystemError) {
        buffer.removeFirst(start)
        start = 0
        let have = buffer.count
        let offset = position + Int64(have)
        buffer.append(contentsOf: repeatElement(0, count: Self.chunkSize - have))
        let got = try retryingEINTR("read " + name) {
            buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress.map { $0 + have }, Self.chunkSize - have, off_t(offset)) }
        }
        buffer.removeLast(Self.chunkSize - have - got)
        if got == 0 { atEnd = true }
    }
}

extension PrintFileReader: PrintFileLines {
    /// The sentence of a read error: the system call and its errno's text.
    public static func message(of error: SystemError) -> String { error.message }
}
