internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// Delivers a POSIX signal to a callback on the loop thread. `close()` exactly once.
public final class SignalWatcher {
    private let handle: LoopHandle
    private let callback: (Int32) -> Void

    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        self.callback = callback
        // Fails when the loop's signal pipe cannot be made (descriptors exhausted).
        handle = try LoopHandle(uv_signal_t.self) { uv_signal_init(loop.uvLoop, $0) }
        handle.attach(self)
        let rc = uv_signal_start(handle.typed(uv_signal_t.self), { watcher, signum in
            LoopHandle.owner(of: watcher, as: SignalWatcher.self).callback(signum)
        }, signal)
        if rc < 0 {
            close()
            throw UVError(code: rc)
        }
    }

    public func close() {
        handle.close()
    }

    /// A client that resets a connection must not kill the server.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
