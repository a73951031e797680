internal import CLibUV

/// A pipe read or written like a socket: one end of a pipe to a child process, made before the
/// child is spawned (see `ChildProcess.Stdio.pipe`), or a connection accepted on a Unix-domain
/// socket (`UnixListener`).
public final class PipeStream: ByteStream {
    public init(loop: EventLoop) {
        loop.preconditionInLoop()
        super.init(loop: loop, byteCount: MemoryLayout<uv_pipe_t>.size) {
            uv_pipe_init(loop.uvLoop, $0.assumingMemoryBound(to: uv_pipe_t.self), 0)
        }
    }
}
