#if canImport(Glibc)
internal import Glibc
#endif

/// The system's monotonic clock, to the nanosecond (a vDSO read, no system call): for
/// durations, which the loop's cached millisecond time is too coarse for.
package enum MonotonicClock {
    package static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
