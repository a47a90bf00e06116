import AgentJSON
import Foundation

/// A raw client of a Klipper API socket (the simulator's or Klippy's): JSON frames ended by 0x03, requests
/// with ids, replies matched by id, pushes and id-less frames kept in order of arrival.
public final class KlipperConnection {
    private let fd: Int32
    private var pending: [UInt8] = []
    private var nextID = 1
    /// Frames received that were not claimed as replies yet, in order.
    public private(set) var unclaimed: [JSONValue] = []
    /// Whether the server closed the connection.
    public private(set) var isClosed = false

    /// Connects to the socket at `path`.
    public init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect \(path): errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends bytes as they are (a frame must end with 0x03).
    public func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends a request with a fresh id and `params` given as JSON text; returns the id.
    @discardableResult
    public func request(_ method: String, _ params: String? = nil) -> Int {
        let id = nextID
        nextID += 1
        let paramsMember = params.map { ",\"params\":\($0)" } ?? ""
        sendRaw(Array("{\"id\":\(id),\"method\":\"\(method)\"\(paramsMember)}".utf8) + [0x03])
        return id
    }

    /// Waits for the reply to request `id`.
    public func reply(to id: Int, timeout: TimeInterval = 5) throws -> JSONValue {
        try take(timeout: timeout, "the reply to request \(id)") { $0["id"] == .int(id) }
    }

    /// Sends a request and waits for its reply.
    public func call(_ method: String, _ params: String? = nil, timeout: TimeInterval = 5) throws -> JSONValue {
        try reply(to: request(method, params), timeout: timeout)
    }

    /// Sends a request and returns the result of its reply; fails on an error reply.
    public func result(_ method: String, _ params: String? = nil, timeout: TimeInterval = 5) throws -> JSONValue {
        let answer = try call(method, params, timeout: timeout)
        guard let result = answer["result"] else { throw TestFailure("\(method) failed: \(JSONCodec.print(answer))") }
        return result
    }

    /// Sends a request and returns the message of its error reply; fails on a result.
    public func errorMessage(_ method: String, _ params: String? = nil, timeout: TimeInterval = 5) throws -> String {
        let answer = try call(method, params, timeout: timeout)
        guard let message = answer["error"]?["message"]?.stringValue else {
            throw TestFailure("\(method) did not fail: \(JSONCodec.print(answer))")
        }
        return message
    }

    /// Runs a G-code script and fails unless it succeeds.
    public func script(_ script: String, timeout: TimeInterval = 5) throws {
        _ = try result("gcode/script", "{\"script\":\(JSONCodec.print(.string(script)))}", timeout: timeout)
    }

    /// The full status of `object` now.
    public func status(_ object: String) throws -> JSONValue {
        let result = try self.result("objects/query", "{\"objects\":{\"\(object)\":null}}")
        guard let status = result["status"]?[object] else { throw TestFailure("no \(object) in \(JSONCodec.print(result))") }
        return status
    }

    /// Polls `object` until `condition` holds for its status, and returns that status.
    @discardableResult
    public func waitForStatus(_ object: String, timeout: TimeInterval = 10, _ condition: (JSONValue) -> Bool) throws -> JSONValue {
        var last = JSONValue.null
        do {
            try waitUntil("a matching status of \(object)", timeout: timeout) {
                last = (try? status(object)) ?? .null
                return condition(last)
            }
        } catch {
            throw TestFailure("\(error); last: \(JSONCodec.print(last))")
        }
        return last
    }

    /// Waits for the next frame that satisfies `predicate` (and removes it from `unclaimed`).
    public func take(timeout: TimeInterval = 5, _ what: String = "a frame", where predicate: (JSONValue) -> Bool) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = unclaimed.firstIndex(where: predicate) { return unclaimed.remove(at: index) }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, !isClosed else {
                throw TestFailure("no \(what) within \(timeout) s; received: \(unclaimed.map(JSONCodec.print))")
            }
            fill(waitingUpTo: remaining)
        }
    }

    /// Waits until the simulator's own clock (the `eventtime` of its query replies) has
    /// advanced by `seconds`. The simulator runs one loop and writes frames in order, so
    /// whatever it was due to do in that time (a push, a move) is done, and its pushes
    /// received, by the reply that shows the time has passed: a test can then check that
    /// something did not happen, with no sleep of its own deciding it.
    public func waitForSimulatorClock(toAdvanceBy seconds: Double, timeout: TimeInterval = 10) throws {
        func eventtime() throws -> Double {
            guard let time = try result("objects/query", #"{"objects":{"webhooks":["state"]}}"#)["eventtime"]?.doubleValue
            else { throw TestFailure("an objects/query reply without eventtime") }
            return time
        }
        let start = try eventtime()
        try waitUntil("the simulator's clock \(seconds) s past \(start)", timeout: timeout) {
            ((try? eventtime()) ?? start) >= start + seconds
        }
    }

    /// The frames received so far (what has arrived is read, nothing is waited for) and not
    /// claimed as replies, removed from `unclaimed`.
    public func unclaimedFramesNow() -> [JSONValue] {
        while !isClosed && fill(waitingUpTo: 0) {}
        defer { unclaimed = [] }
        return unclaimed
    }

    /// Waits up to `timeout` for the server to close the connection.
    public func waitForClose(timeout: TimeInterval = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !isClosed && deadline.timeIntervalSinceNow > 0 {
            fill(waitingUpTo: deadline.timeIntervalSinceNow)
        }
        return isClosed
    }

    /// Waits up to `seconds` for bytes and cuts what arrives into frames; returns whether
    /// any bytes came.
    @discardableResult
    private func fill(waitingUpTo seconds: TimeInterval) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = seconds <= 0 ? 0 : Int32(max(1, min(seconds, 1) * 1000))
        guard poll(&descriptor, 1, milliseconds) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else {
            isClosed = true
            return false
        }
        pending += chunk[0..<count]
        while let end = pending.firstIndex(of: 0x03) {
            let frame = Array(pending[..<end])
            pending.removeFirst(end + 1)
            unclaimed.append((try? JSONCodec.parse(frame)) ?? .string(String(decoding: frame, as: UTF8.self)))
        }
        return true
    }
}
