import AgentJSON

/// `gcode/send` (the G-code console): `{gcode: "G28\nM503"}`, each line's command word on
/// the allow-list (`gcode_console`).
public enum ConsoleRequest {
    /// The most lines one request may carry.
    public static let maxLines = 20
    /// The longest line accepted, in bytes.
    public static let maxLineBytes = 96

    /// The lines of `data.gcode` to send, trimmed, their command word in upper case (Marlin
    /// takes only `G28`, not `g28`), blank lines and `;` comments dropped. The
    /// console off (an empty list) refuses everything with 403; so does a line whose command
    /// word is not allowed, naming it, and then nothing is sent.
    public static func parse(_ data: JSONValue, allowed: [String]) throws(CommandFailure) -> [String] {
        guard !allowed.isEmpty else {
            throw CommandFailure(.forbidden, "the G-code console is off on this printer (set gcode_console in the configuration)")
        }
        let text = try CommandFields.string("gcode", in: data)
        var lines: [String] = []
        for raw in text.utf8.split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            let uncommented = raw.prefix { $0 != UInt8(ascii: ";") }
            let trimmed = GcodeText.trimmed(ArraySlice(uncommented))
            guard !trimmed.isEmpty else { continue }
            guard trimmed.count <= maxLineBytes, trimmed.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "*") }),
                  trimmed.first != UInt8(ascii: "N") else {
                throw CommandFailure(.badRequest, "each G-code line must be printable ASCII of at most " + String(maxLineBytes) + " bytes, without a line number or checksum")
            }
            let wordBytes = trimmed.prefix { $0 != UInt8(ascii: " ") }
            let word = String(decoding: wordBytes.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
            guard allowed.contains(word) else {
                throw CommandFailure(.forbidden, word + " is not allowed on this printer's console; allowed: "
                                     + allowed.joined(separator: " ") + " (gcode_console)")
            }
            lines.append(word + String(decoding: trimmed.dropFirst(wordBytes.count), as: UTF8.self))
        }
        guard !lines.isEmpty else { throw CommandFailure(.badRequest, "\"gcode\" holds no command") }
        guard lines.count <= maxLines else { throw CommandFailure(.badRequest, "at most " + String(maxLines) + " G-code lines per request") }
        return lines
    }
}
