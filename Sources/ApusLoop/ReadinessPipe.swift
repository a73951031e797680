internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// A pipe a child process inherits as file descriptor 3 and writes one byte to once it is
/// ready (a worker that has bound its port). `onReady` runs once on the loop thread: true for
/// the byte, false if the pipe closed without it (the child exited first). The handle closes
/// itself after that, or when `close()` is called.
public final class ReadinessPipe {
    /// The descriptor the child sees.
    public static let childDescriptor: Int32 = 3

    let handle: UnsafeMutablePointer<uv_pipe_t>
    private var onReady: (@Sendable (Bool) -> Void)?
    private var isClosed = false

    public init(loop: EventLoop, onReady: @escaping @Sendable (Bool) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        handle = .allocate(capacity: 1)
        self.onReady = onReady
        let rc = uv_pipe_init(loop.uvLoop, handle, 0)
        guard rc == 0 else {
            handle.deallocate()
            throw UVError(code: rc)
        }
        // SAFETY: released in the close callback.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    private var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
    }

    /// After the child was spawned with this pipe: waits for its byte.
    func startReading() {
        uv_read_start(stream, { _, suggested, buf in
            buf!.pointee = uv_buf_init(UnsafeMutablePointer<CChar>.allocate(capacity: 8), 8)
            _ = suggested
        }, { stream, nread, buf in
            let pipe = Unmanaged<ReadinessPipe>.fromOpaque(stream!.pointee.data).takeUnretainedValue()
            buf!.pointee.base?.deallocate()
            if nread > 0 {
                pipe.finish(true)
            } else if nread < 0 {
                pipe.finish(false)
            }
        })
    }

    private func finish(_ ready: Bool) {
        let callback = onReady
        onReady = nil
        close()
        callback?(ready)
    }

    /// Stops waiting; `onReady` is not called.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        onReady = nil
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let pipe = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_pipe_t.self)
            Unmanaged<ReadinessPipe>.fromOpaque(pipe.pointee.data).release()
            pipe.deallocate()
        }
    }
}
