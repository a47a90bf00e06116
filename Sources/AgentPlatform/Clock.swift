import CLibc

/// The two clocks the agent reads: monotonic for timers and windows (never jumps), and the
/// wall clock for report timestamps (what clients expect).
public enum Clock {
    /// Milliseconds of CLOCK_MONOTONIC.
    public static func monotonicMs() -> Int64 { Int64(agent_clock_ms(CLOCK_MONOTONIC)) }

    /// Milliseconds since 1970 (CLOCK_REALTIME).
    public static func wallClockMs() -> Int64 { Int64(agent_clock_ms(CLOCK_REALTIME)) }
}
