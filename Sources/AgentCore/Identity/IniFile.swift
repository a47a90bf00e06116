/// A parsed INI file (Gen B `device.ini`): `[section]` headers and `key = value` lines;
/// `;` and `#` start comment lines. Keys before any section belong to section "".
public struct IniFile: Equatable {
    private var entries: [(section: String, key: String, value: String)] = []

    /// Parses `text`; the error names the line that is neither a section, a key nor a comment.
    public init(parsing text: String, path: String) throws(ConfigError) {
        var section = ""
        var lineNumber = 0
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = ConfigFile.trimmed(Substring(raw))
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.utf8.count >= 2 else {
                    throw ConfigError("\(path):\(lineNumber)", "unclosed section header \"\(line)\"")
                }
                section = String(ConfigFile.trimmed(line.dropFirst().dropLast()))
                continue
            }
            guard let equals = line.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw ConfigError("\(path):\(lineNumber)", "expected \"key = value\" or \"[section]\", found \"\(line)\"")
            }
            let key = String(ConfigFile.trimmed(line[..<equals]))
            let value = String(ConfigFile.trimmed(line[line.utf8.index(after: equals)...]))
            entries.append((section, key, value))
        }
    }

    /// The value of `key` in `section`, or nil.
    public func value(_ section: String, _ key: String) -> String? {
        entries.first { $0.section == section && $0.key == key }?.value
    }

    public static func == (lhs: IniFile, rhs: IniFile) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
    }
}
