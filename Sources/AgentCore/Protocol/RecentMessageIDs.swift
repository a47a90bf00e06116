/// The msgids seen in the last few minutes, so that a command redelivered by the broker
/// (QoS 1) or replayed by a client runs at most once. Bounded in time and in count: the
/// oldest ids are forgotten first.
public struct RecentMessageIDs {
    /// How long an id is remembered, in milliseconds.
    public let windowMs: Int64
    /// How many ids are remembered at most.
    public let capacity: Int

    private var seenAt: [String: Int64] = [:]
    private var order: [(id: String, at: Int64)] = []
    private var head = 0

    /// Creates an empty set remembering ids for `windowMs`, at most `capacity` of them.
    public init(windowMs: Int64 = 300_000, capacity: Int = 4096) {
        self.windowMs = windowMs
        self.capacity = max(1, capacity)
    }

    /// Records `id` at monotonic time `now`; true when it was not seen within the window.
    public mutating func isFirstSighting(_ id: String, now: Int64) -> Bool {
        forget(before: now - windowMs)
        if seenAt[id] != nil { return false }
        if seenAt.count >= capacity, head < order.count {
            seenAt[order[head].id] = nil
            head += 1
        }
        seenAt[id] = now
        order.append((id, now))
        compact()
        return true
    }

    /// How many ids are remembered now.
    public var count: Int { seenAt.count }

    private mutating func forget(before cutoff: Int64) {
        while head < order.count, order[head].at < cutoff {
            if seenAt[order[head].id] == order[head].at { seenAt[order[head].id] = nil }
            head += 1
        }
    }

    private mutating func compact() {
        if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
