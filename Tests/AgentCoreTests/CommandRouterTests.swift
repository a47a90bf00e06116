import AgentCore
import AgentJSON
import Testing

/// Every (type, action) pair the router knows.
private let protocolPairs: [(String, String)] = CommandRouter.protocolCommands.flatMap { entry in
    entry.actions.map { (entry.type, $0) }
}

struct CommandRouterTests {
    @Test func registeredHandlerAnswers() throws {
        let router = CommandRouter()
        var received: [Command] = []
        router.register("light", "control") { command in
            received.append(command)
            return Report.success(command, state: "done", data: .object(JSONObject([("status", .number(1))])))
        }
        let command = Command(type: "light", action: "control", msgid: "m-1", data: .object(JSONObject([("type", .number(1))])))
        let report = try #require(router.route(command))
        #expect(received == [command])
        #expect(report.code == .ok)
        #expect(report.msgid == "m-1")
        #expect(report.data["status"] == .number(1))
    }

    @Test func handlerOnlyAnswersItsOwnAction() {
        let router = CommandRouter()
        router.register("fan", "set") { Report.success($0) }
        #expect(router.route(Command(type: "fan", action: "query"))?.code == .notAvailable)
    }

    @Test(arguments: protocolPairs)
    func protocolCommandWithoutHandlerIsNotAvailable(type: String, action: String) throws {
        let report = try #require(CommandRouter().route(Command(type: type, action: action, msgid: "m-\(type)")))
        #expect(report.code != .ok)
        #expect(report.code == .notAvailable)
        #expect(report.message.contains("\(type)/\(action)"))
        #expect(report.state == "failed")
        #expect(report.msgid == "m-\(type)")
        #expect(report.type == type)
        #expect(report.action == action)
    }

    /// The table of `docs/protocol.md`, written out here so that a command dropped from
    /// the router's list is noticed.
    @Test(arguments: [
        ("status", "query"), ("info", "query"),
        ("print", "start"), ("print", "pause"), ("print", "resume"), ("print", "stop"), ("print", "cancel"),
        ("print", "update"), ("print", "query"), ("print", "getSliceParam"), ("print", "localtasktrans"),
        ("file", "listLocal"), ("file", "listUdisk"), ("file", "deleteLocal"), ("file", "deleteUdisk"),
        ("file", "deleteBatch"), ("file", "fileDetails"),
        ("ota", "reportVersion"), ("ota", "update"),
        ("tempature", "query"), ("tempature", "set"), ("fan", "query"), ("fan", "set"), ("fan", "setSpeed"),
        ("light", "control"), ("light", "query"), ("video", "startCapture"), ("video", "stopCapture"),
        ("peripherie", "query"), ("axis", "move"), ("axis", "turnOff"), ("axis", "query"), ("multiColorBox", "getInfo"),
        ("aiSettings", "query"), ("extfilbox", "query"), ("gcode", "send"),
    ])
    func everyDocumentedCommandIsKnown(type: String, action: String) {
        #expect(CommandRouter().route(Command(type: type, action: action))?.code == .notAvailable)
    }

    @Test func unknownActionOfAKnownTypeIs404() throws {
        let report = try #require(CommandRouter().route(Command(type: "print", action: "explode", msgid: "m-2")))
        #expect(report.code == .unknownCommand)
        #expect(report.code.rawValue == 404)
        #expect(report.message.contains("explode"))
        #expect(report.message.contains("print"))
        #expect(report.state == "failed")
        #expect(report.msgid == "m-2")
    }

    @Test(arguments: ["teleport", "temperature", "peripheral", "Status", ""])
    func unknownTypeIs404(type: String) throws {
        let report = try #require(CommandRouter().route(Command(type: type, action: "query", msgid: "m-3")))
        #expect(report.code == .unknownCommand)
        #expect(report.message.contains("\"\(type)\""))
        #expect(report.state == "failed")
        #expect(report.msgid == "m-3")
    }

    @Test func aSilentCommandAnswersNothing() {
        let router = CommandRouter()
        router.registerSilent("aiSettings", "query")
        #expect(router.route(Command(type: "aiSettings", action: "query", msgid: "m-4")) == nil)
        #expect(router.route(Command(type: "aiSettings", action: "set", msgid: "m-5"))?.code == .unknownCommand)
    }

    @Test func registeringANonProtocolCommandStopsTheProgram() async {
        await #expect(processExitsWith: .failure) {
            CommandRouter().register("teleport", "now") { Report.success($0) }
        }
    }
}
