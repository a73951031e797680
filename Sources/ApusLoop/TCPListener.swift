internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// A listening TCP socket. Each accepted connection is handed to `onConnection` as a
/// `TCPStream` the receiver owns. `close()` exactly once.
public final class TCPListener {
    private let loop: EventLoop
    private let tcp: LoopHandle
    private let onConnection: (TCPStream) -> Void
    /// The port actually bound (useful with port 0).
    public private(set) var port = 0

    /// Binds and listens. `reusePort` sets SO_REUSEPORT so several processes share the port.
    public init(
        loop: EventLoop, host: String, port: Int, reusePort: Bool = false, backlog: Int32 = 2048,
        onConnection: @escaping (TCPStream) -> Void
    ) throws(UVError) {
        loop.preconditionInLoop()
        self.loop = loop
        self.onConnection = onConnection
        let address = try SocketAddress(host: host, port: port)
        // init_ex creates the socket now, so options can be set before bind; it fails when no
        // descriptor is left.
        tcp = try LoopHandle(uv_tcp_t.self) { uv_tcp_init_ex(loop.uvLoop, $0, UInt32(address.family)) }
        tcp.attach(self)
        do {
            if reusePort { try setReusePort() }
            try uvCheck(address.withSockAddr { uv_tcp_bind(handle, $0, 0) })
            try listen(backlog)
        } catch {
            close()
            throw error
        }
        self.port = boundPort()
    }

    /// Listens on a socket that is already bound and listening (a supervisor's, inherited as
    /// `descriptor`): processes that share it share one accept queue, so one that stops
    /// accepting leaves its share to the others instead of resetting it.
    public init(
        loop: EventLoop, adopting descriptor: Int32, backlog: Int32 = 2048, onConnection: @escaping (TCPStream) -> Void
    ) throws(UVError) {
        loop.preconditionInLoop()
        self.loop = loop
        self.onConnection = onConnection
        tcp = .infallible(uv_tcp_t.self, "uv_tcp_init") { uv_tcp_init(loop.uvLoop, $0) }
        tcp.attach(self)
        do {
            try uvCheck(uv_tcp_open(handle, uv_os_sock_t(descriptor)))
            try listen(backlog)
        } catch {
            close()
            throw error
        }
        port = boundPort()
    }

    /// A listening socket for worker processes to inherit (`init(adopting:)`), and the port it
    /// is bound to (port 0 picks one); the caller owns the descriptor and never accepts on it.
    public static func sharedSocket(host: String, port: Int, backlog: Int32 = 2048) throws(UVError) -> (descriptor: Int32, port: Int) {
        let address = try SocketAddress(host: host, port: port)
        let descriptor = address.withSockAddr { apus_listen_socket($0, backlog) }
        guard descriptor >= 0 else { throw UVError(code: descriptor) }
        return (descriptor, Int(apus_socket_port(descriptor)))
    }

    private func listen(_ backlog: Int32) throws(UVError) {
        try uvCheck(uv_listen(stream, backlog) { server, status in
            guard status >= 0 else { return }
            LoopHandle.owner(of: server, as: TCPListener.self).acceptOne()
        })
    }

    private var stream: UnsafeMutablePointer<uv_stream_t> { tcp.typed(uv_stream_t.self) }
    private var handle: UnsafeMutablePointer<uv_tcp_t> { tcp.typed(uv_tcp_t.self) }

    private func setReusePort() throws(UVError) {
        var fd: uv_os_fd_t = -1
        try uvCheck(uv_fileno(tcp.handle, &fd))
        var on: Int32 = 1
        if setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw UVError(code: -errno)
        }
    }

    private func boundPort() -> Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
        }
        uvExpect(named, "uv_tcp_getsockname")  // a socket that is bound and listening has a name
        return SocketAddress(storage).port
    }

    private func acceptOne() {
        let client = TCPStream(loop: loop)
        let clientStream = UnsafeMutableRawPointer(client.handle).assumingMemoryBound(to: uv_stream_t.self)
        guard uv_accept(stream, clientStream) == 0 else {
            client.close()
            return
        }
        onConnection(client)
    }

    public func close() {
        guard !tcp.isClosed else { return }
        tcp.close()
    }
}
