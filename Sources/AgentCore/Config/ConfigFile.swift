/// Reads the configuration file format: one `key = value` a line; `#` starts a comment
/// line; blank lines are skipped; a value may be wrapped in double quotes to keep spaces
/// at its ends; an empty value leaves the default. A key given twice is an error (the
/// second would silently win otherwise).
public enum ConfigFile {
    /// Applies the text of the file at `path` to `config`.
    public static func apply(_ text: String, path: String, to config: inout AgentConfig) throws(ConfigError) {
        var firstSeen: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let origin = "\(path):\(lineNumber)"
            let line = trimmed(Substring(rawLine))
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw ConfigError(origin, "expected \"key = value\", found \"\(line)\"")
            }
            let key = String(trimmed(line[..<equals]))
            var value = trimmed(line[line.utf8.index(after: equals)...])
            if value.utf8.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = value.dropFirst().dropLast()
            }
            guard !key.isEmpty else { throw ConfigError(origin, "a line with no key before \"=\"") }
            if let first = firstSeen[key] {
                throw ConfigError(origin, "\"\(key)\" is set twice (first at line \(first))")
            }
            firstSeen[key] = lineNumber
            if value.isEmpty {
                guard ConfigKeys.all.contains(where: { $0.name == key }) else {
                    throw ConfigError(origin, "unknown key \"\(key)\"")
                }
                continue
            }
            try ConfigKeys.apply(key, String(value), origin: origin, to: &config)
        }
    }

    /// `text` without spaces, tabs and carriage returns at its ends.
    public static func trimmed(_ text: Substring) -> Substring {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard let first = text.utf8.firstIndex(where: { !blank($0) }),
              let last = text.utf8.lastIndex(where: { !blank($0) }) else { return "" }
        return text[first...last]
    }
}
