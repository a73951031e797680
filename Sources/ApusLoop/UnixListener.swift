internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// What a server listens with: a TCP socket (`TCPListener`) or a Unix-domain socket
/// (`UnixListener`). `close()` exactly once.
public protocol ConnectionListener: AnyObject {
    /// The TCP port bound (0 for a Unix-domain socket).
    var port: Int { get }
    func close()
}

extension TCPListener: ConnectionListener {}

/// A listening Unix-domain socket (uvicorn's `--uds`): a reverse proxy on the same machine
/// connects to a path instead of a port. Each accepted connection is handed to `onConnection`
/// as a `PipeStream` the receiver owns.
public final class UnixListener: ConnectionListener {
    private let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_pipe_t>
    private let onConnection: (PipeStream) -> Void
    private var closed = false
    public let port = 0

    /// Listens on a socket already bound and listening (`listeningSocket(path:)`, made by this
    /// process or by a supervisor whose workers share it).
    public init(loop: EventLoop, adopting descriptor: Int32, backlog: Int32 = 2048,
                onConnection: @escaping (PipeStream) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        self.loop = loop
        self.onConnection = onConnection
        handle = .allocate(capacity: 1)
        uvExpect(uv_pipe_init(loop.uvLoop, handle, 0), "uv_pipe_init")
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        do {
            try uvCheck(uv_pipe_open(handle, uv_file(descriptor)))
            try uvCheck(uv_listen(stream, backlog) { server, status in
                guard status >= 0 else { return }
                // SAFETY: data holds a retained UnixListener until the close callback.
                Unmanaged<UnixListener>.fromOpaque(server!.pointee.data).takeUnretainedValue().acceptOne()
            })
        } catch {
            close()
            throw error
        }
    }

    /// A listening socket at `path` (mode 0666; a socket an earlier run left there is replaced,
    /// any other file refused), for `init(adopting:)` here or in worker processes.
    public static func listeningSocket(path: String, backlog: Int32 = 2048) throws(UVError) -> Int32 {
        let descriptor = apus_listen_unix(path, backlog)
        guard descriptor >= 0 else { throw UVError(code: descriptor) }
        return descriptor
    }

    /// A blocking connection to the socket at `path` (for a thread that may block: a pool
    /// thread), its reads and writes giving up after `timeoutSeconds`; nil if none can be made.
    public static func connect(path: String, timeoutSeconds: Int32) -> Int32? {
        let descriptor = apus_connect_unix(path, timeoutSeconds)
        return descriptor >= 0 ? descriptor : nil
    }

    /// Whether `descriptor` is a Unix-domain socket (an inherited one may be either kind).
    public static func isUnixSocket(_ descriptor: Int32) -> Bool {
        apus_socket_family(descriptor) == AF_UNIX
    }

    private var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
    }

    private func acceptOne() {
        let client = PipeStream(loop: loop)
        guard uv_accept(stream, client.stream) == 0 else {
            client.close()
            return
        }
        onConnection(client)
    }

    public func close() {
        guard !closed else { return }
        closed = true
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let handle = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_pipe_t.self)
            Unmanaged<UnixListener>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }
}
