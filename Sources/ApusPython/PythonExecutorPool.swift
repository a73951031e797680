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
/// (FastAPI's thread pool has 40), so blocking handlers never stall the rest. A handler that
/// computes leaves the queue without progress too, but its thread is runnable (holding the
/// GIL, as Python code does): the watchdog tells the two apart by the running threads'
/// scheduler state and adds no thread that would only take turns with it for the GIL.
public final class PythonExecutorPool: @unchecked Sendable {
    public typealias Job = @Sendable (borrowing GIL) -> Void

    private final class Worker: Sendable {
        let wake = Semaphore()
        /// This thread's id, for its scheduler state in `/proc`.
        let threadID = gettid()

        /// Whether the kernel has this thread running or ready to run (state R), rather than
        /// asleep in a system call, a lock or the GIL's wait. Python code runs holding the
        /// GIL, so a computing handler's thread is R even when another process has its core.
        var isRunnable: Bool {
            guard let file = fopen("/proc/self/task/\(threadID)/stat", "r") else { return false }
            defer { fclose(file) }
            var line = [CChar](repeating: 0, count: 512)
            guard fgets(&line, Int32(line.count), file) != nil else { return false }
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "tid (comm) S ...": the state follows the last ')' (a name may hold one).
            guard let close = text.lastIndex(of: ")") else { return false }
            return text[text.index(after: close)...].drop { $0 == " " }.first == "R"
        }
    }

    private struct State {
        /// Jobs waiting from `head` on; a taken job's slot is emptied as it is taken, so that the
        /// queue never holds the last reference to a job: releasing one may free Python objects,
        /// whose finalizers run any code (let go of the GIL, queue more jobs), which must not
        /// run under the lock.
        var queue: [Job?] = []
        var head = 0
        var idle: [Worker] = []
        /// Every live thread, parked or not.
        var workers: [Worker] = []
        var threads = 0
        /// Threads not parked.
        var running = 0
        /// Monotonic nanoseconds of the last job taken from the queue.
        var lastTake: UInt64 = 0
        /// When a failed thread start was last reported (at most one line per 10 s).
        var lastSpawnWarning: UInt64 = 0
        var stopping = false
        /// Jobs run, and the nanoseconds threads spent waiting for the GIL and between taking it
        /// and giving it back (for the metrics; counted as a batch ends, under the lock it takes
        /// anyway).
        var jobsRun = 0
        var gilWaitNanoseconds: UInt64 = 0
        var gilHeldNanoseconds: UInt64 = 0

        var pending: Int { queue.count - head }

        mutating func pop() -> Job? {
            guard head < queue.count else { return nil }
            let job = queue[head].take()
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
            s.queue.append(contentsOf: jobs.lazy.map { Optional($0) })
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
        state.withLock { $0.workers.append(me) }
        let thread = PythonThreadState()
        while true {
            // Hold the GIL across consecutive jobs; let go only when the queue is empty.
            let asked = monotonicNanoseconds()
            var taken: UInt64 = 0
            var jobs = 0
            thread.withGIL { gil in
                taken = monotonicNanoseconds()
                while let job = take() {
                    gil.inNewContext { job(gil) }
                    jobs += 1
                }
            }
            let released = monotonicNanoseconds()
            let (parked, stop) = state.withLock { s -> (Bool, Bool) in
                s.jobsRun += jobs
                s.gilWaitNanoseconds &+= taken &- asked
                s.gilHeldNanoseconds &+= released &- taken
                guard s.pending == 0 else { return (false, false) }
                s.running -= 1
                if s.stopping {
                    s.threads -= 1
                    s.workers.removeAll { $0 === me }
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

    /// What the pool is doing, for the metrics.
    public struct Snapshot: Sendable {
        public let threads: Int
        /// Threads not parked (running jobs or about to).
        public let running: Int
        public let queued: Int
        public let jobsRun: Int
        /// Seconds threads waited to take the GIL, and held it for their jobs (which includes
        /// what Python itself let go inside them: a sleep, a socket).
        public let gilWaitSeconds: Double
        public let gilHeldSeconds: Double
    }

    public var snapshot: Snapshot {
        state.withLock { s in
            Snapshot(threads: s.threads, running: s.running, queued: s.pending, jobsRun: s.jobsRun,
                     gilWaitSeconds: Double(s.gilWaitNanoseconds) / 1e9, gilHeldSeconds: Double(s.gilHeldNanoseconds) / 1e9)
        }
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

    /// Every `stall` interval: if jobs wait and none was taken since, the running threads are
    /// blocked in handlers or busy computing; if they are blocked, wake (or start) one more.
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
            let stalled = state.withLock { s -> Bool? in
                guard s.pending > 0 else { return nil }
                return monotonicNanoseconds() - s.lastTake >= stallNanoseconds
            }
            // Look often only while work is queued; an idle pool costs 100 wake-ups a second.
            pause = stalled == nil ? idlePause : busyPause
            guard stalled == true, !runningThreadsCompute() else { continue }
            let (worker, spawn) = state.withLock { s -> (Worker?, Bool) in
                guard s.pending > 0 else { return (nil, false) }
                s.lastTake = monotonicNanoseconds()
                return wakeOne(&s)
            }
            worker?.wake.signal()
            if spawn { spawnThread() }
        }
    }

    /// Whether a running thread is computing (runnable, by the kernel's account) rather than
    /// blocked: a thread blocked in `sleep`, a socket or a lock has let the GIL go, one that
    /// computes keeps it, and another thread would only take turns with it.
    private func runningThreadsCompute() -> Bool {
        let running = state.withLock { s in
            s.workers.filter { worker in !s.idle.contains { $0 === worker } }
        }
        return running.contains { $0.isRunnable }
    }
}

package func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
