import AgentJSON

/// Who the printer is on the wire, and where each value was found (for `--print-identity`
/// and for error messages). Values are never made up: a source that does not give one is an error.
public struct Identity: Equatable {
    /// One value and where it came from.
    public struct Field: Equatable {
        public var value: String
        public var origin: String
    }

    /// The device id (a topic level).
    public var deviceId: Field
    /// The model id (a topic level).
    public var modelId: Field
    /// The cloud's union id of the device (Gen B `device.ini`), reported by `ota/reportVersion`.
    public var deviceUnionId: Field?
    /// LAN broker credentials (Gen B `device_account.json`), used when the configuration sets none.
    public var lanUsername: Field?
    public var lanPassword: Field?

    /// Reads files through this function: the path in, the bytes or a `ConfigError` naming it out.
    public typealias ReadFile = (String) throws(ConfigError) -> [UInt8]

    /// Finds the identity the configuration asks for. Explicit `device_id` / `model_id`
    /// (configuration or command line) win over what the files say.
    public static func resolve(_ config: AgentConfig, read: ReadFile) throws(ConfigError) -> Identity {
        var deviceId = config.deviceId.map { Field(value: $0, origin: config.origin(of: "device_id")) }
        let modelId = config.modelId.map { Field(value: $0, origin: config.origin(of: "model_id")) }
        var identity: Identity
        switch config.identity {
        case .config:
            guard let device = deviceId else {
                throw ConfigError(config.origin(of: "identity"), "device_id is not set: give --device-id, set device_id, or set identity = gen-a or gen-b")
            }
            guard let model = modelId else {
                throw ConfigError(config.origin(of: "identity"), "model_id is not set: give --model-id or set model_id")
            }
            identity = Identity(deviceId: device, modelId: model)
        case .genA:
            if deviceId == nil {
                deviceId = try genADeviceId(read(config.genAIdentityFile), offset: config.genAIdOffset, path: config.genAIdentityFile)
            }
            guard let model = modelId, let device = deviceId else {
                throw ConfigError(config.origin(of: "identity"), "model_id is not set: with identity = gen-a it must be configured (20021 Kobra 2 Pro, 20022 Plus, 20023 Max)")
            }
            identity = Identity(deviceId: device, modelId: model)
        case .genB:
            identity = try genB(config, read: read, deviceId: deviceId, modelId: modelId)
        }
        return identity
    }

    init(deviceId: Field, modelId: Field, deviceUnionId: Field? = nil,
         lanUsername: Field? = nil, lanPassword: Field? = nil) {
        self.deviceId = deviceId
        self.modelId = modelId
        self.deviceUnionId = deviceUnionId
        self.lanUsername = lanUsername
        self.lanPassword = lanPassword
    }

    /// Gen A: the device id is the 32 characters at `offset` of the binary record.
    public static func genADeviceId(_ bytes: [UInt8], offset: Int, path: String) throws(ConfigError) -> Field {
        let length = 32
        guard bytes.count >= offset + length else {
            throw ConfigError(path, "file is \(bytes.count) bytes, too short for a \(length)-character device id at offset \(offset)")
        }
        let slice = bytes[offset..<(offset + length)]
        if let bad = slice.firstIndex(where: { !IdentityRules.isIdByte($0) }) {
            throw ConfigError(path, "garbled device id: byte \(bad) is \(hex(bytes[bad])), expected a letter or digit (offset \(offset); set gen_a_id_offset if the id is elsewhere)")
        }
        return Field(value: String(decoding: slice, as: UTF8.self), origin: "\(path), bytes \(offset)..<\(offset + length)")
    }

    private static func genB(_ config: AgentConfig, read: ReadFile, deviceId: Field?, modelId: Field?) throws(ConfigError) -> Identity {
        let accountPath = config.genBAccountFile
        let account = try jsonObject(read(accountPath), path: accountPath)
        let device: Field
        if let deviceId { device = deviceId } else {
            let text = try stringMember(account, "deviceId", path: accountPath)
            do { _ = try IdentityRules.deviceId(text) } catch { throw ConfigError(accountPath, error.message) }
            device = Field(value: text, origin: "\(accountPath) deviceId")
        }
        let model: Field
        if let modelId { model = modelId } else {
            let apiPath = config.genBApiConfig
            let api = try jsonObject(read(apiPath), path: apiPath)
            guard let cloud = api["cloud"]?.objectValue else {
                throw ConfigError(apiPath, "no \"cloud\" object, so no cloud.modelId")
            }
            let text: String
            switch cloud["modelId"] {
            case .string(let value)?: text = value
            case .number?: text = cloud["modelId"]?.int64Value.map { "\($0)" } ?? ""
            default: throw ConfigError(apiPath, "cloud.modelId is missing or not a string")
            }
            do { _ = try IdentityRules.modelId(text) } catch { throw ConfigError(apiPath, error.message) }
            model = Field(value: text, origin: "\(apiPath) cloud.modelId")
        }
        var identity = Identity(deviceId: device, modelId: model)
        if case .string(let user)? = account["username"] {
            identity.lanUsername = Field(value: user, origin: "\(accountPath) username")
        }
        if case .string(let password)? = account["password"] {
            identity.lanPassword = Field(value: password, origin: "\(accountPath) password")
        }
        identity.deviceUnionId = try unionId(config, read: read)
        return identity
    }

    /// `deviceUnionId` from the `[cloud_<zone>_<env>]` (or `[cloud_<env>]`) section named by `[device]`.
    private static func unionId(_ config: AgentConfig, read: ReadFile) throws(ConfigError) -> Field? {
        let path = config.genBDeviceIni
        let ini = try IniFile(parsing: String(decoding: read(path), as: UTF8.self), path: path)
        let env = ini.value("device", "env") ?? "prod"
        var sections: [String] = []
        if let zone = ini.value("device", "zone"), !zone.isEmpty { sections.append("cloud_\(zone)_\(env)") }
        sections.append("cloud_\(env)")
        for section in sections {
            if let value = ini.value(section, "deviceUnionId"), !value.isEmpty {
                return Field(value: value, origin: "\(path) [\(section)] deviceUnionId")
            }
        }
        return nil
    }

    private static func jsonObject(_ bytes: [UInt8], path: String) throws(ConfigError) -> JSONObject {
        let value: JSONValue
        do { value = try JSONCodec.parse(bytes) } catch { throw ConfigError(path, error.message) }
        guard let object = value.objectValue else {
            throw ConfigError(path, "expected a JSON object, found \(value.typeName)")
        }
        return object
    }

    private static func stringMember(_ object: JSONObject, _ key: String, path: String) throws(ConfigError) -> String {
        guard case .string(let text)? = object[key] else {
            throw ConfigError(path, "\"\(key)\" is \(object[key]?.typeName ?? "missing"), expected a string")
        }
        return text
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return "0x" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
    }

    /// The lines `--print-identity` prints: each value and where it came from.
    public var description: [String] {
        var lines = ["device_id = \(deviceId.value)    (\(deviceId.origin))",
                     "model_id = \(modelId.value)    (\(modelId.origin))"]
        if let deviceUnionId { lines.append("device_unionid = \(deviceUnionId.value)    (\(deviceUnionId.origin))") }
        if let lanUsername { lines.append("lan_username = \(lanUsername.value)    (\(lanUsername.origin))") }
        return lines
    }
}
