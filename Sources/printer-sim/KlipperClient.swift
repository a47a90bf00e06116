import AgentJSON

/// One connection to the Klipper API server.
final class KlipperClient {
    /// What a client subscribed to, and what it was last sent.
    struct Subscription {
        /// The objects, each with its field list or nil for all fields.
        let objects: [(name: String, fields: [String]?)]
        /// The `response_template` every push is built on.
        let template: JSONObject
        /// The values last sent, per object and field.
        var lastSent: JSONObject

        /// The fields of `status` that differ from what was last sent, per object (objects
        /// without changes left out); notes them as sent.
        mutating func changes(to status: JSONObject) -> JSONObject {
            var changes = JSONObject()
            for member in status.members {
                guard let fields = member.value.objectValue else { continue }
                var previous = lastSent[member.key]?.objectValue ?? JSONObject()
                var changed = JSONObject()
                for field in fields.members where previous[field.key] != field.value {
                    changed[field.key] = field.value
                    previous[field.key] = field.value
                }
                if !changed.isEmpty {
                    changes[member.key] = .object(changed)
                    lastSent[member.key] = .object(previous)
                }
            }
            return changes
        }
    }

    /// Numbers connections in the order they were accepted.
    let id: Int
    /// The socket.
    let channel: ByteChannel
    /// Bytes of a frame whose 0x03 has not arrived yet.
    var partialFrame: [UInt8] = []
    /// The client's subscription, if it subscribed (a new one replaces it).
    var subscription: Subscription?
    /// The `response_template` of the client's G-code output subscription, if it subscribed.
    var outputTemplate: JSONObject?

    /// Connection number `id` on `channel`.
    init(id: Int, channel: ByteChannel) {
        self.id = id
        self.channel = channel
    }
}
