/// The MQTT topics of one printer (see `docs/protocol.md`, "Topics").
public struct DeviceTopics: Equatable {
    /// The prefix every topic of the protocol starts with.
    public static let prefix = "anycubic/anycubicCloud/v1/"

    /// The printer's model id (digits, e.g. "20021").
    public let modelId: String
    /// The printer's device id.
    public let deviceId: String

    /// Creates the topics of the printer with these ids.
    public init(modelId: String, deviceId: String) {
        self.modelId = modelId
        self.deviceId = deviceId
    }

    /// The subscription that receives commands from every kind of sender.
    public var commandFilter: String {
        "\(Self.prefix)+/printer/\(modelId)/\(deviceId)/#"
    }

    /// Where reports of `type` are published.
    public func report(_ type: String) -> String {
        "\(Self.prefix)printer/public/\(modelId)/\(deviceId)/\(type)/report"
    }

    /// Where the bare `{"msgid": ...}` acknowledgement of each command goes.
    public var response: String {
        "\(Self.prefix)printer/public/\(modelId)/\(deviceId)/response"
    }

    /// The topic of the retained online/offline state (the MQTT will).
    public var lastWill: String { report("lastWill") }

    /// Whether `topic` is a command to this printer:
    /// `anycubic/anycubicCloud/v1/<sender>/printer/<modelId>/<deviceId>[/<tail...>]`.
    /// The sender may be any single level; the tail is ignored (dispatch is on the JSON).
    public func isCommand(_ topic: String) -> Bool {
        let levels = topic.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard levels.count >= 7 else { return false }
        let expected = ["anycubic", "anycubicCloud", "v1"]
        for index in 0..<3 where !levels[index].elementsEqual(expected[index].utf8) { return false }
        return !levels[3].isEmpty
            && levels[4].elementsEqual("printer".utf8)
            && levels[5].elementsEqual(modelId.utf8)
            && levels[6].elementsEqual(deviceId.utf8)
    }
}
