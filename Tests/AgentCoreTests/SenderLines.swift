import AgentCore

/// What the sender's tests write and expect: bytes of text, and the write of a numbered line.
enum SenderLines {
    /// `text`'s bytes.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The write of line `number` holding `command`.
    static func write(_ number: Int, _ command: String) -> MarlinSender.Action {
        .write(MarlinLine.numbered(number, bytes(command)))
    }

    /// The writes among `actions`.
    static func writes(_ actions: [MarlinSender.Action]) -> [MarlinSender.Action] {
        actions.filter { if case .write = $0 { return true } else { return false } }
    }
}
