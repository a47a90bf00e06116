import AgentPlatform
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The LAN handshake of docs/lan-mode.md, as a LAN client does it: `GET :<port>/info`, then
/// the signed `POST` to its `ctrlInfoUrl`, whose `info` is the broker's login under
/// AES-128-CBC.
struct LanHandshake {
    /// The printer's discovery document (`/info`).
    let info: [String: Any]
    /// The broker and its login.
    let broker: BrokerURL
    let username: String
    let password: String
    /// The printer's ids.
    let modelId: String
    let deviceId: String

    /// Runs the handshake with the printer at `host`:`port`.
    init(host: String, port: Int, timeout: TimeInterval) throws {
        guard let infoURL = URL(string: "http://\(Self.bracketed(host)):\(port)/info") else {
            throw CtlError.usage("\"\(host)\" is not a host name or address")
        }
        let answer = try HTTP.send(URLRequest(url: infoURL), timeout: timeout)
        guard answer.status == 200, let token = answer.json["token"] as? String, token.utf8.count == 32,
              let control = answer.json["ctrlInfoUrl"] as? String else {
            throw CtlError.connection("\(infoURL) is not a printer's LAN handshake (HTTP \(answer.status)); is LAN mode on?")
        }
        info = answer.json
        let ts = Int64(Date().timeIntervalSince1970 * 1000)
        let nonce = LanCrypto.randomWord(6)
        let sign = LanCrypto.md5Hex(LanCrypto.md5Hex(String(token.prefix(16))) + String(ts) + nonce)
        guard let controlURL = URL(string: "\(control)?ts=\(ts)&nonce=\(nonce)&sign=\(sign)&did=\(LanCrypto.randomWord(16))") else {
            throw CtlError.connection("the printer's ctrlInfoUrl \"\(control)\" is not a URL")
        }
        var request = URLRequest(url: controlURL)
        request.httpMethod = "POST"
        let granted = try HTTP.send(request, timeout: timeout)
        guard granted.status == 200, let data = granted.json["data"] as? [String: Any],
              let iv = data["token"] as? String, let sealed = (data["info"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            let why = granted.json["message"] as? String ?? granted.text
            throw CtlError.connection("the printer refused the LAN handshake (HTTP \(granted.status)): \(why)")
        }
        let key = Array(token.utf8.suffix(16))
        let vector = Array((Array(iv.utf8) + [UInt8](repeating: 0, count: 16)).prefix(16))
        guard let plain = LanCrypto.aes128CbcDecrypt(Array(sealed), key: key, iv: vector),
              let login = (try? JSONSerialization.jsonObject(with: Data(plain))) as? [String: Any],
              let brokerText = login["broker"] as? String else {
            throw CtlError.connection("the printer's LAN handshake gave credentials that do not decrypt")
        }
        broker = try BrokerURL(brokerText)
        username = login["username"] as? String ?? ""
        password = login["password"] as? String ?? ""
        modelId = (info["modelId"] as? String) ?? (info["modelId"] as? Int).map(String.init) ?? ""
        deviceId = (login["deviceId"] as? String) ?? (info["cn"] as? String) ?? ""
    }

    /// `host` with brackets when it is an IPv6 address.
    static func bracketed(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    /// The upload URL of `/info`.
    var uploadURL: String? { info["fileUploadurl"] as? String }
}
