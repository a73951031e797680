internal import CLibUV

extension EventLoop {
    /// Runs `work` on libuv's thread pool, off the loop thread, then `done` on the loop thread:
    /// for CPU work that would otherwise stall every connection of the loop (a TLS handshake's
    /// private-key operation). A loop that is asked to stop waits for it. Call on the loop thread.
    public func runOffLoop(_ work: @escaping @Sendable () -> Void, then done: @escaping () -> Void) {
        preconditionInLoop()
        let job = OffLoopJob(work: work, done: done)
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        let queued = uv_queue_work(uvLoop, request, { request in
            // SAFETY: data holds the retained job until the after-work callback.
            Unmanaged<OffLoopJob>.fromOpaque(request!.pointee.data).takeUnretainedValue().work()
        }, { request, _ in
            let job = Unmanaged<OffLoopJob>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.done()
        })
        guard queued != 0 else { return }
        // The pool refused it (it cannot: uv_queue_work fails only without a work callback).
        Unmanaged<OffLoopJob>.fromOpaque(request.pointee.data).release()
        request.deallocate()
        work()
        done()
    }
}

extension EventLoop {
    /// `runOffLoop` for work that makes a value: `work` runs on a pool thread and its value is
    /// handed to `done` on the loop thread. Call on the loop thread.
    public func runOffLoop<Value: Sendable>(producing work: @escaping @Sendable () -> Value, then done: @escaping (Value) -> Void) {
        // Written by the pool thread, read by the loop thread after it (libuv orders the two;
        // the lock makes the hand-off one the compiler checks).
        let made = PThreadMutex<Value?>(nil)
        runOffLoop({
            let value = work()
            made.withLock { $0 = value }
        }, then: { done(made.withLock { $0! }) })
    }
}

/// One piece of off-loop work: `work` runs on a pool thread, `done` on the loop thread after it.
private final class OffLoopJob: @unchecked Sendable {
    let work: @Sendable () -> Void
    let done: () -> Void

    init(work: @escaping @Sendable () -> Void, done: @escaping () -> Void) {
        self.work = work
        self.done = done
    }
}
