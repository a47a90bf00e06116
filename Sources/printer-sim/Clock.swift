import Glibc

/// Seconds on the monotonic clock, the time base of the event loop, the heaters and the
/// `eventtime` Klipper reports.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}
