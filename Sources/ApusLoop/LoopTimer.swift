internal import CLibUV

/// A libuv timer. Create, `start`/`stop` as often as needed, then `close()` exactly once
/// (`LoopHandle`'s life cycle).
public final class LoopTimer {
    private let handle: LoopHandle
    private var callback: (() -> Void)?

    public init(loop: EventLoop) {
        loop.preconditionInLoop()
        handle = .infallible(uv_timer_t.self, "uv_timer_init") { uv_timer_init(loop.uvLoop, $0) }
        handle.attach(self)
    }

    /// Calls `body` after `milliseconds`, then every `repeatMilliseconds` if that is non-zero.
    public func start(after milliseconds: UInt64, repeat repeatMilliseconds: UInt64 = 0, _ body: @escaping () -> Void) {
        precondition(!handle.isClosed, "LoopTimer used after close()")
        callback = body
        uvExpect(uv_timer_start(handle.typed(uv_timer_t.self), { timer in
            LoopHandle.owner(of: timer, as: LoopTimer.self).callback?()
        }, milliseconds, repeatMilliseconds), "uv_timer_start")
    }

    public func stop() {
        guard !handle.isClosed else { return }
        uvExpect(uv_timer_stop(handle.typed(uv_timer_t.self)), "uv_timer_stop")
    }

    public func close() {
        callback = nil
        handle.close()
    }
}
