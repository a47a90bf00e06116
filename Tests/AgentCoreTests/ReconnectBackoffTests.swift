import AgentCore
import Testing

/// The upper bound of the n-th delay: min(60 s, 1 s * 2^n).
private func ceiling(_ attempt: Int) -> Int64 {
    attempt >= 6 ? 60_000 : min(60_000, 1000 << Int64(attempt))
}

/// The n-th delay (n from 0) of a fresh backoff, the earlier ones drawn with `unitRandom`.
private func delay(at attempt: Int, unitRandom: Double) -> Int64 {
    var backoff = ReconnectBackoff()
    for _ in 0..<attempt { _ = backoff.nextDelay(unitRandom: unitRandom) }
    return backoff.nextDelay(unitRandom: unitRandom)
}

struct ReconnectBackoffTests {
    @Test(arguments: 0..<14, [0.0, 0.5, 0.999_999_999])
    func nthDelayLiesInItsRange(attempt: Int, unitRandom: Double) {
        let d = ceiling(attempt)
        let value = delay(at: attempt, unitRandom: unitRandom)
        #expect(value >= d / 2)
        #expect(value <= d)
    }

    @Test(arguments: 0..<10)
    func jitterCoversTheRange(attempt: Int) {
        let d = ceiling(attempt)
        #expect(delay(at: attempt, unitRandom: 0) == d / 2)
        // Near the top: within 0.1 % of the ceiling.
        #expect(delay(at: attempt, unitRandom: 0.999_999_999) >= d - d / 1000)
    }

    @Test func neverExceedsSixtySeconds() {
        var backoff = ReconnectBackoff()
        for attempt in 0..<200 {
            let value = backoff.nextDelay(unitRandom: Double.random(in: 0..<1))
            #expect(value <= 60_000, "attempt \(attempt)")
            #expect(value >= 500, "attempt \(attempt)")
        }
        #expect(backoff.failures == 200)
    }

    @Test func resetReturnsToTheOneSecondRange() {
        var backoff = ReconnectBackoff()
        for _ in 0..<8 { _ = backoff.nextDelay(unitRandom: 0.999) }
        backoff.reset()
        #expect(backoff.failures == 0)
        let value = backoff.nextDelay(unitRandom: 0.999)
        #expect((500...1000).contains(value))
    }

    @Test func jitterSpreadsDelaysAtTheSameAttempt() {
        let attempt = 5
        var seen = Set<Int64>()
        for _ in 0..<1000 {
            let value = delay(at: attempt, unitRandom: Double.random(in: 0..<1))
            #expect((ceiling(attempt) / 2...ceiling(attempt)).contains(value))
            seen.insert(value)
        }
        #expect(seen.count > 1)
    }

    @Test func theFirstDelayAfterALossIsSpreadSoAFleetDoesNotReturnAtOnce() {
        // 500 printers lose a restarting broker in the same instant.
        var perSecond: [Int64: Int] = [:]
        for printer in 0..<500 {
            var backoff = ReconnectBackoff()
            let delay = backoff.nextDelay(unitRandom: Double(printer) / 500, afterLoss: true)
            #expect((500...10_000).contains(delay))
            perSecond[delay / 1000, default: 0] += 1
            #expect(backoff.failures == 1)
            #expect((1000...2000).contains(backoff.nextDelay(unitRandom: 0.5)), "then 1 s to 2 s")
        }
        #expect(perSecond.values.max() ?? 0 <= 60, "at most 60 of 500 in one second: \(perSecond)")
        var later = ReconnectBackoff()
        _ = later.nextDelay(unitRandom: 0.5)
        #expect((1000...2000).contains(later.nextDelay(unitRandom: 0.5, afterLoss: true)), "only the first delay is spread")
        var narrow = ReconnectBackoff(spreadMs: 1_000)
        #expect((500...1000).contains(narrow.nextDelay(unitRandom: 0.999, afterLoss: true)))
    }

    @Test func customBoundsAreHonoured() {
        var backoff = ReconnectBackoff(initialMs: 200, maximumMs: 1500)
        let values = (0..<6).map { _ in backoff.nextDelay(unitRandom: 0.999_999) }
        let ceilings: [Int64] = [200, 400, 800, 1500, 1500, 1500]
        for (value, top) in zip(values, ceilings) {
            #expect(value >= top / 2 && value <= top, "\(value) not in [\(top / 2), \(top)]")
        }
    }
}
