internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// One accepted TCP connection.
public final class TCPStream: ByteStream {
    init(loop: EventLoop) {
        super.init(loop: loop, byteCount: MemoryLayout<uv_tcp_t>.size) {
            uv_tcp_init(loop.uvLoop, $0.assumingMemoryBound(to: uv_tcp_t.self))
        }
    }

    var handle: UnsafeMutablePointer<uv_tcp_t> { rawHandle.assumingMemoryBound(to: uv_tcp_t.self) }

    // MARK: options

    public override func setNoDelay(_ on: Bool) {
        guard !isClosed else { return }
        // Fails only on a socket already reset by its peer, whose next read reports it.
        _ = try? uvCheck(uv_tcp_nodelay(handle, on ? 1 : 0))
    }

    /// "ip:port" of the peer, or "-" if unknown.
    public override var peerAddress: String { address(uv_tcp_getpeername) }

    /// "ip:port" this end of the connection is bound to, or "-" if unknown.
    public override var localAddress: String { address(uv_tcp_getsockname) }

    private func address(
        _ query: (UnsafePointer<uv_tcp_t>?, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<Int32>?) -> Int32
    ) -> String {
        guard !isClosed else { return "-" }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(handle, $0, &length) }
        }
        guard rc == 0 else { return "-" }
        return SocketAddress(storage).description
    }
}
