internal import CLibUV

/// Runs a callback once per loop iteration, after the iteration's I/O callbacks and before the
/// loop blocks again (libuv's prepare phase). Work gathered from many sockets in one
/// iteration can then be handed off in one batch. `close()` exactly once.
public final class LoopPrepareHook {
    private let handle: UnsafeMutablePointer<uv_prepare_t>
    private var callback: (() -> Void)?

    public init(loop: EventLoop, _ callback: @escaping () -> Void) {
        loop.preconditionInLoop()
        handle = .allocate(capacity: 1)
        self.callback = callback
        uvExpect(uv_prepare_init(loop.uvLoop, handle), "uv_prepare_init")
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        uvExpect(uv_prepare_start(handle) { handle in
            // SAFETY: data holds a retained LoopPrepareHook until the close callback.
            Unmanaged<LoopPrepareHook>.fromOpaque(handle!.pointee.data).takeUnretainedValue().callback?()
        }, "uv_prepare_start")
    }

    public func close() {
        guard callback != nil else { return }
        callback = nil
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let handle = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_prepare_t.self)
            Unmanaged<LoopPrepareHook>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }
}
