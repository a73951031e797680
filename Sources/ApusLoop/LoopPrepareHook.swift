internal import CLibUV

/// Runs a callback once per loop iteration, after the iteration's I/O callbacks and before the
/// loop blocks again (libuv's prepare phase). Work gathered from many sockets in one
/// iteration can then be handed off in one batch. `close()` once; more closes do nothing.
public final class LoopPrepareHook {
    private let handle: LoopHandle
    private var callback: (() -> Void)?

    public init(loop: EventLoop, _ callback: @escaping () -> Void) {
        loop.preconditionInLoop()
        self.callback = callback
        handle = .infallible(uv_prepare_t.self, "uv_prepare_init") { uv_prepare_init(loop.uvLoop, $0) }
        handle.attach(self)
        uvExpect(uv_prepare_start(handle.typed(uv_prepare_t.self)) { prepare in
            LoopHandle.owner(of: prepare, as: LoopPrepareHook.self).callback?()
        }, "uv_prepare_start")
    }

    public func close() {
        guard !handle.isClosed else { return }
        callback = nil
        handle.close()
    }
}
