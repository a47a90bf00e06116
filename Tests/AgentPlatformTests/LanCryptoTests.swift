import AgentPlatform
import Foundation
import Testing
import TestSupport

/// LanCrypto's AES-128-CBC, checked against `openssl enc`: what the agent seals, openssl
/// opens, and what openssl seals, a LAN client (printerctl) opens.
@Suite struct LanCryptoTests {
    static let key = Array("0123456789abcdef".utf8)
    static let iv = Array("fedcba9876543210".utf8)
    static let hex: ([UInt8]) -> String = { $0.map { String(format: "%02x", $0) }.joined() }

    /// `openssl enc -aes-128-cbc` (PKCS#7 padding) of `input`, decrypting when `decrypt`.
    private func reference(_ input: [UInt8], decrypt: Bool) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let inputPath = try directory.write("in", Data(input))
        try openssl(["enc", "-aes-128-cbc", decrypt ? "-d" : "-e", "-K", Self.hex(Self.key), "-iv", Self.hex(Self.iv),
                     "-in", inputPath, "-out", directory.path + "/out"])
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out")))
    }

    @Test(arguments: [0, 1, 15, 16, 17, 200])
    func bothDirectionsAgreeWithOpenSSL(length: Int) throws {
        let plain = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let sealed = try #require(LanCrypto.aes128CbcEncrypt(plain, key: Self.key, iv: Self.iv))
        #expect(try reference(sealed, decrypt: true) == plain)
        #expect(LanCrypto.aes128CbcDecrypt(try reference(plain, decrypt: false), key: Self.key, iv: Self.iv) == plain)
    }

    @Test func aWrongKeyOrLengthOpensNothing() throws {
        let sealed = try #require(LanCrypto.aes128CbcEncrypt(Array("{\"broker\":\"mqtts://x\"}".utf8), key: Self.key, iv: Self.iv))
        #expect(LanCrypto.aes128CbcDecrypt(sealed, key: Array("0123456789abcdeX".utf8), iv: Self.iv) == nil, "the padding is wrong")
        #expect(LanCrypto.aes128CbcDecrypt(Array(sealed.dropLast()), key: Self.key, iv: Self.iv) == nil, "not whole blocks")
        #expect(LanCrypto.aes128CbcDecrypt(sealed, key: Array(Self.key.dropLast()), iv: Self.iv) == nil, "a 15-byte key")
    }
}
