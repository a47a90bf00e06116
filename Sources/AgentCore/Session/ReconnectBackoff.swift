/// The delay before each reconnect attempt: exponential from `initialMs` to `maximumMs`,
/// with random jitter so that a fleet of printers that lost the same broker does not
/// return in the same second. The n-th delay (n from 0) is drawn uniformly from
/// [d/2, d] with d = min(maximumMs, initialMs * 2^n). A successful connect resets it.
///
/// The first delay after an established connection was lost is drawn from the wider
/// [initialMs/2, spreadMs]: when a broker restarts, every printer of the fleet loses it in
/// the same instant, and [d/2, d] alone would bring them all back within half a second.
public struct ReconnectBackoff {
    /// The first delay's upper bound, in milliseconds.
    public let initialMs: Int64
    /// The largest delay, in milliseconds.
    public let maximumMs: Int64
    /// The first delay's upper bound after a lost connection, in milliseconds.
    public let spreadMs: Int64
    /// Failed attempts since the last successful connect.
    public private(set) var failures = 0

    /// Creates a backoff from `initialMs` to `maximumMs` (1 s to 60 s by default), whose
    /// first delay after a lost connection is at most `spreadMs` (10 s by default).
    public init(initialMs: Int64 = 1_000, maximumMs: Int64 = 60_000, spreadMs: Int64 = 10_000) {
        self.initialMs = max(1, initialMs)
        self.maximumMs = max(self.initialMs, maximumMs)
        self.spreadMs = max(self.initialMs, spreadMs)
    }

    /// The delay before the next attempt; `unitRandom` is a random number in [0, 1), and
    /// `afterLoss` says that an established connection was just lost.
    public mutating func nextDelay(unitRandom: Double, afterLoss: Bool = false) -> Int64 {
        if afterLoss, failures == 0 {
            failures = 1
            let floor = initialMs / 2
            return floor + Int64(Double(spreadMs - floor) * min(max(unitRandom, 0), 1))
        }
        var ceiling = initialMs
        var doublings = 0
        while doublings < failures, ceiling < maximumMs {
            ceiling *= 2
            doublings += 1
        }
        ceiling = min(ceiling, maximumMs)
        failures += 1
        let jitter = Double(ceiling / 2) * min(max(unitRandom, 0), 1)
        return ceiling - ceiling / 2 + Int64(jitter)
    }

    /// Starts again from the first delay (after a successful connect).
    public mutating func reset() { failures = 0 }
}
