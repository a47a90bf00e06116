import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few HTTP requests printerctl makes (the LAN handshake and uploads), each waited for
/// with a timeout, every failure a `CtlError.connection` naming the URL.
enum HTTP {
    /// An answer: the status and the body parsed as a JSON object (empty when it is not one).
    struct Answer {
        let status: Int
        let json: [String: Any]
        let text: String
    }

    /// Sends `request` (its body from `bodyFile` when given) and waits up to `timeout`
    /// seconds for the whole answer.
    static func send(_ request: URLRequest, bodyFile: URL? = nil, timeout: TimeInterval) throws -> Answer {
        var request = request
        request.timeoutInterval = timeout
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let finish: @Sendable (Data?, URLResponse?, Error?) -> Void = { data, response, error in
            outcome.data = data
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.error = error
            done.signal()
        }
        let task = bodyFile.map { URLSession.shared.uploadTask(with: request, fromFile: $0, completionHandler: finish) }
            ?? URLSession.shared.dataTask(with: request, completionHandler: finish)
        task.resume()
        let where_ = request.url?.absoluteString ?? "?"
        guard done.wait(timeout: .now() + timeout + 5) == .success else {
            task.cancel()
            throw CtlError.timeout("no answer from \(where_) within \(Int(timeout)) s")
        }
        if let error = outcome.error {
            throw CtlError.connection("cannot reach \(where_): \(error.localizedDescription)")
        }
        let data = outcome.data ?? Data()
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Answer(status: outcome.status, json: json, text: String(decoding: data, as: UTF8.self))
    }

    /// What the completion handler hands back, read once the semaphore says it ran.
    private final class Outcome: @unchecked Sendable {
        var data: Data?
        var status = 0
        var error: Error?
    }
}
