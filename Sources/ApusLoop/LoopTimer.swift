internal import CLibUV

/// A libuv timer. Create, `start`/`stop` as often as needed, then `close()` exactly once;
/// the handle's memory is released in libuv's close callback.
public final class LoopTimer {
    private let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closed = false

    public init(loop: EventLoop) {
        loop.preconditionInLoop()
        self.loop = loop
        handle = .allocate(capacity: 1)
        uvExpect(uv_timer_init(loop.uvLoop, handle), "uv_timer_init")
        // Retained until the close callback, so a callback never outlives its owner.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Calls `body` after `milliseconds`, then every `repeatMilliseconds` if that is non-zero.
    public func start(after milliseconds: UInt64, repeat repeatMilliseconds: UInt64 = 0, _ body: @escaping () -> Void) {
        precondition(!closed, "LoopTimer used after close()")
        callback = body
        uvExpect(uv_timer_start(handle, { handle in
            // SAFETY: data holds a retained LoopTimer until the close callback.
            let timer = Unmanaged<LoopTimer>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            timer.callback?()
        }, milliseconds, repeatMilliseconds), "uv_timer_start")
    }

    public func stop() {
        guard !closed else { return }
        uvExpect(uv_timer_stop(handle), "uv_timer_stop")
    }

    public func close() {
        precondition(!closed, "LoopTimer closed twice")
        closed = true
        callback = nil
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let handle = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_timer_t.self)
            Unmanaged<LoopTimer>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }
}
