internal import CLibUV
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// One libuv loop running on one dedicated thread.
///
/// The loop is also a `SerialExecutor`: an actor whose `unownedExecutor` is this loop runs its
/// jobs on the loop thread, so libuv callbacks and actor methods share state without locks.
/// Other threads reach the loop only through `execute(_:)` / `enqueue(_:)`, which push onto a
/// locked queue and wake the loop with one `uv_async_send` per batch.
///
/// Life cycle: `init` → `start()` → (work) → `stop()` → `join()`. Every handle created on the
/// loop must be closed by its owner before `stop()`; anything left is closed there and reported.
public final class EventLoop: SerialExecutor, @unchecked Sendable {
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let queue = PThreadMutex(PendingWork())
    private var thread: pthread_t?
    private var threadID = pthread_t()
    /// Set as `start` begins: from then on, loop state belongs to the loop thread alone.
    private let hasStarted = Atomic<Bool>(false)
    private let name: String

    /// Reads from every stream land here first: a read callback consumes its bytes before the
    /// next read starts, so one buffer serves all connections of the loop.
    let sharedReadBuffer: UnsafeMutableRawBufferPointer

    public init(name: String = "apus-loop") throws(UVError) {
        self.name = name
        uvLoop = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        sharedReadBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        do {
            try uvCheck(uv_loop_init(uvLoop))
        } catch {
            uvLoop.deallocate(); wakeup.deallocate(); sharedReadBuffer.deallocate()
            throw error
        }
        // It makes the loop's eventfd: it fails when no descriptor is left.
        let wakeupMade = uv_async_init(uvLoop, wakeup) { handle in
            // SAFETY: data is the loop itself, which outlives its wake-up handle.
            let loop = Unmanaged<EventLoop>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            loop.drain()
        }
        if wakeupMade < 0 {
            _ = uv_loop_close(uvLoop)
            uvLoop.deallocate(); wakeup.deallocate(); sharedReadBuffer.deallocate()
            throw UVError(code: wakeupMade)
        }
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // EBUSY means a handle outlived the loop's end (`stop` closes them all): the loop's memory
        // is freed anyway, as the process is ending.
        _ = uv_loop_close(uvLoop)
        uvLoop.deallocate()
        wakeup.deallocate()
        sharedReadBuffer.deallocate()
    }

    // MARK: thread

    /// Starts the loop thread; returns once the loop runs. Throws if the thread cannot be
    /// created (a tasks limit, no memory): the caller decides, nothing here is fatal.
    public func start() throws(UVError) {
        precondition(thread == nil, "EventLoop.start() called twice")
        hasStarted.store(true, ordering: .releasing)
        let started = Semaphore()
        let context = Unmanaged.passRetained(StartContext(loop: self, started: started))
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let context = Unmanaged<StartContext>.fromOpaque(raw!).takeRetainedValue()
            context.loop.threadMain(started: context.started)
            return nil
        }, context.toOpaque())
        guard rc == 0 else {
            context.release()
            throw UVError(code: -rc)  // libuv's codes are negated errno values
        }
        thread = tid
        started.wait()
    }

    private func threadMain(started: Semaphore) {
        threadID = pthread_self()
        setThreadName(name)
        started.signal()
        // Non-zero when handles were still active as it stopped, which `stop` has closed.
        _ = uv_run(uvLoop, UV_RUN_DEFAULT)
    }

    /// Asks the loop to close its wake-up handle (and any handle an owner forgot) and return.
    /// Safe from any thread; work submitted afterwards is dropped.
    public func stop() {
        let wasRunning = queue.withLock { pending -> Bool in
            defer { pending.stopping = true }
            return !pending.stopping
        }
        guard wasRunning else { return }
        // Runs after everything already queued, because the queue is drained in order.
        queue.withLock { $0.items.append(.closure { [self] in closeEverything() }) }
        uvExpect(uv_async_send(wakeup), "uv_async_send")
    }

    /// Waits for the loop thread to finish after `stop()`.
    public func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func closeEverything() {
        uv_walk(uvLoop, { handle, _ in
            guard let handle, uv_is_closing(handle) == 0 else { return }
            uv_close(handle, nil)
        }, nil)
    }

    // MARK: confinement

    /// True on the loop thread.
    public var inLoop: Bool { pthread_equal(pthread_self(), threadID) != 0 }

    public func preconditionInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inLoop, "not on the event loop thread", file: file, line: line)
    }

    /// True where the loop's state may be touched: on the loop thread, or, before the loop
    /// starts, on the thread that sets it up (which hands what it made to the loop thread by
    /// starting it).
    public var ownsLoopState: Bool { inLoop || !hasStarted.load(ordering: .acquiring) }

    public func preconditionOwnsLoopState(file: StaticString = #fileID, line: UInt = #line) {
        precondition(ownsLoopState, "loop state touched off the event loop thread", file: file, line: line)
    }

    /// Loop time in milliseconds, cached by libuv at the start of each iteration.
    package var now: UInt64 { uv_now(uvLoop) }

    // MARK: submission

    /// Runs `work` on the loop thread, after work already submitted.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        push(.closure(work))
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        preconditionInLoop()
    }

    private func push(_ work: PendingWork.Item) {
        let mustWake = queue.withLock { pending -> Bool in
            guard !pending.stopping else { return false }
            pending.items.append(work)
            defer { pending.wakeRequested = true }
            return !pending.wakeRequested
        }
        // uv_async_send coalesces anyway; skipping it while a wake-up is pending saves a syscall.
        if mustWake { uvExpect(uv_async_send(wakeup), "uv_async_send") }
    }

    private func drain() {
        var batch = queue.withLock { pending -> [PendingWork.Item] in
            pending.wakeRequested = false
            return pending.take()
        }
        let executor = asUnownedSerialExecutor()
        for item in batch {
            switch item {
            case .job(let job): job.runSynchronously(on: executor)
            case .closure(let work): work()
            }
        }
        batch.removeAll(keepingCapacity: true)
        queue.withLock { $0.recycle(batch) }
    }
}

/// Work waiting for the loop thread. Two arrays swap roles so that steady traffic allocates none.
private struct PendingWork {
    enum Item: Sendable {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    var items: [Item] = []
    var spare: [Item] = []
    var wakeRequested = false
    var stopping = false

    mutating func take() -> [Item] {
        let taken = items
        items = spare
        spare = []
        return taken
    }

    mutating func recycle(_ empty: [Item]) {
        if spare.capacity < empty.capacity { spare = empty }
    }
}

private final class StartContext {
    let loop: EventLoop
    let started: Semaphore
    init(loop: EventLoop, started: Semaphore) {
        self.loop = loop
        self.started = started
    }
}

/// Names the calling thread (as `ps -L`, `top -H` and `perf` show it; 15 characters at most).
func setThreadName(_ name: String) {
    #if os(Linux)
    _ = pthread_setname_np(pthread_self(), String(name.prefix(15)))
    #endif
}
