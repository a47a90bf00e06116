import AgentCore
import Testing

/// Shows each (id, now) to `recent` in order; true where it was a first sighting.
private func sight(_ recent: inout RecentMessageIDs, _ steps: [(String, Int64)]) -> [Bool] {
    steps.map { recent.isFirstSighting($0.0, now: $0.1) }
}

struct RecentMessageIDsTests {
    @Test func secondSightingWithinTheWindowIsNotFirst() {
        var recent = RecentMessageIDs(windowMs: 1000, capacity: 10)
        #expect(sight(&recent, [("a", 0), ("a", 500), ("b", 500)]) == [true, false, true])
    }

    @Test func idsExpireJustAfterTheWindow() {
        var recent = RecentMessageIDs(windowMs: 1000, capacity: 10)
        // Seen at 100: remembered through 1100, forgotten at 1101, then remembered until 2101.
        #expect(sight(&recent, [("a", 100), ("a", 1100), ("a", 1101), ("a", 2101)]) == [true, false, true, false])
    }

    @Test func expiredIdsAreNoLongerCounted() {
        var recent = RecentMessageIDs(windowMs: 1000, capacity: 10)
        _ = sight(&recent, [("a", 0), ("b", 600), ("c", 1200)])
        #expect(recent.count == 2)  // "a" expired at 1001
    }

    @Test(arguments: [1, 3, 7, 100])
    func countNeverExceedsCapacity(capacity: Int) {
        var recent = RecentMessageIDs(windowMs: 1_000_000, capacity: capacity)
        for index in 0..<(capacity * 3 + 5) {
            #expect(sight(&recent, [("id-\(index)", Int64(index))]) == [true])
            #expect(recent.count == min(index + 1, capacity))
        }
    }

    @Test func oldestIsForgottenFirst() {
        var recent = RecentMessageIDs(windowMs: 1_000_000, capacity: 3)
        _ = sight(&recent, [("a", 0), ("b", 0), ("c", 0), ("d", 0)])
        // b, c, d remain (a was pushed out by d); seeing a again pushes out b, then b pushes out c.
        #expect(sight(&recent, [("d", 1), ("c", 1), ("b", 1), ("a", 1), ("b", 1), ("d", 1), ("c", 1)])
                == [false, false, false, true, true, false, true])
    }

    @Test func zeroCapacityStillCatchesAnImmediateRepeat() {
        var recent = RecentMessageIDs(windowMs: 1000, capacity: 0)
        #expect(sight(&recent, [("a", 0), ("a", 0)]) == [true, false])
        #expect(recent.count == 1)
    }

    /// Many ids over a long time: the memory stays bounded by the window, and repeats are
    /// still caught after the internal bookkeeping has been compacted many times.
    @Test func longRunStaysBoundedAndCorrect() {
        var recent = RecentMessageIDs(windowMs: 100, capacity: 4096)
        for step in 0..<10_000 {
            let now = Int64(step) * 10
            #expect(sight(&recent, [("id-\(step)", now)]) == [true])
            if step >= 5 {
                #expect(sight(&recent, [("id-\(step - 5)", now)]) == [false], "id-\(step - 5) forgotten at step \(step)")
            }
            #expect(recent.count <= 11)
        }
    }
}
