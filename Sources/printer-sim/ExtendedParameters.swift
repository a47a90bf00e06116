/// The parameters of a Klipper extended command (`FILENAME="my file.gcode" TOTAL_LAYER=10`),
/// parsed the way Klipper's gcode.py does: the arguments end at the first `#`, `*` or `;`,
/// are split like Python's `shlex.split` (double quotes group, and inside them a backslash
/// escapes only `\` and `"`; single quotes group literally, a backslash outside quotes escapes any
/// character), and each word is `KEY=value` with the key upper-cased.
enum ExtendedParameters {
    /// Parses the arguments of `command`; throws Klipper's "Malformed command" otherwise.
    static func parse(_ command: GcodeCommand) throws -> [String: String] {
        let arguments = command.argumentText.prefix { !"#*;".contains($0) }
        let malformed = GcodeError( "Malformed command '\(command.text)'")
        guard let words = split(String(arguments)) else { throw malformed }
        var result: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "=") else { throw malformed }
            result[word[..<equals].uppercased()] = String(word[word.index(after: equals)...])
        }
        return result
    }

    /// Splits `text` into words like `shlex.split`; nil for an unclosed quote or a
    /// trailing backslash.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\"":
                inWord = true
                while true {
                    guard let next = characters.next() else { return nil }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = characters.next() else { return nil }
                        if escaped != "\\" && escaped != "\"" { word.append("\\") }
                        word.append(escaped)
                    } else {
                        word.append(next)
                    }
                }
            case "'":
                inWord = true
                while true {
                    guard let next = characters.next() else { return nil }
                    if next == "'" { break }
                    word.append(next)
                }
            case "\\":
                guard let escaped = characters.next() else { return nil }
                inWord = true
                word.append(escaped)
            case _ where character.isWhitespace:
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
