import Foundation
import Testing
import TestSupport

/// The owner's side of OctoPrint's app-key flow on the real agent: the waiting requests listed
/// (`GET /api/plugin/appkeys`) and decided (`POST /plugin/appkeys/decision/<code>`) with the
/// API key, as the web page does; without the key nothing is shown or changed.
@Suite struct OctoAppKeyTests {
    /// An application's request, as Home Assistant sends it: its poll token.
    static func request(_ agent: ApiAgent, app: String) throws -> String {
        let answer = try LoopbackHttp.request(port: agent.port, "POST", "/plugin/appkeys/request",
                                              headers: ["Content-Type": "application/json"], body: Data("{\"app\":\"\(app)\"}".utf8))
        #expect(answer.status == 201, "\(answer.text)")
        return try #require(answer.json["app_token"] as? String)
    }

    /// The application's poll of `token`.
    static func poll(_ agent: ApiAgent, _ token: String) throws -> LoopbackHttp.Answer {
        try LoopbackHttp.request(port: agent.port, "GET", "/plugin/appkeys/request/" + token)
    }

    /// The waiting requests as the API lists them (with `key`): code to application's name.
    static func pending(_ agent: ApiAgent, key: String) throws -> [String: String] {
        let answer = try LoopbackHttp.request(port: agent.port, "GET", "/api/plugin/appkeys", headers: ["X-Api-Key": key])
        #expect(answer.status == 200, "\(answer.text)")
        let pending = answer.json["pending"] as? [String: [String: Any]] ?? [:]
        return pending.mapValues { $0["app_id"] as? String ?? "" }
    }

    /// The owner's decision on `code`, with `key` (none when nil).
    static func decide(_ agent: ApiAgent, _ code: String, _ body: String, key: String?) throws -> LoopbackHttp.Answer {
        var headers = ["Content-Type": "application/json"]
        if let key { headers["X-Api-Key"] = key }
        return try LoopbackHttp.request(port: agent.port, "POST", "/plugin/appkeys/decision/" + code, headers: headers,
                                        body: Data(body.utf8))
    }

    /// A request shows in the list under the code the log gives for `--approve-app`; a
    /// decision without the key, with a wrong one or with a body that is not one changes
    /// nothing; approved, the app's poll gets the key once; denied, its poll is 404 as for an
    /// unknown request; a code no request waits with is 404.
    @Test func theOwnerApprovesOrDeniesWithTheKey() throws {
        let agent = try ApiAgent()
        let key = try agent.key()
        let token = try Self.request(agent, app: "Home Assistant")
        try agent.harness.agent.waitForLog("printer-agent --approve-app ")
        let listed = try Self.pending(agent, key: key)
        #expect(Array(listed.values) == ["Home Assistant"], "\(listed)")
        let code = try #require(listed.keys.first)
        #expect(agent.harness.agent.log.contains("--approve-app \(code) "), "the list's code is the printer command's")
        #expect(!listed.keys.contains(token), "the poll token is not shown")
        let list = try LoopbackHttp.request(port: agent.port, "GET", "/api/plugin/appkeys", headers: ["X-Api-Key": "wrong"])
        #expect(list.status == 403, "the list needs the key: \(list.text)")

        for refused in [nil, "wrong", key + "x"] {
            let answer = try Self.decide(agent, code, "{\"decision\":true}", key: refused)
            #expect(answer.status == 403, "key \(refused ?? "none"): \(answer.status) \(answer.text)")
        }
        let bad = try Self.decide(agent, code, "{\"decision\":1}", key: key)
        #expect(bad.status == 400 && (bad.json["error"] as? String)?.contains("true or false") == true, "\(bad.text)")
        #expect(try Self.poll(agent, token).status == 202, "still waiting")
        #expect(try Self.pending(agent, key: key) == [code: "Home Assistant"], "still listed")

        #expect(try Self.decide(agent, code, "{\"decision\":true}", key: key).status == 204)
        #expect(try Self.pending(agent, key: key).isEmpty, "an approved request is no longer listed")
        let approved = try Self.poll(agent, token)
        #expect(approved.status == 200 && approved.json["api_key"] as? String == key, "\(approved.text)")
        #expect(try Self.poll(agent, token).status == 404, "the key is handed out once")
        #expect(try Self.decide(agent, code, "{\"decision\":false}", key: key).status == 404, "decided already")

        let other = try Self.request(agent, app: "Unwanted")
        let otherCode = try #require(try Self.pending(agent, key: key).first { $0.value == "Unwanted" }?.key)
        #expect(try Self.decide(agent, otherCode, "{\"decision\":false}", key: key).status == 204)
        let denied = try Self.poll(agent, other)
        #expect(denied.status == 404, "a denied request ends: \(denied.text)")
        #expect(try Self.pending(agent, key: key).isEmpty)
        let unknown = try Self.decide(agent, "NoSuch12", "{\"decision\":true}", key: key)
        #expect(unknown.status == 404 && (unknown.json["error"] as? String)?.contains("no application waits") == true,
                "\(unknown.text)")
        try agent.harness.agent.waitForLog("application \"Home Assistant\" approved with the API key")
        try agent.harness.agent.waitForLog("application \"Unwanted\" denied with the API key")
    }
}
