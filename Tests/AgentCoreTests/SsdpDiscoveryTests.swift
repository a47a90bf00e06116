import AgentCore
import Testing

/// Which SSDP searches the printer answers, and what it answers.
struct SsdpDiscoveryTests {
    static func datagram(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ac:3dprinter:fdm\r\n\r\n",
        "M-SEARCH * HTTP/1.1\nst:ac:3dprinter:fdm\n\n",
        "M-SEARCH * HTTP/1.1\r\nSt:  ssdp:all \r\n\r\n",
    ])
    func aSearchForAnycubicPrintersOrForEverythingIsAnswered(text: String) {
        #expect(SsdpDiscovery.answers(Self.datagram(text)))
    }

    @Test(arguments: [
        "M-SEARCH * HTTP/1.1\r\nST: urn:schemas-upnp-org:device:MediaRenderer:1\r\n\r\n",
        "NOTIFY * HTTP/1.1\r\nNT: ac:3dprinter:fdm\r\n\r\n",
        "HTTP/1.1 200 OK\r\nST: ac:3dprinter:fdm\r\n\r\n",
        "M-SEARCH * HTTP/1.1\r\n\r\n",
        "",
        "M-SEARCH * HTTP/1.1\r\nX-Pad: " + String(repeating: "x", count: 4096) + "\r\nST: ac:3dprinter:fdm\r\n\r\n",
    ])
    func anythingElseIsNot(text: String) {
        #expect(!SsdpDiscovery.answers(Self.datagram(text)))
    }

    @Test func theAnswerNamesThePrinterAndItsInfoDocument() {
        let printer = LanDocuments.Printer(modelId: "20025", modelName: "Anycubic Kobra S1", deviceName: "Shop & Co",
                                           serial: "SN1")
        let reply = SsdpDiscovery.reply(printer, host: "192.168.1.20", port: 18910, mac: "A4-E8-8D-80-54-C8")
        let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "HTTP/1.1 200 OK")
        #expect(lines.contains("ST: ac:3dprinter:fdm"))
        #expect(lines.contains("SERVER: ac:fdm:ssdp"))
        #expect(lines.contains("USN: uuid:fdm:A4-E8-8D-80-54-C8"))
        #expect(lines.contains("LOCATION: http://192.168.1.20:18910/info?ip=192.168.1.20&modelId=20025"
                               + "&modelName=Anycubic%20Kobra%20S1&cn=SN1&deviceName=Shop%20%26%20Co&ctrlType=lan"))
        #expect(reply.hasSuffix("\r\n\r\n"))
    }
}
