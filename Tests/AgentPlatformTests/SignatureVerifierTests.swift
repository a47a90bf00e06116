import AgentPlatform
import Foundation
import Testing
import TestSupport

/// A signing key made with the openssl command, and the signatures it makes of files, the
/// way a firmware publisher would make them (see SignatureVerifier's description).
private struct SigningKey {
    /// The key types a test can ask for.
    enum Kind: String, CaseIterable {
        case ed25519, p256, p384, rsa
    }

    let kind: Kind
    let directory: TemporaryDirectory
    var privateKey: String { directory.path + "/\(kind.rawValue).key" }
    var publicKey: String { directory.path + "/\(kind.rawValue).pub" }

    /// Generates a key pair of `kind` in `directory`.
    init(_ kind: Kind, in directory: TemporaryDirectory) throws {
        self.kind = kind
        self.directory = directory
        let generate: [String]
        switch kind {
        case .ed25519: generate = ["-algorithm", "ed25519"]
        case .p256: generate = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        case .p384: generate = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]
        case .rsa: generate = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        }
        try openssl(["genpkey"] + generate + ["-out", privateKey])
        try openssl(["pkey", "-in", privateKey, "-pubout", "-out", publicKey])
    }

    /// Signs the SHA-256 digest of `image` with `openssl pkeyutl -sign` (Ed25519 with -rawin:
    /// the digest is the message) and returns the signature.
    func signDigest(of image: String) throws -> [UInt8] {
        let digest = image + ".sha256"
        let signature = image + ".\(kind.rawValue).sig"
        try openssl(["dgst", "-sha256", "-binary", "-out", digest, image])
        try openssl(["pkeyutl", "-sign", "-inkey", privateKey, "-in", digest, "-out", signature]
                    + (kind == .ed25519 ? ["-rawin"] : []))
        return try bytes(signature)
    }

    /// Signs `image` with `openssl dgst -sha256 -sign` (ECDSA keys) and returns the signature.
    func signImage(_ image: String) throws -> [UInt8] {
        let signature = image + ".dgst.sig"
        try openssl(["dgst", "-sha256", "-sign", privateKey, "-out", signature, image])
        return try bytes(signature)
    }
}

/// The bytes of the file at `path`.
private func bytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// A firmware image of random bytes, and its SHA-256 digest as openssl computes it.
private func image(_ name: String, in directory: TemporaryDirectory) throws -> (path: String, sha256: [UInt8]) {
    let path = try directory.write(name, Data((0..<100_000).map { _ in UInt8.random(in: 0...255) }))
    let digest = path + ".sha256"
    try openssl(["dgst", "-sha256", "-binary", "-out", digest, path])
    return (path, try bytes(digest))
}

/// SignatureVerifier: Ed25519 and ECDSA P-256 signatures of an image's SHA-256, with keys and
/// signatures made by the openssl command; bad signatures and unsuitable keys are refused.
@Suite struct SignatureVerifierTests {
    @Test func anEd25519SignatureOfTheDigestVerifies() throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(.ed25519, in: directory)
        let firmware = try image("firmware.img", in: directory)
        let verifier = try SignatureVerifier(publicKeyFile: key.publicKey)
        #expect(verifier.keyType == "Ed25519")
        let signature = try key.signDigest(of: firmware.path)
        #expect(signature.count == 64)
        #expect(verifier.verify(sha256: firmware.sha256, signature: signature))
    }

    @Test func p256SignaturesFromPkeyutlAndFromDgstBothVerify() throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(.p256, in: directory)
        let firmware = try image("firmware.img", in: directory)
        let verifier = try SignatureVerifier(publicKeyFile: key.publicKey)
        #expect(verifier.keyType == "ECDSA P-256")
        #expect(verifier.verify(sha256: firmware.sha256, signature: try key.signDigest(of: firmware.path)))
        #expect(verifier.verify(sha256: firmware.sha256, signature: try key.signImage(firmware.path)))
    }

    @Test(arguments: [SigningKey.Kind.ed25519, .p256])
    fileprivate func badSignaturesAreRefused(kind: SigningKey.Kind) throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(kind, in: directory)
        let firmware = try image("firmware.img", in: directory)
        let other = try image("other.img", in: directory)
        let verifier = try SignatureVerifier(publicKeyFile: key.publicKey)
        let good = try key.signDigest(of: firmware.path)
        #expect(verifier.verify(sha256: firmware.sha256, signature: good))

        #expect(!verifier.verify(sha256: firmware.sha256, signature: try key.signDigest(of: other.path)),
                "a signature of another file")
        #expect(!verifier.verify(sha256: other.sha256, signature: good), "another file's digest")
        #expect(!verifier.verify(sha256: firmware.sha256, signature: Array(good.dropLast())), "truncated")
        #expect(!verifier.verify(sha256: firmware.sha256, signature: Array(good.dropLast(good.count / 2))), "half")
        #expect(!verifier.verify(sha256: firmware.sha256, signature: good + [0]), "a byte too many")
        var flipped = good
        flipped[flipped.count - 5] ^= 0x40
        #expect(!verifier.verify(sha256: firmware.sha256, signature: flipped), "one bit changed")
        for length in [1, 8, 64, 72, 1000] {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255) }
            #expect(!verifier.verify(sha256: firmware.sha256, signature: garbage), "\(length) bytes of garbage")
        }
        #expect(!verifier.verify(sha256: firmware.sha256, signature: []), "no signature")
        #expect(!verifier.verify(sha256: Array(firmware.sha256.dropLast()), signature: good), "a 31-byte digest")
        #expect(!verifier.verify(sha256: [], signature: good), "no digest")
    }

    @Test func aSignatureByAnotherKeyIsRefused() throws {
        let directory = try TemporaryDirectory()
        let firmware = try image("firmware.img", in: directory)
        let ed = try SigningKey(.ed25519, in: directory)
        let ec = try SigningKey(.p256, in: directory)
        let edVerifier = try SignatureVerifier(publicKeyFile: ed.publicKey)
        let ecVerifier = try SignatureVerifier(publicKeyFile: ec.publicKey)
        #expect(!edVerifier.verify(sha256: firmware.sha256, signature: try ec.signDigest(of: firmware.path)))
        #expect(!ecVerifier.verify(sha256: firmware.sha256, signature: try ed.signDigest(of: firmware.path)))
    }

    @Test func anRSAKeyIsRefusedNamingTheFileAndTheKeyType() throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(.rsa, in: directory)
        let error = #expect(throws: SystemError.self) { try SignatureVerifier(publicKeyFile: key.publicKey) }
        #expect(error?.message == "\(key.publicKey) holds a key of type RSA (2048 bits); firmware signatures need an Ed25519 or ECDSA P-256 public key")
    }

    @Test func anECKeyOnAnotherCurveIsRefusedNamingTheCurve() throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(.p384, in: directory)
        let error = #expect(throws: SystemError.self) { try SignatureVerifier(publicKeyFile: key.publicKey) }
        #expect(error?.message == "\(key.publicKey) holds an EC key on curve secp384r1; firmware signatures need an Ed25519 or ECDSA P-256 public key")
    }

    @Test func aMissingKeyFileIsAnErrorNamingIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/missing.pub"
        let error = #expect(throws: SystemError.self) { try SignatureVerifier(publicKeyFile: path) }
        #expect(error?.errno == ENOENT)
        #expect(error?.message.contains(path) == true)
    }

    @Test func aFileWithoutAPublicKeyIsAnErrorNamingIt() throws {
        let directory = try TemporaryDirectory()
        let key = try SigningKey(.ed25519, in: directory)
        let text = try directory.write("notes.txt", "not a key\n")
        for path in [text, key.privateKey] {
            let error = #expect(throws: SystemError.self) { try SignatureVerifier(publicKeyFile: path) }
            #expect(error?.message.hasPrefix("\(path): no PEM public key (") == true, "\(error?.message ?? "")")
        }
    }
}
