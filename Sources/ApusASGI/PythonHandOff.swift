package import ApusPython
package import ApusLoop
/// Jobs for the Python threads gathered during one loop iteration and handed over together when
/// the iteration ends: one lock and one wake-up per batch instead of per request (on a busy
/// core, each wake-up is a context switch).
package final class PythonHandOff: @unchecked Sendable {
    private let pool: PythonExecutorPool?
    private let asyncio: AsyncioThread
    /// Touched only on the loop thread that serves the responder.
    private var blocking: [PythonExecutorPool.Job] = []
    private var async: [AsyncioThread.Job] = []
    private var hook: LoopPrepareHook?

    package init(pool: PythonExecutorPool?, asyncio: AsyncioThread) {
        self.pool = pool
        self.asyncio = asyncio
    }

    /// Queues `job` for an executor thread at the end of this loop iteration; on the loop thread.
    package func submitBlocking(on loop: EventLoop, _ job: @escaping PythonExecutorPool.Job) {
        installHook(loop)
        blocking.append(job)
    }

    /// Queues `job` for the asyncio thread at the end of this loop iteration; on the loop thread.
    package func submitAsync(on loop: EventLoop, _ job: @escaping AsyncioThread.Job) {
        installHook(loop)
        async.append(job)
    }

    private func installHook(_ loop: EventLoop) {
        if hook == nil {
            // Weak: a responder replaced by a reload may go while its hook is still installed.
            hook = LoopPrepareHook(loop: loop) { [weak self] in self?.flush() }
        }
    }

    /// On the loop thread, after the server stopped: hands off what is left, drops the hook.
    package func close() {
        flush()
        hook?.close()
        hook = nil
    }

    private func flush() {
        if !blocking.isEmpty, let pool {
            pool.submit(contentsOf: blocking)
            blocking.removeAll(keepingCapacity: true)
        }
        if !async.isEmpty {
            asyncio.submit(contentsOf: async)
            async.removeAll(keepingCapacity: true)
        }
    }
}
