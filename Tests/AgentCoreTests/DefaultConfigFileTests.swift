import AgentCore
import Foundation
import Testing

/// The shipped default configuration, `etc/agent.conf` at the package root.
private let defaultFile = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // AgentCoreTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // package root
    .appendingPathComponent("etc/agent.conf")

/// The text of the default file; a missing file throws, which fails the test (never skips it).
private func defaultFileText() throws -> String {
    guard FileManager.default.fileExists(atPath: defaultFile.path) else {
        throw TestFailure("the default configuration \(defaultFile.path) does not exist: it must ship with every key documented")
    }
    return try String(contentsOf: defaultFile, encoding: .utf8)
}

/// The key of a line that sets or documents one (`key = ...` or `# key = ...`), else nil.
private func documentedKey(_ line: String) -> String? {
    var rest = Substring(line).drop { $0 == " " || $0 == "\t" }
    if rest.hasPrefix("#") { rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" } }
    let key = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
    guard !key.isEmpty, key.first!.isLowercase else { return nil }
    let after = rest.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
    return after.hasPrefix("=") ? String(key) : nil
}

struct DefaultConfigFileTests {
    @Test func parsesWithoutError() throws {
        let text = try defaultFileText()
        var config = AgentConfig()
        do {
            try ConfigFile.apply(text, path: defaultFile.path, to: &config)
        } catch {
            Issue.record("\(error.line)")
        }
    }

    /// Without a file the agent runs on the defaults, so the values the file sets must be
    /// those defaults: installing the file changes nothing but the documentation.
    @Test func setsOnlyTheDefaults() throws {
        var config = AgentConfig()
        try ConfigFile.apply(try defaultFileText(), path: defaultFile.path, to: &config)
        config.origins = [:]
        #expect(config == AgentConfig())
    }

    @Test func documentsEveryKey() throws {
        let keys = Set(try defaultFileText().split(separator: "\n").compactMap { documentedKey(String($0)) })
        for entry in ConfigKeys.all {
            #expect(keys.contains(entry.name), "\(entry.name) is not documented in etc/agent.conf")
        }
    }

    @Test func documentsNoUnknownKey() throws {
        let known = Set(ConfigKeys.all.map(\.name))
        for (index, line) in try defaultFileText().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let key = documentedKey(String(line)) {
                #expect(known.contains(key), "etc/agent.conf:\(index + 1): unknown key \"\(key)\"")
            }
        }
    }

    @Test func keyRecognitionAcceptsBothForms() {
        #expect(documentedKey("broker = mqtt://x") == "broker")
        #expect(documentedKey("# keepalive = 60") == "keepalive")
        #expect(documentedKey("#log_level=info") == "log_level")
        #expect(documentedKey("# The broker to connect to.") == nil)
        #expect(documentedKey("") == nil)
    }
}
