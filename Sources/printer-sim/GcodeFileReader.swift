import Glibc

/// Reads a G-code file line by line in 64 KB chunks, knowing how many bytes the lines
/// returned so far took (virtual_sdcard's `file_position`).
final class GcodeFileReader {
    /// The file's size in bytes.
    let size: Int
    /// Bytes consumed: the offset just after the last line returned.
    private(set) var position = 0
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var atEnd = false

    /// Opens `path`, which must be a regular file.
    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SystemError(message: "\(path) is not a regular file")
        }
        size = Int(status.st_size)
    }

    deinit {
        close(fd)
    }

    /// The next line without its line end, nil at the end of the file.
    func nextLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                return take(newline + 1, lineLength: newline)
            }
            if atEnd {
                return buffer.isEmpty ? nil : take(buffer.count, lineLength: buffer.count)
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer += chunk[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                atEnd = true
            }
        }
    }

    /// Removes `consumed` bytes from the buffer and returns the first `lineLength` as text
    /// (without a trailing `\r`).
    private func take(_ consumed: Int, lineLength: Int) -> String {
        var line = Array(buffer[0..<lineLength])
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        buffer.removeFirst(consumed)
        position += consumed
        return String(decoding: line, as: UTF8.self)
    }
}
