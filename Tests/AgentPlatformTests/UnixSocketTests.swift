import AgentPlatform
import CLibc
import Foundation
import Testing
import TestSupport

/// A Unix stream socket bound at `path` (listening unless told not to), closed when dropped.
private final class ListeningSocket {
    let descriptor: Int32

    init(_ path: String, listening: Bool = true) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(SystemError.describe(agent_errno()))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw TestFailure("path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, !listening || listen(descriptor, 4) == 0 else {
            let error = SystemError.describe(agent_errno())
            close(descriptor)
            throw TestFailure("bind/listen \(path): \(error)")
        }
    }

    deinit { close(descriptor) }

    /// Accepts the connection waiting in the backlog.
    func accept() throws -> Int32 {
        let connection = CLibc.accept(descriptor, nil, nil)
        guard connection >= 0 else { throw TestFailure("accept: \(SystemError.describe(agent_errno()))") }
        return connection
    }
}

/// Writes `text` to `descriptor` and reads from `other` what arrived (both ends are local, so
/// the bytes are there as soon as write returns).
private func send(_ text: String, from descriptor: Int32, to other: Int32) -> String {
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    #expect(written == bytes.count)
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { read(other, $0.baseAddress, $0.count) }
    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
}

/// The `flags` of `descriptor` as /proc/self/fdinfo shows them (octal open flags).
private func openFlags(_ descriptor: Int32) throws -> Int {
    let info = try String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8)
    let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags:") })
    return try #require(Int(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8))
}

/// Connecting to the motion controller's Unix stream socket.
@Suite struct UnixSocketTests {
    @Test func connectsAndBytesFlowBothWays() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/unix_uds1"
        let listener = try ListeningSocket(path)
        let client = try UnixSocket.connect(path)
        defer { close(client) }
        let server = try listener.accept()
        defer { close(server) }
        #expect(send("{\"id\":1}\u{3}", from: client, to: server) == "{\"id\":1}\u{3}")
        #expect(send("{\"id\":1,\"result\":{}}\u{3}", from: server, to: client) == "{\"id\":1,\"result\":{}}\u{3}")
    }

    @Test func theDescriptorIsNonBlockingAndCloseOnExec() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/klippy_uds"
        let listener = try ListeningSocket(path)
        let client = try UnixSocket.connect(path)
        defer { close(client) }
        let flags = try openFlags(client)
        #expect(flags & Int(O_NONBLOCK) != 0)
        #expect(flags & Int(O_CLOEXEC) != 0)
        var byte: UInt8 = 0
        #expect(read(client, &byte, 1) == -1)
        #expect(agent_errno() == EAGAIN)
        _ = listener
    }

    @Test func aMissingSocketSaysItIsNotThere() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/unix_uds1"
        let error = try #require(connectError(path))
        #expect(error.errno == ENOENT)
        #expect(error.call == "connect \(path)")
        #expect(error.message.hasPrefix("connect \(path): the controller's socket is not there"))
    }

    /// A socket bound and never listened on, and one whose listener closed (the file stays).
    @Test(arguments: [false, true])
    func aSocketNobodyListensOnSaysSo(listenedThenClosed: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/unix_uds1"
        var socket: ListeningSocket? = try ListeningSocket(path, listening: listenedThenClosed)
        if listenedThenClosed { socket = nil }
        let error = try #require(connectError(path))
        #expect(error.errno == ECONNREFUSED)
        #expect(error.message.hasPrefix("connect \(path): nobody listens on the controller's socket"))
        _ = socket
    }

    @Test func aFileThatIsNotASocketIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("plain", "not a socket")
        let error = try #require(connectError(path))
        #expect(error.errno != 0)
        #expect(error.message.hasPrefix("connect \(path): "))
    }

    @Test func anOverlongPathIsRefusedBeforeAnySocketIsMade() throws {
        let path = "/tmp/" + String(repeating: "d", count: 200) + "/unix_uds1"
        let error = try #require(connectError(path))
        #expect(error.errno == ENAMETOOLONG)
        #expect(error.message == "connect \(path): the path is \(path.utf8.count) bytes, longer than the 107 a Unix socket address holds")
    }

    @Test func thePathThatJustFitsWorks() throws {
        let directory = try TemporaryDirectory()
        let padding = 107 - directory.path.utf8.count - 1
        try #require(padding > 0)
        let path = directory.path + "/" + String(repeating: "s", count: padding)
        let listener = try ListeningSocket(path)
        let client = try UnixSocket.connect(path)
        close(client)
        _ = listener
    }

    @Test(arguments: ["", "/tmp/a\u{0}b"])
    func anEmptyPathOrOneWithANulByteIsRefused(path: String) throws {
        let error = try #require(connectError(path))
        #expect(error.errno == EINVAL)
    }

    /// Other tests open descriptors meanwhile, so the check allows for some; 300 leaked
    /// descriptors would show.
    @Test func failedConnectsLeaveNoDescriptorOpen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/unix_uds1"
        _ = try ListeningSocket(path, listening: false)
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for _ in 0..<300 { _ = connectError(path) }
        let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        #expect(after < before + 100)
    }
}

/// The error of connecting to `path`, or nil when it connects (that descriptor is closed).
private func connectError(_ path: String) -> SystemError? {
    do {
        close(try UnixSocket.connect(path))
        return nil
    } catch {
        return error
    }
}
