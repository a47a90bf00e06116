import Foundation
import Testing
import TestSupport

/// What a client sees first after `print/start`: the acknowledgement of its msgid, then the
/// answer, then the busy status, and only then what the print caused (the first lines of the
/// cube switch the fan off, which the Marlin backend reports as it streams them).
@Suite struct AnswerOrderTests {
    @Test func marlinPrintStartIsAcknowledgedThenAnswered() throws {
        try checkOrder(try PrintRig.marlin(["--heat-rate", "200", "--speed", "1000"]))
    }

    @Test func klipperPrintStartIsAcknowledgedThenAnswered() throws {
        try checkOrder(try PrintRig.klipper(["--heat-rate", "200", "--speed", "1000"]))
    }

    /// Starts the cube on `rig` and checks the order of everything published from then on.
    private func checkOrder(_ rig: PrintRig) throws {
        try rig.waitForController()
        rig.client.clear()
        let msgid = UUID().uuidString
        try rig.start(msgid: msgid)
        try rig.waitForPrint("printing")
        // Temperatures are pushed on their own pace, whatever the command: left out.
        let seen = rig.client.received.filter { $0.topic != Wire.report("tempature") }
        try #require(seen.count >= 3)
        #expect(seen[0].topic == Wire.response, "first: the acknowledgement, not \(seen[0].topic)")
        #expect(seen[0].json?["msgid"] as? String == msgid)
        #expect(seen[1].topic == Wire.report("print"), "second: the answer, not \(seen[1].topic)")
        #expect(seen[1].json?["msgid"] as? String == msgid)
        #expect(seen[1].json?["state"] as? String == "preheating")
        #expect(seen[2].topic == Wire.report("status"), "third: the busy status, not \(seen[2].topic)")
        #expect(seen[2].json?["state"] as? String == "busy")
    }
}
