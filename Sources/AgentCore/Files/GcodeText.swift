/// Byte-level text helpers for reading G-code comments. They work on `[UInt8]` slices and
/// compare against `StaticString` literals, so that no Character-level String API (and none
/// of the Unicode tables behind it) reaches the device binary.
enum GcodeText {
    /// Whether `byte` is a space, a tab or a carriage return (a CRLF line keeps its "\r").
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    /// Whether `byte` is an ASCII digit.
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// `text` without blanks at either end.
    static func trimmed(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = text.firstIndex(where: { !isBlank($0) }),
              let last = text.lastIndex(where: { !isBlank($0) }) else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// Whether `text` is exactly `literal`.
    static func equals(_ text: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { text.elementsEqual($0) }
    }

    /// `text` after `literal`, when it starts with it, else nil.
    static func after(_ literal: StaticString, in text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        literal.withUTF8Buffer { prefix -> ArraySlice<UInt8>? in
            guard text.starts(with: prefix) else { return nil }
            return text.dropFirst(prefix.count)
        }
    }

    /// Where `literal` first occurs in `text`, or nil.
    static func firstIndex(of literal: StaticString, in text: ArraySlice<UInt8>) -> Int? {
        literal.withUTF8Buffer { needle -> Int? in
            guard let head = needle.first else { return text.startIndex }
            var index = text.startIndex
            while let start = text[index...].firstIndex(of: head) {
                if text[start...].starts(with: needle) { return start }
                index = start + 1
            }
            return nil
        }
    }

    /// `text` after the first occurrence of `literal`, or nil when it does not occur.
    static func afterFirst(_ literal: StaticString, in text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let start = firstIndex(of: literal, in: text) else { return nil }
        return text[(start + literal.utf8CodeUnitCount)...]
    }

    /// The comment line's key and value: the trimmed text before the first `=` or `:`, and
    /// the trimmed text after it (`; layer_height = 0.2`, `;TIME:3600`,
    /// `; total layer number: 120`). Nil when the line has neither.
    static func keyValue(_ body: ArraySlice<UInt8>) -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? {
        guard let separator = body.firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: ":") })
        else { return nil }
        return (trimmed(body[..<separator]), trimmed(body[(separator + 1)...]))
    }

    /// The comma-separated items of a list value (`220,220`, `1000.00, 500.00`), trimmed.
    static func items(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { trimmed($0) }
    }

    /// `text` as a String for a report: cut at the first control byte (NUL, a line break,
    /// DEL…) and at `limit` bytes (never inside a UTF-8 sequence); invalid UTF-8 becomes U+FFFD.
    static func reportString(_ text: ArraySlice<UInt8>, limit: Int) -> String {
        var end = text.firstIndex(where: { $0 < 0x20 || $0 == 0x7F }) ?? text.endIndex
        if end - text.startIndex > limit {
            end = text.startIndex + limit
            while end > text.startIndex, text[end] & 0xC0 == 0x80 { end -= 1 }
        }
        return String(decoding: trimmed(text[..<end]), as: UTF8.self)
    }
}
