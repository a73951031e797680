internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// Delivers a POSIX signal to a callback on the loop thread. `close()` exactly once.
public final class SignalWatcher {
    private let handle: UnsafeMutablePointer<uv_signal_t>
    private let callback: (Int32) -> Void
    private var closed = false

    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        handle = .allocate(capacity: 1)
        self.callback = callback
        let initialized = uv_signal_init(loop.uvLoop, handle)
        if initialized < 0 {
            // The loop's signal pipe could not be made (descriptors exhausted): nothing to close.
            handle.deallocate()
            closed = true
            throw UVError(code: initialized)
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let rc = uv_signal_start(handle, { handle, signum in
            // SAFETY: data holds a retained SignalWatcher until the close callback.
            let watcher = Unmanaged<SignalWatcher>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            watcher.callback(signum)
        }, signal)
        if rc < 0 {
            close()
            throw UVError(code: rc)
        }
    }

    public func close() {
        precondition(!closed, "SignalWatcher closed twice")
        closed = true
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let handle = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_signal_t.self)
            Unmanaged<SignalWatcher>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }

    /// A client that resets a connection must not kill the server.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
