import Glibc

/// A listening Unix stream socket on the event loop that hands every accepted connection
/// to `onAccept`.
final class UnixSocketServer {
    private let fd: Int32
    private let path: String
    private let loop: EventLoop

    /// Binds `path` (removing a stale socket there first, but nothing else) and listens.
    init(path: String, loop: EventLoop, onAccept: @escaping (Int32) -> Void) throws {
        self.path = path
        self.loop = loop
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw SystemError(message: "--socket \(path): path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw SystemError(message: "--socket \(path): exists and is not a socket")
            }
            unlink(path)
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let error = SystemError("bind \(path)")
            Glibc.close(fd)
            throw error
        }
        let listener = fd
        loop.watch(listener) { _ in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                onAccept(client)
            }
        }
    }

    /// Stops listening and removes the socket file.
    func close() {
        loop.unwatch(fd)
        Glibc.close(fd)
        unlink(path)
    }
}
