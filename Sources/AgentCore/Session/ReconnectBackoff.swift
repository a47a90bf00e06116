/// The delay before each reconnect attempt: exponential from `initialMs` to `maximumMs`,
/// with random jitter so that a fleet of printers that lost the same broker does not
/// return in the same second. The n-th delay (n from 0) is drawn uniformly from
/// [d/2, d] with d = min(maximumMs, initialMs * 2^n). A successful connect resets it.
public struct ReconnectBackoff {
    /// The first delay's upper bound, in milliseconds.
    public let initialMs: Int64
    /// The largest delay, in milliseconds.
    public let maximumMs: Int64
    /// Failed attempts since the last successful connect.
    public private(set) var failures = 0

    /// Creates a backoff from `initialMs` to `maximumMs` (1 s to 60 s by default).
    public init(initialMs: Int64 = 1_000, maximumMs: Int64 = 60_000) {
        self.initialMs = max(1, initialMs)
        self.maximumMs = max(self.initialMs, maximumMs)
    }

    /// The delay before the next attempt; `unitRandom` is a random number in [0, 1).
    public mutating func nextDelay(unitRandom: Double) -> Int64 {
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
