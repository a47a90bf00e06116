/// What a model id and a device id may look like. Both become MQTT topic levels, so
/// anything that could change a topic's meaning (`/`, `+`, `#`, NUL) or that no real
/// printer has is refused instead of being published under.
public enum IdentityRules {
    /// A model id: 1 to 10 ASCII digits (e.g. 20021).
    public static func modelId(_ text: String) throws(ConfigError) -> String {
        let bytes = Array(text.utf8)
        guard (1...10).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw ConfigError("", "model id \"\(text)\" must be 1 to 10 digits")
        }
        return text
    }

    /// A device id: 1 to 64 ASCII letters, digits, `-` or `_`.
    public static func deviceId(_ text: String) throws(ConfigError) -> String {
        guard isSafeLevel(text) else {
            throw ConfigError("", "device id \"\(text)\" must be 1 to 64 letters, digits, - or _")
        }
        return text
    }

    /// Whether `text` is 1 to 64 ASCII letters, digits, `-` or `_`, and so safe as one level
    /// of a topic the printer publishes on: a device id, or the `type` of a command, which
    /// names its report's topic.
    public static func isSafeLevel(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy(isIdByte)
    }

    /// Whether `byte` may appear in a device id.
    public static func isIdByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x5F
    }
}
