import CCrypto
import CLibc

/// Checks the detached signature of a firmware image with the configured public key, through
/// libcrypto (design decision 4). What is signed is the image's SHA-256 digest (32 bytes):
///
/// - **Ed25519**: the 32 digest bytes are the signed message (PureEdDSA; the signature is 64
///   bytes). Made with `openssl dgst -sha256 -binary -out image.sha256 image` then
///   `openssl pkeyutl -sign -rawin -inkey key.pem -in image.sha256 -out image.sig`.
/// - **ECDSA P-256**: a DER signature of the digest, that is ECDSA with SHA-256 over the
///   image: `openssl dgst -sha256 -sign key.pem -out image.sig image` (equivalently
///   `openssl pkeyutl -sign -inkey key.pem -in image.sha256 -out image.sig`).
public struct SignatureVerifier {
    /// The kinds of key accepted.
    private enum Kind {
        case ed25519
        case ecdsaP256
    }

    /// libcrypto's key, freed with the last verifier that shares it.
    private final class PublicKey {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { EVP_PKEY_free(pointer) }
    }

    /// The longest key file read: a PEM public key is a few hundred bytes.
    private static let maxKeyFileBytes = 64 << 10

    private let key: PublicKey
    private let kind: Kind

    /// Loads a PEM public key (`-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout` writes
    /// it): Ed25519 or EC P-256. A missing or unreadable file, a file without a public key, or a
    /// key of another type (RSA, another curve) is an error naming the file and what it holds.
    public init(publicKeyFile: String) throws(SystemError) {
        let pem = try FileReader.read(publicKeyFile, limit: Self.maxKeyFileBytes)
        let loaded = pem.withUnsafeBytes { bytes -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let loaded else {
            let reason = Self.lastErrorReason()
            throw SystemError(call: "PEM_read_bio_PUBKEY \(publicKeyFile)", errno: EINVAL,
                              message: "\(publicKeyFile): no PEM public key (\(reason)); expected an Ed25519 or ECDSA P-256 key as \"openssl pkey -pubout\" writes it")
        }
        key = PublicKey(loaded)
        switch EVP_PKEY_get_base_id(loaded) {
        case EVP_PKEY_ED25519:
            kind = .ed25519
        case EVP_PKEY_EC where Self.curveName(loaded) == "prime256v1":
            kind = .ecdsaP256
        case EVP_PKEY_EC:
            throw Self.refused(publicKeyFile, "an EC key on curve " + (Self.curveName(loaded) ?? "(unknown)"))
        default:
            let type = EVP_PKEY_get0_type_name(loaded).map { String(cString: $0) } ?? "unknown"
            throw Self.refused(publicKeyFile, "a key of type \(type) (\(EVP_PKEY_get_bits(loaded)) bits)")
        }
    }

    /// "Ed25519" or "ECDSA P-256".
    public var keyType: String {
        switch kind {
        case .ed25519: return "Ed25519"
        case .ecdsaP256: return "ECDSA P-256"
        }
    }

    /// Whether `signature` is a valid signature of `sha256`, the 32-byte SHA-256 digest of the
    /// image (see the type's description for what each key type signs). False for a bad,
    /// truncated or malformed signature or a digest that is not 32 bytes; never crashes, and
    /// leaves nothing in libcrypto's error queue (which libmosquitto's TLS code reads).
    public func verify(sha256: [UInt8], signature: [UInt8]) -> Bool {
        guard sha256.count == 32, !signature.isEmpty else { return false }
        defer { ERR_clear_error() }
        return sha256.withUnsafeBufferPointer { digest in
            signature.withUnsafeBufferPointer { signed in
                guard let digestBytes = digest.baseAddress, let signedBytes = signed.baseAddress else { return false }
                switch kind {
                case .ed25519:
                    return verifyEd25519(digestBytes, signedBytes, signed.count)
                case .ecdsaP256:
                    return verifyECDSA(digestBytes, signedBytes, signed.count)
                }
            }
        }
    }

    /// Ed25519 over the 32 digest bytes as the message (EVP_DigestVerify with no digest).
    private func verifyEd25519(_ digest: UnsafePointer<UInt8>, _ signature: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else { return false }
        return EVP_DigestVerify(context, signature, length, digest, 32) == 1
    }

    /// ECDSA over the digest, with a DER signature (EVP_PKEY_verify with SHA-256 as the digest).
    private func verifyECDSA(_ digest: UnsafePointer<UInt8>, _ signature: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        guard let context = EVP_PKEY_CTX_new(key.pointer, nil) else { return false }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 else {
            return false
        }
        return EVP_PKEY_verify(context, signature, length, digest, 32) == 1
    }

    /// The curve of an EC key, as OpenSSL names it ("prime256v1"), or nil.
    private static func curveName(_ key: OpaquePointer) -> String? {
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return String(decoding: name[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The error for a key of a type that is not accepted.
    private static func refused(_ file: String, _ what: String) -> SystemError {
        SystemError(call: "load public key \(file)", errno: EINVAL,
                    message: "\(file) holds \(what); firmware signatures need an Ed25519 or ECDSA P-256 public key")
    }

    /// The reason of libcrypto's latest error (the queue is cleared), or a plain phrase.
    private static func lastErrorReason() -> String {
        let code = ERR_peek_last_error()
        ERR_clear_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "unreadable" }
        return String(cString: reason)
    }
}
