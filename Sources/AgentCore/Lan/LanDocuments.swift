import AgentJSON

/// The JSON documents of the LAN handshake, in the stock firmware's shapes: the discovery
/// document of `GET /info`, the credentials the signed request earns (encrypted by the
/// caller), and the control answers.
public enum LanDocuments {
    /// What the discovery document says about the printer.
    public struct Printer: Equatable {
        /// The model id (sent as a string of digits, as the newest firmware does).
        public var modelId: String
        /// The display name of the model ("Anycubic Kobra S1").
        public var modelName: String
        /// The printer's name as users set it.
        public var deviceName: String
        /// The serial number (`cn`).
        public var serial: String

        /// The facts of one printer.
        public init(modelId: String, modelName: String, deviceName: String, serial: String) {
            self.modelId = modelId
            self.modelName = modelName
            self.deviceName = deviceName
            self.serial = serial
        }
    }

    /// The absolute URL of `path` on the LAN server at `host`:`port`.
    public static func url(host: String, port: Int, path: String) -> String {
        "http://\(host):\(port)\(path)"
    }

    /// The upload URL, carrying the token that authorises uploads.
    public static func uploadUrl(host: String, port: Int, token: String) -> String {
        url(host: host, port: port, path: "/gcode_upload?s=" + token)
    }

    /// `GET /info`: the token, the control URL and the printer, for a request that came in on
    /// this host's address `host`, through the interface of hardware address `mac` (the
    /// firmware's `usn`, `uuid:fdm:<MAC>`, left out when unknown).
    public static func discovery(_ printer: Printer, token: String, host: String, port: Int, mac: String?) -> JSONObject {
        var document = JSONObject([
            ("ctrlType", .string("lan")),
            ("token", .string(token)),
            ("ctrlInfoUrl", .string(url(host: host, port: port, path: "/ctrl"))),
            ("modelId", .string(printer.modelId)),
            ("cn", .string(printer.serial)),
            ("modelName", .string(printer.modelName)),
            ("deviceType", .string("fdm")),
            ("ip", .string(host)),
            ("deviceName", .string(printer.deviceName)),
            ("fileUploadurl", .string(uploadUrl(host: host, port: port, token: token))),
        ])
        if let mac { document["usn"] = .string("uuid:fdm:" + mac) }
        return document
    }

    /// The broker credentials a granted handshake hands out (before encryption), with the
    /// firmware's `modeId` (sic: the model id) and `ip` (the address the request came in on),
    /// which Slicer Next's LAN code reads.
    public static func credentials(broker: String, username: String, password: String, deviceId: String,
                                   modelId: String, host: String) -> JSONObject {
        JSONObject([
            ("broker", .string(broker)),
            ("username", .string(username)),
            ("password", .string(password)),
            ("deviceId", .string(deviceId)),
            ("modeId", .string(modelId)),
            ("ip", .string(host)),
        ])
    }

    /// The answer of a granted handshake: `info` is the base64 ciphertext of the credentials,
    /// `ivSource` the text whose first 16 bytes are the IV.
    public static func granted(ivSource: String, info: String) -> JSONObject {
        JSONObject([
            ("code", .int(200)),
            ("message", .string("success")),
            ("data", .object(JSONObject([("token", .string(ivSource)), ("info", .string(info))]))),
        ])
    }

    /// The answer of a refused request: its code (the HTTP status) and why.
    public static func refused(code: Int, message: String) -> JSONObject {
        JSONObject([("code", .int(code)), ("message", .string(message)), ("data", .null)])
    }
}
