/// Byte-level checks and encodings of ASCII text that several front ends share (the LAN
/// handshake, SSDP, the OctoPrint API, the secrets of the state directory): letters and
/// digits, percent-encoding for URLs, and comparing secrets.
public enum AsciiText {
    /// Whether `byte` is an ASCII letter or digit.
    public static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
    }

    /// Whether `text` is 1 to `maxBytes` ASCII letters or digits.
    public static func isWord(_ text: String, maxBytes: Int) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= maxBytes && bytes.allSatisfy(isLetterOrDigit)
    }

    /// `text` with every byte percent-encoded but letters, digits, `-._~` and the bytes of
    /// `keeping` (`/` for a path).
    public static func percentEncoded(_ text: String, keeping: [UInt8] = []) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        let unreserved = Array("-._~".utf8) + keeping
        var out: [UInt8] = []
        for byte in text.utf8 {
            if isLetterOrDigit(byte) || unreserved.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `given` is the secret `expected`, compared in a time that depends on their
    /// lengths only (a secret guessed byte by byte learns nothing from the answer's delay).
    public static func equalInConstantTime(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in given.indices { difference |= given[index] ^ expected[index] }
        return difference == 0
    }
}
