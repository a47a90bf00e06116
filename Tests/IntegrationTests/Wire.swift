import Foundation
import TestSupport

/// The topics and payloads of the test printer (model 20021, the harness's device id).
enum Wire {
    static let prefix = "anycubic/anycubicCloud/v1/"
    static let device = "\(AgentProcess.modelId)/\(AgentProcess.deviceId)"

    /// Where a client of kind `sender` sends commands; the tail is free-form.
    static func command(_ tail: String = "status", sender: String = "server") -> String {
        "\(prefix)\(sender)/printer/\(device)/\(tail)"
    }

    /// Where the agent reports `type`.
    static func report(_ type: String) -> String { "\(prefix)printer/public/\(device)/\(type)/report" }

    /// Where the agent acknowledges msgids.
    static let response = "\(prefix)printer/public/\(device)/response"

    /// Everything the agent publishes.
    static let everything = "\(prefix)printer/public/\(device)/#"

    /// Whether `message` is the online report an agent publishes once it is subscribed to
    /// its commands (so that a command sent after it is received is handled).
    static func isOnline(_ message: ReceivedMessage) -> Bool {
        message.topic == report("lastWill") && (message.json?["state"] as? String) == "online"
    }

    /// A command envelope as JSON text.
    static func envelope(_ type: String, _ action: String, msgid: String? = UUID().uuidString,
                         data: String = "null") -> String {
        let id = msgid.map { "\"msgid\":\"\($0)\"," } ?? ""
        return "{\"type\":\"\(type)\",\"action\":\"\(action)\",\(id)\"timestamp\":\(Int64(Date().timeIntervalSince1970 * 1000)),\"data\":\(data)}"
    }
}

/// A broker, a client subscribed to everything the printer publishes, and a running agent
/// that has announced itself online.
final class Harness {
    let broker: MosquittoBroker
    let client: MQTTTestClient
    let agent: AgentProcess

    /// Starts an agent (through `launcher`, see `AgentProcess`) against `broker` (a fresh one
    /// by default), watched by `client` (a fresh one with a clean session by default), which
    /// is subscribed to everything it publishes.
    init(broker: MosquittoBroker? = nil, client: MQTTTestClient? = nil, agentArguments: [String] = [],
         environment: [String: String] = [:], launcher: [String] = []) throws {
        self.broker = try broker ?? MosquittoBroker()
        self.client = try client ?? MQTTTestClient(port: self.broker.port)
        try self.client.subscribe(Wire.everything)
        agent = try AgentProcess(broker: self.broker.url, extra: agentArguments, environment: environment,
                                 launcher: launcher)
        try waitForOnline()
    }

    /// Waits for the online report of the latest connection, then forgets what was received.
    func waitForOnline(timeout: TimeInterval = 15) throws {
        do {
            try client.waitFor("the online report", timeout: timeout, Wire.isOnline)
            try client.waitFor("the ota version report", timeout: timeout) { $0.topic == Wire.report("ota") }
        } catch {
            throw TestFailure("\(error); the agent's log:\n\(agent.log)")
        }
        client.clear()
    }

    /// Sends a command (with a fresh msgid unless one is given) and returns the report that
    /// echoes its msgid.
    @discardableResult
    func ask(_ type: String, _ action: String, data: String = "null", tail: String? = nil,
             sender: String = "server", msgid: String = UUID().uuidString) throws -> ReceivedMessage {
        try client.ask(type, action, data: data, tail: tail, sender: sender, msgid: msgid)
    }
}

extension MQTTTestClient {
    /// Sends a command to the test printer (with a fresh msgid unless one is given) and
    /// returns the report that echoes its msgid; the client must be subscribed to the
    /// printer's reports. The agent publishes in order, so the answer also proves that
    /// whatever it published before handling the command has arrived.
    @discardableResult
    func ask(_ type: String, _ action: String, data: String = "null", tail: String? = nil,
             sender: String = "server", msgid: String = UUID().uuidString) throws -> ReceivedMessage {
        publish(Wire.command(tail ?? type, sender: sender), Wire.envelope(type, action, msgid: msgid, data: data))
        return try waitFor("the report answering \(type)/\(action) \(msgid)") {
            $0.topic.hasSuffix("/report") && ($0.json?["msgid"] as? String) == msgid
        }
    }
}
