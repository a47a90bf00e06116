import AgentJSON

/// What `ota/update` asks for: `firmware_url`, `firmware_name`, `firmware_version`,
/// `firmware_size`, `firmware_md5` and the optional `force_update`.
public struct OtaRequest: Equatable {
    /// The image's http or https URL.
    public var url: String
    /// The image's name, used for the staged file (one checked path component).
    public var name: String
    /// The version the image installs.
    public var version: String
    /// The image's size in bytes.
    public var size: Int64
    /// The image's MD5, 32 lower-case hex digits.
    public var md5: String
    /// Whether the client asks to install even during a print.
    public var force: Bool

    /// Creates a request from checked parts.
    public init(url: String, name: String, version: String, size: Int64, md5: String, force: Bool) {
        self.url = url
        self.name = name
        self.version = version
        self.size = size
        self.md5 = md5
        self.force = force
    }

    /// Reads and checks `ota/update`'s data.
    public static func parse(_ data: JSONValue) throws(CommandFailure) -> OtaRequest {
        if data.objectValue == nil {
            throw CommandFailure(.badRequest, "ota/update needs data with firmware_url, firmware_name, firmware_version, firmware_size and firmware_md5")
        }
        let version = try CommandFields.string("firmware_version", in: data)
        guard !version.isEmpty, version.utf8.count <= 128, !version.utf8.contains(where: { $0 < 0x20 }) else {
            throw CommandFailure(.badRequest, "\"firmware_version\" must be 1 to 128 printable bytes")
        }
        guard let size = try DownloadFields.size("firmware_size", in: data) else {
            throw CommandFailure(.badRequest, "\"firmware_size\" is missing")
        }
        var force = false
        switch data["force_update"] {
        case nil, .null?: break
        case .bool(let value)?: force = value
        case let number? where number.int64Value != nil: force = number.int64Value != 0
        case let other?: throw CommandFailure(.badRequest, "\"force_update\" is " + other.typeName + ", expected a boolean")
        }
        return OtaRequest(url: try DownloadFields.url(CommandFields.string("firmware_url", in: data)),
                          name: try StoragePath.validatedName(CommandFields.string("firmware_name", in: data)),
                          version: version, size: size,
                          md5: try DownloadFields.md5(CommandFields.string("firmware_md5", in: data), key: "firmware_md5"),
                          force: force)
    }
}
