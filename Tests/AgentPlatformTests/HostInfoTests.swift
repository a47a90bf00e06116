import AgentPlatform
import Testing

/// Random numbers and the machine's address.
@Suite struct HostInfoTests {
    @Test func randomBytesHaveTheCountAskedForAndDifferEachTime() {
        let first = HostInfo.randomBytes(16), second = HostInfo.randomBytes(16)
        #expect(first.count == 16)
        #expect(second.count == 16)
        #expect(first != second)
        #expect(HostInfo.randomBytes(0).isEmpty)
    }

    @Test func unitRandomIsInZeroToOne() {
        let samples = (0..<1000).map { _ in HostInfo.unitRandom() }
        #expect(samples.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(Set(samples).count > 900, "the numbers barely vary")
    }

    @Test func primaryIPv4IsNilOrANonLoopbackDottedQuad() throws {
        guard let address = HostInfo.primaryIPv4() else { return }
        let parts = address.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 4, "\(address)")
        let numbers = parts.compactMap { Int($0) }
        #expect(numbers.count == 4, "\(address)")
        #expect(numbers.allSatisfy { (0...255).contains($0) }, "\(address)")
        #expect(numbers.first != 127, "\(address) is a loopback address")
    }
}
