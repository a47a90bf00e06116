import CCrypto

/// The cryptography of the LAN handshake, through libcrypto: MD5 in hex for the request's
/// signature, AES-128-CBC with PKCS#7 padding for the credentials, base64 on one line, and
/// the random words (token, IV source, API key) from the kernel's generator.
public enum LanCrypto {
    /// The MD5 of `text`'s UTF-8 bytes, in lower-case hex.
    public static func md5Hex(_ text: String) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var digits: [UInt8] = []
        for byte in md5(Array(text.utf8)) {
            digits.append(hex[Int(byte >> 4)])
            digits.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// The MD5 of `bytes`: 16 bytes (none when libcrypto fails).
    public static func md5(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &length, EVP_md5(), nil) }
        }
        return Array(digest.prefix(Int(length)))
    }


    /// `plaintext` encrypted with AES-128-CBC and PKCS#7 padding under the 16-byte `key` and
    /// `iv`; nil when libcrypto fails or a length is wrong.
    public static func aes128CbcEncrypt(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8]) -> [UInt8]? {
        aes128Cbc(plaintext, key: key, iv: iv, encrypt: 1)
    }

    /// `ciphertext` decrypted with AES-128-CBC under the 16-byte `key` and `iv`, its PKCS#7
    /// padding removed (what a LAN client does with the handshake's credentials); nil when the
    /// padding is wrong (a wrong key) or a length is wrong.
    public static func aes128CbcDecrypt(_ ciphertext: [UInt8], key: [UInt8], iv: [UInt8]) -> [UInt8]? {
        aes128Cbc(ciphertext, key: key, iv: iv, encrypt: 0)
    }

    /// AES-128-CBC with PKCS#7 padding in the direction `encrypt` says (1 encrypt, 0 decrypt).
    private static func aes128Cbc(_ input: [UInt8], key: [UInt8], iv: [UInt8], encrypt: Int32) -> [UInt8]? {
        guard key.count == 16, iv.count == 16, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0, finalWritten: Int32 = 0
        let ok = output.withUnsafeMutableBufferPointer { out -> Bool in
            guard EVP_CipherInit_ex(context, EVP_aes_128_cbc(), nil, key, iv, encrypt) == 1,
                  EVP_CipherUpdate(context, out.baseAddress, &written, input, Int32(input.count)) == 1,
                  let base = out.baseAddress else { return false }
            return EVP_CipherFinal_ex(context, base + Int(written), &finalWritten) == 1
        }
        guard ok else { return nil }
        return Array(output.prefix(Int(written + finalWritten)))
    }

    /// `bytes` in base64 (RFC 4648, padded), on one line.
    public static func base64(_ bytes: [UInt8]) -> String {
        var output = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
        let length = output.withUnsafeMutableBufferPointer { EVP_EncodeBlock($0.baseAddress, bytes, Int32(bytes.count)) }
        return String(decoding: output.prefix(Int(length)), as: UTF8.self)
    }

    /// `count` random letters and digits.
    public static func randomWord(_ count: Int) -> String {
        let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(decoding: letters, as: UTF8.self)
    }
}
