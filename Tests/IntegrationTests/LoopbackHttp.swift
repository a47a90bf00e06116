import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP requests to one of the agent's servers on 127.0.0.1 (the LAN server, the OctoPrint API).
enum LoopbackHttp {
    /// An HTTP answer: the status, the `Location` header and the body parsed as a JSON object
    /// (empty when it is not one).
    struct Answer {
        let status: Int
        let json: [String: Any]
        let text: String
        var location: String? = nil
    }

    /// Sends `method` `path` (with its query) to 127.0.0.1:`port` and waits for the answer,
    /// failing when none comes within `timeout` seconds.
    static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
                        timeout: TimeInterval = 15) throws -> Answer {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw TestFailure("bad path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.data = data
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.location = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Location")
            outcome.error = error
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 5) == .success else {
            throw TestFailure("\(method) \(path): no answer in \(Int(timeout) + 5) s")
        }
        if let error = outcome.error { throw error }
        let data = outcome.data ?? Data()
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Answer(status: outcome.status, json: json, text: String(decoding: data, as: UTF8.self), location: outcome.location)
    }

    /// What URLSession's completion handler hands back, read once the semaphore says it ran.
    private final class Outcome: @unchecked Sendable {
        var data: Data?
        var status = 0
        var location: String?
        var error: Error?
    }
}
