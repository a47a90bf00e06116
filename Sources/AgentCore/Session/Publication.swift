/// One MQTT message the agent publishes.
public struct Publication: Equatable {
    /// The topic.
    public var topic: String
    /// The payload (JSON text).
    public var payload: String
    /// Whether the broker keeps it as the topic's retained message.
    public var retain: Bool

    /// Creates a publication.
    public init(topic: String, payload: String, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }
}
