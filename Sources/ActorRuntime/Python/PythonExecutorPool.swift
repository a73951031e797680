internal import ApusLoop
#if canImport(Glibc)
internal import Glibc
#endif

/// Threads that run Python work, each with its own `PyThreadState` for its whole life.
///
/// Scheduling: work goes to the most recently parked thread (a LIFO), and a running thread keeps
/// the GIL and takes the next queued job until the queue is empty, so non-blocking load stays on
/// one hot thread with no GIL hand-offs. A handler that blocks (`time.sleep`, a database call)
/// leaves the queue without progress; a watchdog then wakes another thread, up to `maxThreads`
/// (FastAPI's thread pool has 40), so blocking handlers never stall the rest.
public final class PythonExecutorPool: @unchecked Sendable {
    public typealias Job = @Sendable (borrowing GIL) -> Void

    private final class Worker {
        let wake = Semaphore()
    }

    private struct State {
        var queue: [Job] = []
        var head = 0
        var idle: [Worker] = []
        var threads = 0
        /// Threads not parked.
        var running = 0
        /// Monotonic nanoseconds of the last job taken from the queue.
        var lastTake: UInt64 = 0
        /// When a failed thread start was last reported (at most one line per 10 s).
        var lastSpawnWarning: UInt64 = 0
        var stopping = false

        var pending: Int { queue.count - head }

        mutating func pop() -> Job? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    public let maxThreads: Int
    private let state = PThreadMutex(State())
    private let stallNanoseconds: UInt64
    private var watchdog: pthread_t?

    /// `stallMicroseconds`: how long queued work may wait with no job taken before another
    /// thread is woken.
    public init(maxThreads: Int = 40, stallMicroseconds: UInt64 = 1_000) {
        self.maxThreads = max(1, maxThreads)
        stallNanoseconds = stallMicroseconds * 1_000
        startWatchdog()
    }

    /// Queues `job`; wakes a thread if none is running.
    public func submit(_ job: @escaping Job) {
        submit(contentsOf: CollectionOfOne(job))
    }

    /// Queues several jobs with one lock and at most one wake-up.
    public func submit(contentsOf jobs: some Collection<Job>) {
        let (worker, spawn) = state.withLock { s -> (Worker?, Bool) in
            s.queue.append(contentsOf: jobs)
            guard s.running == 0 else { return (nil, false) }
            return wakeOne(&s)
        }
        worker?.wake.signal()
        if spawn { spawnThread() }
    }

    /// Picks a parked thread (most recent first) or asks for a new one. Under the lock.
    private func wakeOne(_ s: inout State) -> (Worker?, Bool) {
        if let worker = s.idle.popLast() {
            s.running += 1
            return (worker, false)
        }
        if s.threads < maxThreads {
            s.threads += 1
            s.running += 1
            s.lastTake = monotonicNanoseconds()
            return (nil, true)
        }
        return (nil, false)
    }

    private func spawnThread() {
        // The thread keeps the pool alive until it ends.
        if spawnDetachedThread(name: "apus-python", { [self] in workerMain() }) { return }
        // No more threads (a tasks or memory limit): serve with those there are; the queued
        // work waits for them, and the watchdog tries again later.
        let (threads, warn) = state.withLock { s -> (Int, Bool) in
            s.threads -= 1
            s.running -= 1
            let now = monotonicNanoseconds()
            let warn = now - s.lastSpawnWarning > 10_000_000_000 || s.lastSpawnWarning == 0
            if warn { s.lastSpawnWarning = now }
            return (s.threads, warn)
        }
        if warn {
            FileDescriptorLog.write("WARNING:  cannot start another Python thread (a tasks or memory limit); serving with \(threads)\n")
        }
    }

    private func workerMain() {
        let me = Worker()
        let thread = PythonThreadState()
        while true {
            // Hold the GIL across consecutive jobs; let go only when the queue is empty.
            thread.withGIL { gil in
                while let job = take() {
                    job(gil)
                }
            }
            let (parked, stop) = state.withLock { s -> (Bool, Bool) in
                guard s.pending == 0 else { return (false, false) }
                s.running -= 1
                if s.stopping {
                    s.threads -= 1
                    return (false, true)
                }
                s.idle.append(me)
                return (true, false)
            }
            if stop { break }
            if parked { me.wake.wait() }
        }
        thread.dispose()
    }

    /// Lets every thread finish the queued work, then end (the watchdog too).
    public func shutdown() {
        let idle = state.withLock { s -> [Worker] in
            s.stopping = true
            s.running += s.idle.count
            defer { s.idle.removeAll() }
            return s.idle
        }
        idle.forEach { $0.wake.signal() }
    }

    private func take() -> Job? {
        state.withLock { s in
            let job = s.pop()
            if job != nil { s.lastTake = monotonicNanoseconds() }
            return job
        }
    }

    /// Every `stall` interval: if jobs wait and none was taken since, all running threads are
    /// blocked in handlers; wake (or start) one more.
    private func startWatchdog() {
        if !spawnDetachedThread(name: "apus-py-watch", { [self] in watch() }) {
            FileDescriptorLog.write("WARNING:  cannot start the executor watchdog thread; blocking handlers may wait for each other\n")
        }
    }

    private func watch() {
        let busyPause = Int(stallNanoseconds / 2)
        let idlePause = 10_000_000
        var pause = idlePause
        while !state.withLock({ $0.stopping }) {
            var interval = timespec(tv_sec: 0, tv_nsec: pause)
            nanosleep(&interval, nil)
            let (worker, spawn, busy) = state.withLock { s -> (Worker?, Bool, Bool) in
                guard s.pending > 0 else { return (nil, false, false) }
                guard monotonicNanoseconds() - s.lastTake >= stallNanoseconds else { return (nil, false, true) }
                s.lastTake = monotonicNanoseconds()
                let (worker, spawn) = wakeOne(&s)
                return (worker, spawn, true)
            }
            worker?.wake.signal()
            if spawn { spawnThread() }
            // Look often only while work is queued; an idle pool costs 100 wake-ups a second.
            pause = busy ? busyPause : idlePause
        }
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
