internal import ApusLoop
internal import CPython

/// How long the asyncio thread holds the GIL (running the loop's callbacks and the requests on
/// it) and waits to take it back after each wait for events, for the metrics
/// (`--metrics-port`). The loop's selector then waits through `poll` (a function of the
/// runtime's), which lets the GIL go around `epoll_wait` and notes when it asked for it back
/// and when it had it: what `select.epoll.poll` does, timed. Without the metrics the loop uses
/// Python's own selector, and none of this runs.
public final class AsyncioGILClock: @unchecked Sendable {
    private struct Totals {
        var heldNanoseconds: UInt64 = 0
        var waitNanoseconds: UInt64 = 0
    }

    private let totals = PThreadMutex(Totals())
    /// When the thread last had the GIL back (asyncio thread only).
    private var lastTaken: UInt64 = 0

    public init() {}

    /// Seconds the asyncio thread held the GIL, and waited to take it back.
    public var seconds: (held: Double, wait: Double) {
        totals.withLock { (Double($0.heldNanoseconds) / 1e9, Double($0.waitNanoseconds) / 1e9) }
    }

    /// `poll((epoll_fd, timeout_seconds, max_events))` → `[(fd, events), ...]`, as
    /// `select.epoll.poll(timeout, maxevents)` answers (a negative timeout waits for ever).
    func pollFunction(_ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        try gil.makeFunction { [self] gil, arguments throws(PythonError) in
            let descriptor = Int32(gil.swiftInt(try gil.tupleItem(arguments, 0)) ?? -1)
            let timeout = gil.swiftDouble(try gil.tupleItem(arguments, 1)) ?? -1
            let wait = EpollWait(
                capacity: max(1, min(64, gil.swiftInt(try gil.tupleItem(arguments, 2)) ?? 1)),
                milliseconds: timeout < 0 ? -1 : Int32(min((timeout * 1000).rounded(.up), 2_000_000_000)))
            let released = MonotonicClock.nanoseconds()
            Python.withoutGIL(gil) { wait.run(descriptor) }
            let taken = MonotonicClock.nanoseconds()
            let held = lastTaken == 0 ? 0 : released &- lastTaken
            lastTaken = taken
            totals.withLock {
                $0.heldNanoseconds &+= held
                $0.waitNanoseconds &+= taken &- wait.woke
            }
            guard wait.count >= 0 else { throw PythonError.runtime("epoll_wait failed: errno \(-wait.count)") }
            var ready = CallArguments(capacity: Int(wait.count))
            for index in 0..<Int(wait.count) {
                var pair = CallArguments(capacity: 2)
                pair.append(try gil.int(Int(wait.descriptors[index])))
                pair.append(try gil.int(Int(wait.events[index])))
                ready.append(try gil.tuple(pair))
            }
            return try gil.list(ready)
        }
    }
}

/// One `epoll_wait`, run without the GIL: its buffers, its result and when it returned.
private final class EpollWait: @unchecked Sendable {
    var descriptors: [Int32]
    var events: [UInt32]
    let milliseconds: Int32
    var count: Int32 = 0
    var woke: UInt64 = 0

    init(capacity: Int, milliseconds: Int32) {
        descriptors = [Int32](repeating: 0, count: capacity)
        events = [UInt32](repeating: 0, count: capacity)
        self.milliseconds = milliseconds
    }

    func run(_ descriptor: Int32) {
        count = apus_epoll_wait(descriptor, &descriptors, &events, Int32(descriptors.count), milliseconds)
        woke = MonotonicClock.nanoseconds()
    }
}
