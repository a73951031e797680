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
    private let pipe: LoopHandle
    private let onConnection: (PipeStream) -> Void
    public let port = 0

    /// Listens on a socket already bound and listening (`listeningSocket(path:)`, made by this
    /// process or by a supervisor whose workers share it).
    public init(loop: EventLoop, adopting descriptor: Int32, backlog: Int32 = 2048,
                onConnection: @escaping (PipeStream) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        self.loop = loop
        self.onConnection = onConnection
        pipe = .infallible(uv_pipe_t.self, "uv_pipe_init") { uv_pipe_init(loop.uvLoop, $0, 0) }
        pipe.attach(self)
        do {
            try uvCheck(uv_pipe_open(pipe.typed(uv_pipe_t.self), uv_file(descriptor)))
            try uvCheck(uv_listen(stream, backlog) { server, status in
                guard status >= 0 else { return }
                LoopHandle.owner(of: server, as: UnixListener.self).acceptOne()
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

    private var stream: UnsafeMutablePointer<uv_stream_t> { pipe.typed(uv_stream_t.self) }

    private func acceptOne() {
        let client = PipeStream(loop: loop)
        guard uv_accept(stream, client.stream) == 0 else {
            client.close()
            return
        }
        onConnection(client)
    }

    public func close() {
        guard !pipe.isClosed else { return }
        pipe.close()
    }
}
