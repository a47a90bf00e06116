import Foundation
import TestSupport

/// A hundred TCP clients that connect to one of the agent's HTTP servers (LAN mode's, the
/// OctoPrint-compatible API's) and say nothing: while they are held, the server must go on
/// answering and the agent its MQTT commands.
enum IdleConnections {
    /// How many idle clients.
    static let count = 100
    /// The loopback addresses they come from, 25 from each: under the server's 32
    /// connections from one address, and 100 in all under its 128, so that every one is
    /// accepted and held, and the probes (from 127.0.0.1) still have room.
    static let sources: [UInt8] = [2, 3, 4, 5]

    /// Opens the idle connections to `port`; while they are open, `harness`'s agent must
    /// answer an MQTT query and the server `probe` (given the seconds of one attempt, it says
    /// whether the answer was right, and what came). Each attempt gets a few seconds, so
    /// one request lost on a loaded machine does not use up the wait; the wait stays
    /// shorter than the server's 30 s idle timeout, so the idle clients are still held when
    /// the server answers (checked at the end). A failure quotes the last answer and the
    /// end of the agent's log.
    static func check(port: Int, harness: Harness, server: String,
                      probe: (_ timeout: TimeInterval) throws -> (ok: Bool, got: String)) throws {
        var idle: [RawConnection] = []
        for index in 0..<count { idle.append(try RawConnection(port: port, source: sources[index % sources.count])) }
        var last = "no attempt"
        do {
            let answer = try harness.ask("status", "query")
            guard answer.json?["code"] as? Int == 200 else {
                throw TestFailure("no MQTT answer with \(count) idle connections open to \(server): \(answer.json ?? [:])")
            }
            try waitUntil("\(server) to answer with \(count) idle connections open", timeout: 20) {
                do {
                    let (ok, got) = try probe(3)
                    last = got
                    return ok
                } catch {
                    last = "\(error)"
                    return false
                }
            }
            let dropped = idle.filter { !$0.isOpen }.count
            guard dropped == 0 else { throw TestFailure("\(server) closed \(dropped) of the \(count) idle connections") }
        } catch {
            throw TestFailure("\(error); the last attempt: \(last); the agent's log ends:\n\(harness.agent.log.suffix(3000))")
        }
    }
}
