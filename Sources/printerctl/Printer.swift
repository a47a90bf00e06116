import Foundation

/// One printer reached through its broker: sends commands on its command topics and reads
/// what it publishes (docs/protocol.md). Every wait is bounded by the settings' timeout,
/// and a printer whose retained will says offline fails at once.
final class Printer {
    let modelId: String
    let deviceId: String
    let timeout: TimeInterval
    /// The handshake, when the printer was reached through it (for its upload URL).
    let handshake: LanHandshake?
    private let client: BrokerClient
    /// How far `next` has read the messages.
    private var cursor = 0

    static let prefix = "anycubic/anycubicCloud/v1/"

    /// Connects as `settings` say: the LAN handshake when a host is given, else the broker URL.
    init(_ settings: ConnectionSettings) throws {
        timeout = settings.timeout
        let url: BrokerURL, username: String?, password: String?
        if let host = settings.host {
            let lan = try LanHandshake(host: host, port: settings.port, timeout: settings.timeout)
            handshake = lan
            (url, username, password) = (lan.broker, lan.username, lan.password)
            modelId = settings.modelId ?? lan.modelId
            deviceId = settings.deviceId ?? lan.deviceId
        } else {
            handshake = nil
            url = try BrokerURL(settings.broker ?? "")
            (username, password) = (settings.username, settings.password)
            guard let model = settings.modelId, let device = settings.deviceId else {
                throw CtlError.usage("with --broker, give --model-id and --device-id (or model_id and device_id in the config file)")
            }
            (modelId, deviceId) = (model, device)
        }
        client = try BrokerClient(url: url, username: username, password: password, timeout: settings.timeout)
        try client.subscribe(reportPrefix + "#", timeout: settings.timeout)
    }

    /// Where the printer publishes: `.../printer/public/<model>/<device>/`.
    var reportPrefix: String { "\(Self.prefix)printer/public/\(modelId)/\(deviceId)/" }

    /// The report type of `message` (the topic level before `report`), nil for other topics.
    func reportType(_ message: PrinterMessage) -> String? {
        guard message.topic.hasPrefix(reportPrefix), message.topic.hasSuffix("/report") else { return nil }
        return message.topic.dropFirst(reportPrefix.count).split(separator: "/").first.map(String.init)
    }

    /// Sends `type`/`action` with `data` and a fresh msgid; returns the msgid.
    @discardableResult
    func send(_ type: String, _ action: String, data: [String: Any]? = nil) throws -> String {
        let msgid = UUID().uuidString.lowercased()
        let envelope: [String: Any] = ["type": type, "action": action, "msgid": msgid,
                                       "timestamp": Int64(Date().timeIntervalSince1970 * 1000), "data": data ?? NSNull()]
        let payload = try JSONSerialization.data(withJSONObject: envelope)
        try client.publish("\(Self.prefix)pc/printer/\(modelId)/\(deviceId)/\(type)", payload)
        return msgid
    }

    /// The printer's own limit for a move or a console line to finish (docs/controls.md), and
    /// a little more: it answers `failed` by then.
    static let controllerPatience: TimeInterval = 130

    /// Sends a command and waits for its answer; `until` says which answer ends the wait (the
    /// first, by default; `doing` is followed by `done` for moves and the console), each
    /// answer waited for up to `patience` seconds (the timeout by default). A failed answer
    /// throws `CtlError.refused` with the printer's msg.
    @discardableResult
    func ask(_ type: String, _ action: String, data: [String: Any]? = nil, patience: TimeInterval? = nil,
             until final: (String) -> Bool = { _ in true }) throws -> [String: Any] {
        let start = client.count
        let msgid = try send(type, action, data: data)
        var from = start
        while true {
            let answer = try next(from: &from, waiting: "the answer to \(type)/\(action)", patience: patience) {
                self.reportType($0) != nil && $0.payload["msgid"] as? String == msgid
            }
            let code = answer["code"] as? Int ?? 200
            let state = answer["state"] as? String ?? ""
            if code != 200 || state == "failed" {
                throw CtlError.refused(what: "\(type)/\(action)", code: code, message: answer["msg"] as? String ?? "no reason given")
            }
            if final(state) { return answer }
        }
    }

    /// Waits up to `patience` seconds (the timeout by default; forever when `forever`) for the
    /// next message from `from` on that `matches`, moving `from` past it; a retained offline
    /// will read meanwhile throws `CtlError.offline`.
    func next(from: inout Int, waiting what: String, forever: Bool = false, patience: TimeInterval? = nil,
              _ matches: @escaping (PrinterMessage) -> Bool) throws -> [String: Any] {
        let limit = patience ?? timeout
        let found = try client.next(after: from, timeout: forever ? nil : limit) { message in
            matches(message) || self.isOffline(message)
        }
        guard let (message, after) = found else {
            throw CtlError.timeout("the printer \(deviceId) did not answer within \(Int(limit)) s (waiting for \(what))")
        }
        from = after
        if isOffline(message) {
            throw CtlError.offline("the printer \(deviceId) is offline (\(message.payload["msg"] as? String ?? "its will says so"))")
        }
        return message.payload
    }

    /// The index the next message will have: a reader that starts here sees only new messages.
    var position: Int { client.count }

    /// Whether `message` is the printer's will saying it is offline.
    private func isOffline(_ message: PrinterMessage) -> Bool {
        reportType(message) == "lastWill" && message.payload["state"] as? String == "offline"
    }

    /// Disconnects.
    func close() { client.close() }
}
