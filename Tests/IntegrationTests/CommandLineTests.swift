import Foundation
import Testing
import TestSupport

/// The command line and configuration checks, as a person runs them.
@Suite struct CommandLineTests {
    @Test func checkConfigAcceptsTheShippedDefaultFileWithIds() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../etc/agent.conf").standardized.path
        let result = try AgentProcess.runToEnd(["-c", shipped, "--device-id", "abc123", "--model-id", "20024", "--check-config"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("configuration OK (\(shipped))"))
        #expect(result.out.contains("device abc123, model 20024"))
    }

    @Test func aBadConfigurationStopsWithOneLineNamingFileAndLine() throws {
        let files = try TemporaryDirectory()
        let cases: [(text: String, line: Int, message: String)] = [
            ("# comment\nbroker = mqtt://x:1\nbrokr = y\n", 3, "unknown key \"brokr\""),
            ("keepalive = 1\n", 1, "expected a whole number from 5 to 3600"),
            ("\n\ntls_ca_file = /nonexistent/ca.crt\n", 3, "tls_ca_file: /nonexistent/ca.crt does not exist"),
            ("broker = http://host\n", 1, "must start with mqtt:// or mqtts://"),
            ("log_level = info\nlog_level = debug\n", 2, "set twice (first at line 1)"),
            ("\nlan_mode = yes\n", 2, "lan_mode needs the LAN broker login"),
            ("lan_mode = yes\nlan_username = lan\n", 1, "lan_mode needs the LAN broker password"),
            ("lan_mode = yes\nlan_username = lan\nlan_password_file = /nonexistent/pw\n", 3,
             "lan_password_file: /nonexistent/pw does not exist"),
            ("home_broker = mqtt://127.0.0.1\nhome_password_file = /nonexistent/pw\n", 2,
             "home_password_file: /nonexistent/pw does not exist"),
            ("home_topic_base = printers/#\n", 1, "home_topic_base must be MQTT topic levels"),
        ]
        for testCase in cases {
            let path = try files.write("bad.conf", testCase.text)
            let result = try AgentProcess.runToEnd(["-c", path, "--device-id", "d1", "--model-id", "20021", "--check-config"])
            #expect(result.status == 1)
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.err)")
            #expect(result.err.hasPrefix("printer-agent: \(path):\(testCase.line): "), "\(result.err)")
            #expect(result.err.contains(testCase.message), "\(result.err)")
        }
    }

    @Test func aMissingConfigFileNamedWithDashCIsAnError() throws {
        let result = try AgentProcess.runToEnd(["-c", "/nonexistent/agent.conf", "--check-config"])
        #expect(result.status == 1)
        #expect(result.err.contains("/nonexistent/agent.conf: cannot read: No such file or directory"))
    }

    @Test func withoutIdsTheAgentSaysWhatIsMissing() throws {
        let result = try AgentProcess.runToEnd(["-c", "/dev/null", "--check-config"])
        #expect(result.status == 1)
        #expect(result.err.contains("device_id is not set"))
    }

    @Test func genAIdentityIsReadFromTheBinaryRecord() throws {
        let files = try TemporaryDirectory()
        var record = Data("f3a9c2e81b7d4a6c9e0f1a2b3c4d5e6f".utf8)
        record.append(Data([0x00, 0x01, 0x02, 0xFF]))
        let path = try files.write("ac_mqtt_connect_info", record)
        let result = try AgentProcess.runToEnd(["-c", "/dev/null", "--identity", "gen-a", "--model-id", "20022",
                                                "--print-identity"])
        #expect(result.status == 1, "the default path does not exist on this machine")
        #expect(result.err.contains("/user/ac_mqtt_connect_info"))
        let config = try files.write("agent.conf", "identity = gen-a\ngen_a_identity_file = \(path)\nmodel_id = 20022\n")
        let found = try AgentProcess.runToEnd(["-c", config, "--print-identity"])
        #expect(found.status == 0, "\(found.err)")
        #expect(found.out.contains("device_id = f3a9c2e81b7d4a6c9e0f1a2b3c4d5e6f"))
        #expect(found.out.contains("(\(path), bytes 0..<32)"))
        #expect(found.out.contains("model_id = 20022    (\(config):3)"))
    }

    @Test func aGarbledOrShortGenARecordIsAClearError() throws {
        let files = try TemporaryDirectory()
        for (name, bytes, message) in [("short", Data("f3a9c2e8".utf8), "too short"),
                                       ("garbled", Data([UInt8](repeating: 0x41, count: 10) + [0xFF] + [UInt8](repeating: 0x41, count: 30)), "garbled device id")] {
            let path = try files.write(name, bytes)
            let config = try files.write("\(name).conf", "identity = gen-a\ngen_a_identity_file = \(path)\nmodel_id = 20021\n")
            let result = try AgentProcess.runToEnd(["-c", config, "--check-config"])
            #expect(result.status == 1)
            #expect(result.err.hasPrefix("printer-agent: \(path): "), "\(result.err)")
            #expect(result.err.contains(message), "\(result.err)")
        }
    }

    @Test func genBIdentityComesFromTheKlipperSideFiles() throws {
        let files = try TemporaryDirectory()
        let ini = try files.write("device.ini", "[device]\nenv = prod\nzone = global\n\n[cloud_global_prod]\nmqttBroker = mqtt-universe.anycubic.com\ndeviceUnionId = U-7781\n")
        let account = try files.write("device_account.json", "{\"deviceId\":\"b7e1d0c2a9f84e3c8d7b6a5f4e3d2c1b\",\"username\":\"lan-user\",\"password\":\"lan-pass\"}")
        let api = try files.write("api.cfg", "{\"cloud\":{\"modelId\":\"20025\"},\"sys\":{\"uds\":\"/tmp/unix_uds1\"}}")
        let config = try files.write("agent.conf", "identity = gen-b\ngen_b_device_ini = \(ini)\ngen_b_account_file = \(account)\ngen_b_api_cfg = \(api)\n")
        let result = try AgentProcess.runToEnd(["-c", config, "--print-identity"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("device_id = b7e1d0c2a9f84e3c8d7b6a5f4e3d2c1b"))
        #expect(result.out.contains("model_id = 20025    (\(api) cloud.modelId)"))
        #expect(result.out.contains("device_unionid = U-7781"))
        #expect(!result.out.contains("lan-pass"), "the password is never printed")
    }

    @Test func helpVersionAndUsageErrors() throws {
        let help = try AgentProcess.runToEnd(["--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("--check-config"))
        let version = try AgentProcess.runToEnd(["--version"])
        #expect(version.status == 0)
        #expect(version.out.hasPrefix("printer-agent "))
        let unknown = try AgentProcess.runToEnd(["--frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("unknown option \"--frobnicate\""))
        let missing = try AgentProcess.runToEnd(["--broker"])
        #expect(missing.status == 2)
        #expect(missing.err.contains("--broker needs a value"))
    }
}
