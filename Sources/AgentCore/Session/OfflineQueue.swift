/// Publications produced while the broker is unreachable, sent in order once it is back.
/// Bounded: when full, the oldest is dropped and counted, so a long outage costs a fixed
/// amount of memory and the newest state wins.
public struct OfflineQueue {
    /// How many publications are kept at most.
    public let capacity: Int
    /// Publications dropped since the queue was last emptied.
    public private(set) var dropped = 0
    private var items: [Publication] = []
    private var head = 0

    /// Creates an empty queue of at most `capacity` publications (0 keeps none).
    public init(capacity: Int) { self.capacity = max(0, capacity) }

    /// How many publications wait.
    public var count: Int { items.count - head }

    /// Adds `publication`, dropping the oldest when full.
    public mutating func push(_ publication: Publication) {
        if capacity == 0 {
            dropped += 1
            return
        }
        if count >= capacity {
            head += 1
            dropped += 1
        }
        items.append(publication)
        if head > 32, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    /// Removes and returns every waiting publication, oldest first, with the number that
    /// were dropped; the drop count starts again from zero.
    public mutating func drain() -> (publications: [Publication], dropped: Int) {
        let result = (Array(items[head...]), dropped)
        items.removeAll()
        head = 0
        dropped = 0
        return result
    }
}
