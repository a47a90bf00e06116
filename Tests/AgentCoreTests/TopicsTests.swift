import AgentCore
import Testing

struct TopicsTests {
    private let prefix = "anycubic/anycubicCloud/v1/"

    @Test func commandFilterTakesEverySenderAndTail() {
        #expect(testTopics.commandFilter == "\(prefix)+/printer/\(testModelId)/\(testDeviceId)/#")
    }

    @Test func reportResponseAndLastWillTopics() {
        let base = "\(prefix)printer/public/\(testModelId)/\(testDeviceId)"
        #expect(testTopics.report("info") == "\(base)/info/report")
        #expect(testTopics.report("tempature") == "\(base)/tempature/report")
        #expect(testTopics.response == "\(base)/response")
        #expect(testTopics.lastWill == "\(base)/lastWill/report")
    }

    @Test(arguments: ["server", "slicer", "web", "pc", "app", "public"],
          ["", "/", "/status", "/print/start", "/response", "/info/query/extra/levels"])
    func acceptsEverySenderAndTail(sender: String, tail: String) {
        #expect(testTopics.isCommand(commandTopic(sender: sender, tail: tail)))
    }

    @Test(arguments: [
        "anycubic/anycubicCloud/v1/server/printer/20022/0123456789abcdef0123456789ABCDEF/info",  // other model
        "anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789ABCDEE/info",  // other device
        "anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789ABCDEF0/info",  // longer device
        "anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789abcdef/info",  // case differs
        "anycubic/anycubicCloud/v1/server/printer/2002/0123456789abcdef0123456789ABCDEF",  // shorter model
        "anycubic/anycubicCloud/v2/server/printer/20021/0123456789abcdef0123456789ABCDEF/info",  // other version
        "Anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789ABCDEF/info",  // other prefix
        "other/anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789ABCDEF",  // nested prefix
        "anycubic/anycubicCloud/v1/printer/public/20021/0123456789abcdef0123456789ABCDEF/info/report",  // our report
        "anycubic/anycubicCloud/v1/printer/public/20021/0123456789abcdef0123456789ABCDEF/response",  // our ack
        "anycubic/anycubicCloud/v1/server/printers/20021/0123456789abcdef0123456789ABCDEF/info",  // not "printer"
        "anycubic/anycubicCloud/v1/server/printer/20021",  // too short
        "anycubic/anycubicCloud/v1/server/printer",  // too short
        "anycubic/anycubicCloud/v1",  // too short
        "",
        "anycubic/anycubicCloud/v1//printer/20021/0123456789abcdef0123456789ABCDEF/info",  // empty sender
        "/anycubic/anycubicCloud/v1/server/printer/20021/0123456789abcdef0123456789ABCDEF",  // leading slash
    ])
    func rejectsTopicsThatAreNotOurCommands(topic: String) {
        #expect(!testTopics.isCommand(topic))
    }

    @Test func ownPublishedTopicsAreNeverCommands() {
        for topic in [testTopics.report("status"), testTopics.response, testTopics.lastWill] {
            #expect(!testTopics.isCommand(topic), "\(topic)")
        }
    }
}
