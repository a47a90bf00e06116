import AgentCore
import AgentJSON
import Testing

/// The pure parts of the OctoPrint-compatible API: the app-key requests, the state words and
/// flags, the request bodies, the documents' encodings.
struct OctoApiTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func anAppKeyIsHandedOutOnceAfterApproval() throws {
        var requests = AppKeyRequests(autoApprove: false)
        try requests.request(app: "Home Assistant", token: "T1", code: "C1", now: 0)
        #expect(requests.poll(token: "T1", now: 1_000) == .waiting)
        #expect(requests.decide(code: "wrong", approve: true, now: 1_000) == nil, "a wrong code approves nothing")
        #expect(requests.poll(token: "T1", now: 1_000) == .waiting)
        #expect(requests.waiting(now: 1_000).map(\.code) == ["C1"], "the request waits for the owner")
        #expect(requests.decide(code: "C1", approve: true, now: 2_000) == "Home Assistant")
        #expect(requests.waiting(now: 2_000).isEmpty, "an approved request no longer waits")
        #expect(requests.decide(code: "C1", approve: false, now: 2_000) == nil, "a decided request is not decided again")
        #expect(requests.poll(token: "C1", now: 2_000) == .unknown, "the code is not the poll token")
        #expect(requests.poll(token: "T1", now: 3_000) == .approved)
        #expect(requests.poll(token: "T1", now: 3_000) == .unknown, "the key is handed out once")
    }

    @Test func anUnapprovedRequestTimesOut() throws {
        var requests = AppKeyRequests(autoApprove: false)
        try requests.request(app: "app", token: "T", code: "C", now: 0)
        #expect(requests.poll(token: "T", now: AppKeyRequests.lifetimeMs) == .waiting)
        #expect(requests.decide(code: "C", approve: true, now: AppKeyRequests.lifetimeMs + 1) == nil, "too late to approve")
        #expect(requests.poll(token: "T", now: AppKeyRequests.lifetimeMs + 1) == .unknown)
    }

    @Test func aDeniedRequestEnds() throws {
        var requests = AppKeyRequests(autoApprove: false)
        try requests.request(app: "First", token: "T1", code: "C1", now: 0)
        try requests.request(app: "Second", token: "T2", code: "C2", now: 10)
        #expect(requests.waiting(now: 20).map(\.app) == ["First", "Second"], "oldest first")
        #expect(requests.decide(code: "C1", approve: false, now: 30) == "First")
        #expect(requests.poll(token: "T1", now: 40) == .unknown, "a denied request's poll finds nothing")
        #expect(requests.waiting(now: 40).map(\.app) == ["Second"], "the other request still waits")
        #expect(requests.poll(token: "T2", now: 40) == .waiting)
    }

    @Test func autoApprovalApprovesAtOnce() throws {
        var requests = AppKeyRequests(autoApprove: true)
        try requests.request(app: "app", token: "T", code: "C", now: 0)
        #expect(requests.waiting(now: 0).isEmpty, "nothing waits for the owner")
        #expect(requests.poll(token: "T", now: 0) == .approved)
    }

    @Test func tooManyWaitingRequestsAreRefused() throws {
        var requests = AppKeyRequests(autoApprove: false)
        for index in 0..<AppKeyRequests.maxPending {
            try requests.request(app: "app", token: "T\(index)", code: "C\(index)", now: 0)
        }
        #expect(throws: CommandFailure.self) { try requests.request(app: "app", token: "X", code: "Y", now: 0) }
        try requests.request(app: "app", token: "X", code: "Y", now: AppKeyRequests.lifetimeMs + 1)
    }

    @Test func statesAreOctoPrintsWords() {
        #expect(OctoState(connected: false, phase: .printing).text == "Offline")
        #expect(OctoState(connected: true, phase: nil).text == "Operational")
        let words: [(PrintPhase, String)] = [(.downloading, "Starting"), (.preheating, "Starting"), (.printing, "Printing"),
                                             (.pausing, "Pausing"), (.paused, "Paused"), (.resuming, "Resuming"),
                                             (.stopping, "Cancelling"), (.finished, "Operational")]
        for (phase, word) in words { #expect(OctoState(connected: true, phase: phase).text == word, "\(phase)") }
        let paused = OctoState(connected: true, phase: .paused).flags
        #expect(paused["paused"] == .bool(true) && paused["printing"] == .bool(false) && paused["ready"] == .bool(false))
        let idle = OctoState(connected: true, phase: nil).flags
        #expect(idle["ready"] == .bool(true) && idle["operational"] == .bool(true) && idle["closedOrError"] == .bool(false))
        #expect(OctoState(connected: false, phase: nil).flags["closedOrError"] == .bool(true))
    }

    @Test func jobCommandsAreRead() throws {
        #expect(try OctoRequest.jobCommand(Self.bytes("{\"command\":\"start\"}")) == .start)
        #expect(try OctoRequest.jobCommand(Self.bytes("{\"command\":\"cancel\"}")) == .cancel)
        #expect(try OctoRequest.jobCommand(Self.bytes("{\"command\":\"pause\"}")) == .pause(.toggle))
        #expect(try OctoRequest.jobCommand(Self.bytes("{\"command\":\"pause\",\"action\":\"resume\"}")) == .pause(.resume))
        for bad in ["", "[]", "{}", "{\"command\":1}", "{\"command\":\"restart\"}", "{\"command\":\"pause\",\"action\":\"up\"}"] {
            #expect(throws: CommandFailure.self, "\(bad)") { try OctoRequest.jobCommand(Self.bytes(bad)) }
        }
    }

    @Test func decisionsAreRead() throws {
        #expect(try OctoRequest.decision(Self.bytes("{\"decision\":true}")) == true)
        #expect(try OctoRequest.decision(Self.bytes("{\"decision\":false}")) == false)
        #expect(try OctoRequest.decision(Self.bytes("{\"decision\":\"yes\"}")) == true, "OctoPrint's string flags")
        for bad in ["{}", "{\"decision\":null}", "{\"decision\":1}", "[true]", "yes"] {
            #expect(throws: CommandFailure.self, "\(bad)") { try OctoRequest.decision(Self.bytes(bad)) }
        }
    }

    @Test func pendingRequestsAreListedAsOctoPrintDoes() throws {
        var requests = AppKeyRequests(autoApprove: false)
        try requests.request(app: "Home Assistant", token: "T1", code: "C1", now: 1_000)
        let document = OctoDocuments.appKeys(waiting: requests.waiting(now: 43_500), now: 43_500)
        #expect(JSONCodec.print(document) == "{\"keys\":[],\"pending\":{\"C1\":{\"app_id\":\"Home Assistant\",\"user_id\":null,\"user_token\":\"C1\",\"age\":42}}}",
                "the poll token is never listed")
    }

    @Test func fileAndPrinterCommandsAreRead() throws {
        #expect(try OctoRequest.fileCommand(Self.bytes("{\"command\":\"select\"}")) == false)
        #expect(try OctoRequest.fileCommand(Self.bytes("{\"command\":\"select\",\"print\":true}")) == true)
        #expect(try OctoRequest.fileCommand(Self.bytes("{\"command\":\"select\",\"print\":\"yes\"}")) == true)
        #expect(throws: CommandFailure.self) { try OctoRequest.fileCommand(Self.bytes("{\"command\":\"move\"}")) }
        #expect(throws: CommandFailure.self) { try OctoRequest.fileCommand(Self.bytes("{\"command\":\"select\",\"print\":2}")) }
        #expect(try OctoRequest.printerCommands(Self.bytes("{\"command\":\"G28\"}")) == ["G28"])
        #expect(try OctoRequest.printerCommands(Self.bytes("{\"commands\":[\"G28\",\"M114\"]}")) == ["G28", "M114"])
        #expect(throws: CommandFailure.self) { try OctoRequest.printerCommands(Self.bytes("{\"commands\":[]}")) }
        #expect(throws: CommandFailure.self) { try OctoRequest.printerCommands(Self.bytes("{\"commands\":[1]}")) }
        #expect(try OctoRequest.appName(Self.bytes("{\"app\":\"Home Assistant\",\"user\":\"x\"}")) == "Home Assistant")
        #expect(throws: CommandFailure.self) { try OctoRequest.appName(Self.bytes("{\"app\":\"\"}")) }
        #expect(throws: CommandFailure.self) { try OctoRequest.appName(Self.bytes("{\"app\":\"a\\nb\"}")) }
    }

    @Test func heaterTargetsBecomeTemperatureSettings() throws {
        #expect(try OctoRequest.heaterTarget(Self.bytes("{\"command\":\"target\",\"targets\":{\"tool0\":205}}"), bed: false)
                == .object(JSONObject([("target_nozzle_temp", .number(205))])))
        #expect(try OctoRequest.heaterTarget(Self.bytes("{\"command\":\"target\",\"target\":65}"), bed: true)
                == .object(JSONObject([("target_hotbed_temp", .number(65))])))
        for bad in ["{\"command\":\"offset\",\"offsets\":{\"tool0\":5}}", "{\"command\":\"target\",\"targets\":{\"tool1\":200}}",
                    "{\"command\":\"target\",\"targets\":{\"tool0\":200,\"tool1\":200}}",
                    "{\"command\":\"target\",\"targets\":{\"tool0\":\"hot\"}}"] {
            #expect(throws: CommandFailure.self, "\(bad)") { try OctoRequest.heaterTarget(Self.bytes(bad), bed: false) }
        }
        #expect(throws: CommandFailure.self) { try OctoRequest.heaterTarget(Self.bytes("{\"command\":\"target\"}"), bed: true) }
    }

    @Test func theConnectionShowsTheControllersPort() {
        let connection = OctoDocuments.connection(state: OctoState(connected: true, phase: nil), port: "/dev/ttyS1", baudrate: 115_200)
        #expect(connection["current"]?["state"] == .string("Operational"))
        #expect(connection["current"]?["port"] == .string("/dev/ttyS1"))
        #expect(connection["options"]?["baudrates"] == .array([.int(115_200)]))
        let none = OctoDocuments.connection(state: OctoState(connected: false, phase: nil), port: nil, baudrate: nil)
        #expect(none["current"]?["port"] == .null && none["options"]?["ports"] == .array([]))
    }

    /// `/api/server` keeps OctoPrint's keys and adds the agent's `printer`: what the web page
    /// shows as the versions and the update under way.
    @Test func theServerNamesThePrinterAndItsUpdate() {
        let state = PrinterState(printerName: "Shop", modelId: "20025", deviceUnionId: nil, firmwareVersion: "2.4.1",
                                 agentVersion: "0.1.0", ip: nil)
        let updating = OctoDocuments.server(state, ota: (version: "2.4.2", percent: 40))
        #expect(updating["version"] == .string(OctoDocuments.serverVersion) && updating["safemode"] == .null)
        #expect(updating["printer"]?["name"] == .string("Shop") && updating["printer"]?["firmware"] == .string("2.4.1"))
        #expect(updating["printer"]?["agent"] == .string("0.1.0"))
        #expect(updating["printer"]?["ota"]?["version"] == .string("2.4.2") && updating["printer"]?["ota"]?["percent"] == .int(40))
        var unknown = state
        unknown.firmwareVersion = nil
        let idle = OctoDocuments.server(unknown, ota: nil)
        #expect(idle["printer"]?["ota"] == .null && idle["printer"]?["firmware"] == .null)
    }

    @Test func flagsAndStatusesFollowOctoPrint() {
        for word in ["true", "True", "yes", "y", "1"] { #expect(OctoRequest.flag(word), "\(word)") }
        for word in ["false", "no", "0", "", "truthy"] { #expect(!OctoRequest.flag(word), "\(word)") }
        #expect(!OctoRequest.flag(nil))
        #expect(OctoRequest.status(.printActive) == 409)
        #expect(OctoRequest.status(.forbidden) == 403)
        #expect(OctoRequest.status(.ok) == 500)
    }

    @Test func pathsAreEscapedForURLs() {
        #expect(OctoDocuments.escaped("models/a b+c%.gcode") == "models/a%20b%2Bc%25.gcode")
        #expect(OctoDocuments.escaped("é") == "%C3%A9")
    }

    /// A USB stick's file is an `sdcard` entry as OctoPrint makes an SD card's (named by its
    /// path, its URL under `/api/files/sdcard/`); the SD card's listing has no free space; the
    /// flags and `/api/printer` say whether a stick is there.
    @Test func theUsbStickIsTheSdcardOrigin() {
        let file = FileEntry(name: "a b.gcode", size: 42, modifiedMs: 1_700_000_000_500, isDirectory: false)
        let entry = OctoDocuments.fileEntry(file, path: "models/a b.gcode", base: "http://p:80", source: .udisk)
        #expect(entry["origin"] == .string("sdcard") && entry["name"] == .string("models/a b.gcode"))
        #expect(entry["display"] == .string("a b.gcode") && entry["size"] == .int64(42) && entry["date"] == .int64(1_700_000_000))
        #expect(entry["refs"]?["resource"] == .string("http://p:80/api/files/sdcard/models/a%20b.gcode"))
        let local = OctoDocuments.fileEntry(file, path: "a b.gcode", base: "http://p:80")
        #expect(local["origin"] == .string("local") && local["name"] == .string("a b.gcode"))
        #expect(OctoDocuments.files([], freeBytes: nil, withFree: false) == .object(JSONObject([("files", .array([]))])))
        #expect(OctoDocuments.files([], freeBytes: 7)["free"] == .int64(7))
        #expect(OctoState(connected: true, phase: nil, sdReady: true).flags["sdReady"] == .bool(true))
        #expect(OctoState(connected: true, phase: nil).flags["sdReady"] == .bool(false))
        let printer = OctoDocuments.printer(ControllerReadings(), state: OctoState(connected: true, phase: nil, sdReady: true))
        #expect(printer["sd"]?["ready"] == .bool(true))
    }

    @Test func theDiscoveryUuidIsAVersion3Uuid() {
        let uuid = OctoDocuments.uuid(deviceIdMD5: Array(repeating: 0xFF, count: 16))
        #expect(uuid == "ffffffff-ffff-3fff-bfff-ffffffffffff")
    }
}
