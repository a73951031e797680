/// Jobs for the asyncio thread gathered during one loop iteration and handed over together when
/// the iteration ends: one lock and one wake-up per batch instead of per request (on a busy
/// core, each wake-up is a context switch).
final class AsyncioHandOff: @unchecked Sendable {
    private let asyncio: AsyncioThread
    /// Touched only on the loop thread that serves the responder.
    private var pending: [AsyncioThread.Job] = []
    private var hook: LoopPrepareHook?

    init(asyncio: AsyncioThread) {
        self.asyncio = asyncio
    }

    /// Queues `job` for the end of this loop iteration; on the loop thread.
    func submit(on loop: EventLoop, _ job: @escaping AsyncioThread.Job) {
        if hook == nil {
            hook = LoopPrepareHook(loop: loop) { [unowned self] in flush() }
        }
        pending.append(job)
    }

    /// On the loop thread, after the server stopped: hands off what is left, drops the hook.
    func close() {
        flush()
        hook?.close()
        hook = nil
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        asyncio.submit(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
