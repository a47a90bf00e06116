import AgentCore
import Testing

/// Serves files from memory; a missing path fails as reading a missing file does.
private func reader(_ files: [String: [UInt8]]) -> Identity.ReadFile {
    { (path: String) throws(ConfigError) -> [UInt8] in
        guard let bytes = files[path] else { throw ConfigError(path, "cannot read: No such file or directory") }
        return bytes
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A field as "value @ origin", to compare both at once.
private func text(_ field: Identity.Field?) -> String? {
    field.map { "\($0.value) @ \($0.origin)" }
}

/// A configuration made of `lines` (as the file "test.conf").
private func config(_ lines: [String]) throws(ConfigError) -> AgentConfig {
    var config = AgentConfig()
    try ConfigFile.apply(lines.joined(separator: "\n"), path: "test.conf", to: &config)
    return config
}

private func resolve(_ lines: [String], files: [String: [UInt8]] = [:]) throws(ConfigError) -> Identity {
    try Identity.resolve(config(lines), read: reader(files))
}

private let genAId = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
private let genAPath = AgentConfig().genAIdentityFile

/// A Gen A record: `offset` binary bytes, the id, then more binary bytes.
private func genARecord(offset: Int, id: String = genAId) -> [UInt8] {
    Array(repeating: 0xA5, count: offset) + bytes(id) + [0x00, 0xFF, 0x01, 0x7F]
}

// Gen B files at their default paths.
private let iniPath = AgentConfig().genBDeviceIni
private let accountPath = AgentConfig().genBAccountFile
private let apiPath = AgentConfig().genBApiConfig
private let account = #"{"deviceId":"kobra3-0042","username":"lanuser","password":"lanpass"}"#
private let api = #"{"cloud":{"modelId":"20024"},"sys":{"uds":"/tmp/unix_uds1"}}"#
private let ini = """
[device]
env = prod
zone = us

[cloud_us_prod]
mqttBroker = mqtts://cloud
deviceUnionId = UNION-ZONE

[cloud_prod]
deviceUnionId = UNION-ENV
"""

private func genBFiles(account: String = account, api: String = api, ini: String = ini) -> [String: [UInt8]] {
    [accountPath: bytes(account), apiPath: bytes(api), iniPath: bytes(ini)]
}

struct IdentityTests {
    // MARK: identity = config

    @Test func configSourceUsesBothIdsWithTheirLines() throws {
        let identity = try resolve(["model_id = 20021", "device_id = dev-1"])
        #expect(text(identity.modelId) == "20021 @ test.conf:1")
        #expect(text(identity.deviceId) == "dev-1 @ test.conf:2")
        #expect(identity.deviceUnionId == nil)
        #expect(identity.lanUsername == nil)
    }

    @Test(arguments: [(["model_id = 20021"], "device_id"), (["device_id = dev-1"], "model_id"), ([], "device_id")])
    func configSourceNeedsBothIds(lines: [String], missing: String) throws {
        let error = try #require(configError { _ = try resolve(lines) })
        #expect(error.message.contains(missing))
        #expect(error.origin == AgentConfig().origin(of: "identity"))
    }

    @Test func missingIdErrorNamesWhereIdentityWasSet() throws {
        let error = try #require(configError { _ = try resolve(["# ids", "identity = config", "model_id = 20021"]) })
        #expect(error.origin == "test.conf:2")
        #expect(error.line.hasPrefix("test.conf:2: "))
    }

    // MARK: identity = gen-a

    @Test(arguments: [0, 128])
    func genAReadsThirtyTwoCharactersAtTheOffset(offset: Int) throws {
        let identity = try resolve(["identity = gen-a", "model_id = 20022", "gen_a_id_offset = \(offset)"],
                                   files: [genAPath: genARecord(offset: offset)])
        #expect(identity.deviceId.value == genAId)
        #expect(identity.deviceId.origin.contains(genAPath))
        #expect(identity.modelId.value == "20022")
    }

    @Test func genAReadsTheConfiguredFile() throws {
        let identity = try resolve(["identity = gen-a", "model_id = 20021", "gen_a_identity_file = /data/info"],
                                   files: ["/data/info": genARecord(offset: 0)])
        #expect(identity.deviceId.value == genAId)
    }

    @Test(arguments: [
        ("short file", Array(genAId.utf8.prefix(31))),
        ("empty file", []),
        ("NUL inside", Array(genAId.utf8.prefix(10)) + [0x00] + Array(genAId.utf8.suffix(21))),
        ("0xFF inside", Array(genAId.utf8.prefix(31)) + [0xFF]),
        ("slash inside", Array("ABCDEFGHIJKLMNOP/RSTUVWXYZ012345".utf8)),
        ("binary at offset 0", genARecord(offset: 128)),
    ] as [(String, [UInt8])])
    func genABadRecordIsAnErrorNamingTheFile(name: String, record: [UInt8]) throws {
        let error = try #require(configError {
            _ = try resolve(["identity = gen-a", "model_id = 20021"], files: [genAPath: record])
        }, "\(name) was accepted")
        #expect(error.origin == genAPath)
        #expect(error.line.hasPrefix("\(genAPath): "))
    }

    @Test func genAIdTooShortAtTheOffset() throws {
        let error = try #require(configError {
            _ = try resolve(["identity = gen-a", "model_id = 20021", "gen_a_id_offset = 128"], files: [genAPath: genARecord(offset: 0)])
        })
        #expect(error.origin == genAPath)
        #expect(error.message.contains("128"))
    }

    @Test func genAMissingFileIsAnErrorNamingIt() throws {
        let error = try #require(configError { _ = try resolve(["identity = gen-a", "model_id = 20021"]) })
        #expect(error.origin == genAPath)
    }

    @Test func genAWithoutModelIdIsAnError() throws {
        let error = try #require(configError { _ = try resolve(["identity = gen-a"], files: [genAPath: genARecord(offset: 0)]) })
        #expect(error.message.contains("model_id"))
        #expect(error.origin == "test.conf:1")
    }

    @Test func genAExplicitDeviceIdNeedsNoFile() throws {
        let identity = try resolve(["identity = gen-a", "model_id = 20023", "device_id = given-id"])
        #expect(text(identity.deviceId) == "given-id @ test.conf:3")
    }

    // MARK: identity = gen-b

    @Test func genBReadsEveryFile() throws {
        let identity = try resolve(["identity = gen-b"], files: genBFiles())
        #expect(identity.deviceId.value == "kobra3-0042")
        #expect(identity.deviceId.origin.contains(accountPath))
        #expect(identity.modelId.value == "20024")
        #expect(identity.modelId.origin.contains(apiPath))
        #expect(identity.deviceUnionId?.value == "UNION-ZONE")
        #expect(identity.deviceUnionId?.origin.contains("[cloud_us_prod]") == true)
        #expect(identity.lanUsername?.value == "lanuser")
        #expect(identity.lanPassword?.value == "lanpass")
        #expect(identity.description.contains { $0.contains("kobra3-0042") && $0.contains(accountPath) })
        #expect(!identity.description.contains { $0.contains("lanpass") })
    }

    @Test(arguments: [#"{"cloud":{"modelId":20025}}"#, #"{"cloud":{"modelId":"20025"}}"#])
    func genBModelIdAsStringOrNumber(api: String) throws {
        #expect(try resolve(["identity = gen-b"], files: genBFiles(api: api)).modelId.value == "20025")
    }

    @Test(arguments: [
        ("[device]\nenv = test\n[cloud_test]\ndeviceUnionId = U-ENV", "U-ENV"),
        ("[device]\nenv = prod\nzone = eu\n[cloud_prod]\ndeviceUnionId = U-ENV", "U-ENV"),
        ("[device]\nzone = cn\n[cloud_cn_prod]\ndeviceUnionId = U-CN", "U-CN"),
        ("[device]\nenv = prod\nzone = us\n[cloud_us_prod]\ndeviceUnionId =\n[cloud_prod]\ndeviceUnionId = U-ENV", "U-ENV"),
        ("[device]\nenv = prod\n[cloud_us_prod]\ndeviceUnionId = U-OTHER", nil),
        ("", nil),
    ] as [(String, String?)])
    func genBUnionIdFollowsEnvAndZone(ini: String, union: String?) throws {
        #expect(try resolve(["identity = gen-b"], files: genBFiles(ini: ini)).deviceUnionId?.value == union)
    }

    /// Found by fuzz/run: a device id with a line break in device_account.json made the
    /// error that names it two lines; the agent's one-line error keeps it on one.
    @Test func errorQuotingALineBreakStaysOneLine() throws {
        let error = try #require(configError {
            _ = try resolve(["identity = gen-b"], files: genBFiles(account: #"{"deviceId":"kobra\n3","username":"u"}"#))
        })
        #expect(error.message.contains("kobra\n3"))
        #expect(error.line == accountPath + ": device id \"kobra\\x0A3\" must be 1 to 64 letters, digits, - or _")
    }

    @Test func genBWithoutLanCredentials() throws {
        let identity = try resolve(["identity = gen-b"], files: genBFiles(account: #"{"deviceId":"d1","username":5}"#))
        #expect(identity.lanUsername == nil)
        #expect(identity.lanPassword == nil)
    }

    @Test(arguments: [accountPath, apiPath, iniPath])
    func genBMissingFileIsAnErrorNamingIt(missing: String) throws {
        var files = genBFiles()
        files[missing] = nil
        let error = try #require(configError { _ = try resolve(["identity = gen-b"], files: files) })
        #expect(error.origin == missing)
    }

    @Test(arguments: [
        (accountPath, "not json"), (accountPath, "[]"), (accountPath, #"{"username":"u"}"#),
        (accountPath, #"{"deviceId":42}"#), (accountPath, #"{"deviceId":"a/b"}"#), (accountPath, #"{"deviceId":""}"#),
        (apiPath, "{"), (apiPath, #""20024""#), (apiPath, #"{"sys":{}}"#), (apiPath, #"{"cloud":{}}"#),
        (apiPath, #"{"cloud":{"modelId":true}}"#), (apiPath, #"{"cloud":{"modelId":"K3"}}"#),
        (apiPath, #"{"cloud":{"modelId":20024.5}}"#), (apiPath, #"{"cloud":{"modelId":-1}}"#),
    ])
    func genBMalformedFileIsAnErrorNamingIt(file: String, text: String) throws {
        var files = genBFiles()
        files[file] = bytes(text)
        let error = try #require(configError { _ = try resolve(["identity = gen-b"], files: files) }, "\(text) accepted")
        #expect(error.origin == file)
        #expect(!error.message.isEmpty)
    }

    @Test func genBMalformedIniNamesFileAndLine() throws {
        let error = try #require(configError {
            _ = try resolve(["identity = gen-b"], files: genBFiles(ini: "[device]\nenv prod"))
        })
        #expect(error.origin == "\(iniPath):2")
    }

    @Test func genBExplicitIdsWinOverTheFiles() throws {
        var files = genBFiles()
        files[apiPath] = nil  // not needed when model_id is given
        let identity = try resolve(["identity = gen-b", "device_id = override-1", "model_id = 20030"], files: files)
        #expect(text(identity.deviceId) == "override-1 @ test.conf:2")
        #expect(text(identity.modelId) == "20030 @ test.conf:3")
        #expect(identity.lanUsername?.value == "lanuser")
        #expect(identity.deviceUnionId?.value == "UNION-ZONE")
    }
}
