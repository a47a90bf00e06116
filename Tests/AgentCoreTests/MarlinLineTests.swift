import AgentCore
import Testing

/// `text`'s bytes.
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The XOR of `text`'s bytes, computed the slow way.
private func checksum(_ text: String) -> Int { Int(text.utf8.reduce(0, ^)) }

/// Numbered lines and the cleaning of a file's lines before they are sent.
@Suite struct MarlinLineTests {
    @Test func numberedLineCarriesTheNumberTheCommandAndTheChecksum() {
        #expect(MarlinLine.numbered(0, bytes("M110 N0")) == bytes("N0 M110 N0*125\n"))
        #expect(MarlinLine.numbered(12, bytes("G1 X10 Y20 E0.5")) == bytes("N12 G1 X10 Y20 E0.5*\(checksum("N12 G1 X10 Y20 E0.5"))\n"))
    }

    /// Marlin checks the XOR of every byte before `*`: reproduce it for many numbers and commands.
    @Test(arguments: [0, 1, 9, 10, 99, 100, 12_345, 2_147_483_647])
    func checksumIsTheXorOfEverythingBeforeTheStar(number: Int) {
        for command in ["M105", "G28", "M117 Hello, world", "G1 X-1.5 F1200"] {
            let prefix = "N\(number) \(command)"
            #expect(MarlinLine.numbered(number, bytes(command)) == bytes("\(prefix)*\(checksum(prefix))\n"))
        }
    }

    @Test func checksumCoversBytesAboveAscii() throws {
        let command: [UInt8] = [0x4D, 0x31, 0x31, 0x37, 0x20, 0xC3, 0xA9, 0xFF]
        let line = MarlinLine.numbered(3, command)
        let star = try #require(line.firstIndex(of: UInt8(ascii: "*")))
        let expected = line[..<star].reduce(0, ^)
        #expect(line[(star + 1)...] == ArraySlice(bytes("\(expected)\n")))
    }

    @Test func cleanStripsTheCommentAndTheBlanksAround() {
        let cases: [(String, String?)] = [
            ("G1 X10 Y10 ; move", "G1 X10 Y10"),
            ("  G28\t\r", "G28"),
            ("M104 S200;comment;more", "M104 S200"),
            ("\tM105", "M105"),
            ("G1 X1 \r", "G1 X1"),
            ("", nil),
            ("   \t\r", nil),
            (";LAYER:3", nil),
            ("   ; only a comment", nil),
            (";", nil),
        ]
        for (raw, expected) in cases {
            let cleaned = MarlinLine.clean(bytes(raw)[...]).map { String(decoding: $0, as: UTF8.self) }
            #expect(cleaned == expected, "\(raw)")
        }
    }

    @Test func cleanReturnsASliceOfTheLineItself() throws {
        let raw = bytes("xxG1 X5 ;c")
        let slice = raw[2...]
        let cleaned = try #require(MarlinLine.clean(slice))
        #expect(cleaned.startIndex == 2)
        #expect(cleaned.endIndex == 7)
    }

    @Test func cleanKeepsBinaryGarbageAsItIs() {
        let raw: [UInt8] = [0x20, 0x00, 0xFF, 0x47, 0x20]
        #expect(MarlinLine.clean(raw[...]).map(Array.init) == [0x00, 0xFF, 0x47])
    }
}
