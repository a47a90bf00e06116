/// Fresh msgids for reports the printer pushes: random (version 4) UUIDs in the usual
/// 8-4-4-4-12 lowercase form.
public enum MessageID {
    /// The UUID made of 16 random bytes (fewer are padded with zeros, extra ignored), of
    /// `version` 4 (random), or 3 when the bytes are the MD5 of a name (a UUID that stays
    /// the same for the same name).
    public static func uuid(from random: [UInt8], version: UInt8 = 4) -> String {
        var bytes = Array(random.prefix(16))
        while bytes.count < 16 { bytes.append(0) }
        bytes[6] = (bytes[6] & 0x0F) | (version << 4)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
