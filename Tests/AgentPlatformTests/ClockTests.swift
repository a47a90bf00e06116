import AgentPlatform
import Foundation
import Testing
import TestSupport

/// The monotonic and wall clocks.
@Suite struct ClockTests {
    @Test func theMonotonicClockNeverGoesBackwards() {
        let readings = (0..<1000).map { _ in Clock.monotonicMs() }
        #expect(zip(readings, readings.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func theMonotonicClockAdvances() throws {
        let start = Clock.monotonicMs()
        try waitUntil("the monotonic clock to advance", timeout: 5) { Clock.monotonicMs() > start }
    }

    @Test func theWallClockIsMillisecondsSince1970() {
        let foundation = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(abs(Clock.wallClockMs() - foundation) < 60_000)
    }
}
