/// How the fuzz targets cut one input into the pieces they feed to different parsers.
/// The formats are plain text, so the seed corpora can be written and read by hand.
public enum FuzzInput {
    /// The separator between the parts of a multi-part input: a line holding `%%` only.
    public static let separator = Array("\n%%\n".utf8)

    /// `bytes` cut at every separator (one part when there is none).
    public static func parts(_ bytes: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + separator.count <= bytes.count {
            if bytes[index..<(index + separator.count)].elementsEqual(separator) {
                parts.append(Array(bytes[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts
    }

    /// `bytes` before its first newline, and after it (empty when there is no newline).
    public static func firstLine(_ bytes: [UInt8]) -> (line: [UInt8], rest: [UInt8]) {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return (bytes, []) }
        return (Array(bytes[..<newline]), Array(bytes[(newline + 1)...]))
    }

    /// The lines of `bytes` (split at `\n`, empty lines kept).
    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    }

    /// `bytes` as text (invalid UTF-8 repaired, as the agent's readers repair it).
    public static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
