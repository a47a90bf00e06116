import AgentCore
import Testing

/// Whether `id` is a lowercase 8-4-4-4-12 version-4, RFC 4122 variant UUID.
private func checkFormat(_ id: String) {
    let characters = Array(id)
    #expect(characters.count == 36, "\(id)")
    guard characters.count == 36 else { return }
    for (index, character) in characters.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            #expect(character == "-", "\(id): \(index)")
        } else {
            #expect("0123456789abcdef".contains(character), "\(id): \(index) is \(character)")
        }
    }
    #expect(characters[14] == "4", "\(id): version")
    #expect("89ab".contains(characters[19]), "\(id): variant")
}

struct MessageIDTests {
    @Test(arguments: [
        [UInt8](repeating: 0, count: 16), [UInt8](repeating: 0xFF, count: 16), Array(0...15), Array(240...255),
        [1, 2, 3], [], [UInt8](repeating: 0xAB, count: 20),
    ] as [[UInt8]])
    func formatIsAVersion4UUID(random: [UInt8]) {
        checkFormat(MessageID.uuid(from: random))
    }

    @Test func randomBytesGiveWellFormedDistinctIds() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let id = MessageID.uuid(from: (0..<16).map { _ in UInt8.random(in: 0...255) })
            checkFormat(id)
            seen.insert(id)
        }
        #expect(seen.count == 200)
    }

    @Test func bytesAppearInOrderWithVersionAndVariantSet() {
        // Byte 6 (0x06) becomes 0x46 (version 4); byte 8 (0x08) becomes 0x88 (variant 10xx).
        #expect(MessageID.uuid(from: Array(0...15)) == "00010203-0405-4607-8809-0a0b0c0d0e0f")
    }

    @Test func shortInputIsPaddedWithZeros() {
        #expect(MessageID.uuid(from: [0xAB]) == "ab000000-0000-4000-8000-000000000000")
    }
}
