import AgentCore
import Testing

/// A queue of `capacity` with `names` pushed in order.
private func queue(capacity: Int, pushing names: [String]) -> OfflineQueue {
    var queue = OfflineQueue(capacity: capacity)
    for name in names { queue.push(publication(name)) }
    return queue
}

private func names(_ count: Int) -> [String] { (0..<count).map { "p\($0)" } }

struct OfflineQueueTests {
    @Test func keepsOrder() {
        var subject = queue(capacity: 10, pushing: ["a", "b", "c"])
        #expect(subject.count == 3)
        let drained = subject.drain()
        #expect(drained.publications == ["a", "b", "c"].map(publication))
        #expect(drained.dropped == 0)
    }

    @Test(arguments: [(1, 5), (3, 5), (10, 1000), (33, 200)])
    func whenFullTheOldestIsDroppedAndCounted(capacity: Int, pushed: Int) {
        var subject = queue(capacity: capacity, pushing: names(pushed))
        #expect(subject.count == capacity)
        #expect(subject.dropped == pushed - capacity)
        let drained = subject.drain()
        #expect(drained.publications == names(pushed).suffix(capacity).map(publication))
        #expect(drained.dropped == pushed - capacity)
    }

    @Test func drainEmptiesAndResetsTheCount() {
        var subject = queue(capacity: 2, pushing: names(5))
        _ = subject.drain()
        #expect(subject.count == 0)
        #expect(subject.dropped == 0)
        subject.push(publication("x"))
        let drained = subject.drain()
        #expect(drained.publications == [publication("x")])
        #expect(drained.dropped == 0)
    }

    @Test(arguments: [0, -5])
    func zeroCapacityKeepsNothing(capacity: Int) {
        var subject = queue(capacity: capacity, pushing: names(4))
        #expect(subject.capacity == 0)
        #expect(subject.count == 0)
        let drained = subject.drain()
        #expect(drained.publications.isEmpty)
        #expect(drained.dropped == 4)
    }
}
