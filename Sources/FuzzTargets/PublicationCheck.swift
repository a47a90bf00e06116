import AgentCore
import AgentJSON
import CMosquitto

/// The command fuzzer's oracle on what the agent publishes (`docs/protocol.md`,
/// "Envelopes"): every payload is a JSON object; an acknowledgement on `.../response` has
/// exactly one key, `msgid`; a report is on its type's topic with the whole envelope, an
/// integer `code`, 200 exactly when its state is not `failed`, a `msg` for every failure,
/// and the msgid of the command it answers. Every topic is one libmosquitto will publish.
enum PublicationCheck {
    /// Checks the publications that answer one message (in the order they are published).
    static func check(_ answer: [Publication], topics: DeviceTopics) {
        var acknowledged: String? = nil
        for publication in answer {
            requirePublishable(publication.topic)
            let envelope: JSONObject
            do {
                guard let object = try JSONCodec.parse(publication.payload).objectValue else {
                    return FuzzCheck.require(false, "payload is not a JSON object: \(publication.payload)")
                }
                envelope = object
            } catch {
                return FuzzCheck.require(false, "payload is not JSON (\(error.message)): \(publication.payload)")
            }
            if publication.topic == topics.response {
                FuzzCheck.require(envelope.members.count == 1 && envelope["msgid"]?.stringValue != nil,
                                  "an acknowledgement is not exactly {\"msgid\": ...}: \(publication.payload)")
                acknowledged = envelope["msgid"]?.stringValue
            } else {
                checkReport(envelope, on: publication.topic, topics: topics, answering: acknowledged)
                acknowledged = nil
            }
        }
    }

    /// Stops the process unless libmosquitto publishes on `topic` (no wildcard, valid UTF-8
    /// without control characters, at most 65535 bytes).
    static func requirePublishable(_ topic: String) {
        let length = topic.utf8.count
        FuzzCheck.require(mosquitto_pub_topic_check2(topic, length) == MOSQ_ERR_SUCCESS.rawValue
                            && mosquitto_validate_utf8(topic, Int32(clamping: length)) == MOSQ_ERR_SUCCESS.rawValue,
                          "libmosquitto refuses to publish on the topic \(topic)")
    }

    private static func checkReport(_ report: JSONObject, on topic: String, topics: DeviceTopics, answering msgid: String?) {
        let shown = JSONCodec.print(.object(report))
        guard let type = report["type"]?.stringValue, let state = report["state"]?.stringValue,
              let code = report["code"]?.int64Value, let message = report["msg"]?.stringValue,
              report["action"]?.stringValue != nil, report["msgid"]?.stringValue != nil,
              report["timestamp"]?.int64Value != nil, report["data"] != nil else {
            return FuzzCheck.require(false, "a report without its whole envelope: \(shown)")
        }
        FuzzCheck.require(topic == topics.report(type), "a \(type) report on \(topic)")
        FuzzCheck.require((state == "failed") == (code != 200), "state \(state) with code \(code): \(shown)")
        FuzzCheck.require(code == 200 || !message.isEmpty, "a failure without a msg: \(shown)")
        if let msgid {
            FuzzCheck.require(report["msgid"]?.stringValue == msgid, "the report after the ack of \(msgid) answers another msgid: \(shown)")
        }
    }
}
