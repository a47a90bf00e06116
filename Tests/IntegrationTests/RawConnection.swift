import Foundation
import TestSupport

/// A raw TCP connection to 127.0.0.1, for clients that stop half way or say nothing.
final class RawConnection {
    private var fd: Int32

    /// Connects to 127.0.0.1:`port`, from the loopback address 127.0.0.`source` (the
    /// server's per-address limit counts each source apart).
    init(port: Int, source: UInt8 = 1) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = (UInt32(0x7F00_0000) | UInt32(source)).bigEndian
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestFailure("bind to 127.0.0.\(source): errno \(errno)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect to \(port): errno \(errno)")
        }
    }

    deinit { hangUp() }

    /// Whether the server still holds the connection: it has not closed it (nothing to read
    /// yet, or unread bytes, without the end of the stream).
    var isOpen: Bool {
        guard fd >= 0 else { return false }
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count > 0 || (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    }

    /// Closes the connection: the client goes away.
    func hangUp() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Writes `data` whole (false when the server closed the connection meanwhile).
    @discardableResult
    func send(_ data: Data) -> Bool {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { buffer in
                buffer.baseAddress.map { Glibc.send(fd, $0 + offset, buffer.count - offset, Int32(MSG_NOSIGNAL)) } ?? -1
            }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Everything the server sends until it closes the connection or `timeout` seconds pass.
    func receiveAll(timeout: Int = 15) -> String {
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }
}
