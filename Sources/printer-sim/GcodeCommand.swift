/// One G-code command without its line number, checksum or comment: a classic command
/// (`G1 X10 E0.5`, `M104 S200`) with letter parameters, or a Klipper extended command
/// (`SDCARD_PRINT_FILE FILENAME="a.gcode"`) whose arguments stay as text.
struct GcodeCommand {
    /// The command as written, trimmed, for messages such as `Unknown command: "M999"`.
    let text: String
    /// The command word, upper-cased, numbers without leading zeros: `G1`, `M104`,
    /// `SET_PRINT_STATS_INFO`.
    let name: String
    /// What follows the command word, trimmed (M117's message, extended parameters).
    let argumentText: String
    private let parameters: [Character: String]

    /// Parses `line` (already without line number and checksum); nil when nothing but
    /// white space or a comment is left.
    init?(_ line: String) {
        let text = GcodeCommand.withoutComment(line)
        guard let first = text.first else { return nil }
        self.text = text
        let characters = Array(text)
        if first.isLetter, characters.count > 1, characters[1].isNumber {
            var end = 1
            while end < characters.count, characters[end].isNumber || characters[end] == "." { end += 1 }
            let digits = String(characters[1..<end])
            name = first.uppercased() + (Int(digits).map(String.init) ?? digits)
            argumentText = String(characters[end...]).trimmed
            parameters = GcodeCommand.letterParameters(argumentText)
        } else {
            let word = characters.prefix { !$0.isWhitespace }
            name = String(word).uppercased()
            argumentText = String(characters[word.count...]).trimmed
            parameters = [:]
        }
    }

    /// `line` without its `;` comment, trimmed.
    static func withoutComment(_ line: String) -> String {
        String(line.prefix { $0 != ";" }).trimmed
    }

    /// `line`'s bytes before any `;` comment, without leading and trailing spaces and tabs:
    /// what Marlin checks a line's number and checksum on.
    static func withoutComment(_ line: [UInt8]) -> ArraySlice<UInt8> {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let code = line.prefix { $0 != UInt8(ascii: ";") }
        guard let start = code.firstIndex(where: { !isBlank($0) }),
              let end = code.lastIndex(where: { !isBlank($0) }) else { return [] }
        return code[start...end]
    }

    /// The number given for parameter `letter` (`X10` → 10), nil when absent or not a number.
    func number(_ letter: Character) -> Double? {
        parameters[letter].flatMap { Double($0) }
    }

    /// Whether parameter `letter` is present, with or without a value.
    func has(_ letter: Character) -> Bool {
        parameters[letter] != nil
    }

    /// Whether this is a G0 or G1, the moves faults are counted in.
    var isLinearMove: Bool { name == "G0" || name == "G1" }

    /// Classic parameters: each letter followed by its value up to the next letter or space
    /// (`X10 Y-2.5 E.4` and `X10Y-2.5`). Letters are upper-cased.
    private static func letterParameters(_ text: String) -> [Character: String] {
        var result: [Character: String] = [:]
        var letter: Character?
        var value = ""
        func flush() {
            if let letter { result[letter] = value }
            letter = nil
            value = ""
        }
        for character in text {
            if character.isLetter {
                flush()
                letter = Character(character.uppercased())
            } else if character.isWhitespace {
                flush()
            } else if letter != nil {
                value.append(character)
            }
        }
        flush()
        return result
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line ends.
    var trimmed: String {
        let characters = Array(self)
        guard let start = characters.firstIndex(where: { !$0.isWhitespace }),
              let end = characters.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(characters[start...end])
    }
}
