internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// What a stream reports to its owner, on the loop thread.
public protocol ByteStreamDelegate: AnyObject {
    /// Bytes arrived; they are valid only during the call.
    func streamDidRead(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its side (`nil`) or the connection failed.
    func streamDidEnd(error: UVError?)
    /// Every queued write has reached the kernel.
    func streamDidDrain()
}

/// A libuv stream: a TCP connection (`TCPStream`) or a pipe to a child process (`PipeStream`).
///
/// Writes go straight to the socket with `uv_try_write`; only what the kernel does not take is
/// queued with `uv_write` (copied, unless its owner keeps it in place: `StableBytes`), and `pendingWriteBytes` says how much that is, so the owner
/// can stop producing (and stop reading) while a slow client catches up.
/// Life cycle: accepted → `startReading` / `write` / `shutdownWrite` → `close()` exactly once.
public class ByteStream {
    let loop: EventLoop
    /// A `uv_tcp_t` or `uv_pipe_t`, as the subclass made it.
    private let handle: LoopHandle
    var rawHandle: UnsafeMutableRawPointer { handle.raw }
    public var delegate: (any ByteStreamDelegate)?
    public private(set) var pendingWriteBytes = 0
    public private(set) var isClosed = false
    /// Whether the owner reads (`startReading`); the socket is read while it does and the layer
    /// does not hold it (`StreamLayerOutcome.hold`).
    private var isReading = false
    private var layerHolds = false
    /// A layer (TLS) between the socket and the delegate: set before reading starts.
    public var layer: (any StreamLayer)? {
        didSet { layer?.wake = { [weak self] in self?.layerWoke() } }
    }

    /// `initialize` sets up the handle memory (`byteCount` bytes) for `loop`; it cannot fail
    /// for the handle kinds used here (libuv's tcp and pipe inits only fill the structure).
    init(loop: EventLoop, byteCount: Int, initialize: (UnsafeMutableRawPointer) -> Int32) {
        self.loop = loop
        do {
            handle = try LoopHandle(byteCount: byteCount, initialize)
        } catch {
            // A pipe's or an accepted TCP stream's init makes no socket: it fails only when misused.
            preconditionFailure("the stream handle's init failed: \(error)")
        }
        handle.attach(self)
    }

    /// "ip:port" of the peer, or "-" where there is none (a Unix-domain socket's peer).
    public var peerAddress: String { "-" }

    /// "ip:port" this end is bound to, or "-" where there is none.
    public var localAddress: String { "-" }

    /// Sends small writes at once (TCP_NODELAY); nothing to do on other streams.
    public func setNoDelay(_ on: Bool) {}

    var stream: UnsafeMutablePointer<uv_stream_t> {
        rawHandle.assumingMemoryBound(to: uv_stream_t.self)
    }

    private static func from(_ stream: UnsafeMutablePointer<uv_stream_t>?) -> ByteStream {
        LoopHandle.owner(of: stream, as: ByteStream.self)
    }

    // MARK: reading

    /// Reads the socket (unless the layer holds it: then once the layer wakes).
    public func startReading() {
        guard !isReading, !isClosed else { return }
        isReading = true
        if !layerHolds { startSocketReads() }
    }

    private func startSocketReads() {
        let started = uv_read_start(stream, { handle, _, buf in
            let loop = LoopHandle.owner(of: handle, as: ByteStream.self).loop
            buf!.pointee = uv_buf_init(
                loop.sharedReadBuffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                UInt32(loop.sharedReadBuffer.count))
        }, { stream, nread, buf in
            let this = ByteStream.from(stream)
            if nread > 0 {
                let bytes = UnsafeRawBufferPointer(start: buf!.pointee.base, count: nread)
                if let layer = this.layer { this.readThrough(layer, bytes) } else { this.delegate?.streamDidRead(bytes) }
            } else if nread < 0 {
                this.stopReading()
                this.delegate?.streamDidEnd(error: nread == Int(UV_EOF.rawValue) ? nil : UVError(code: Int32(nread)))
            }
        })
        if started < 0 {
            // The socket cannot be read (it is no longer connected): as if it ended so.
            isReading = false
            delegate?.streamDidEnd(error: UVError(code: started))
        }
    }

    /// What the socket read, decoded by the layer: its pieces to the delegate, its own answers
    /// to the socket.
    private func readThrough(_ layer: any StreamLayer, _ bytes: UnsafeRawBufferPointer) {
        let outcome = layer.decode(bytes, deliver: { piece in
            if !isClosed { delegate?.streamDidRead(piece) }
        }, send: { piece in
            _ = writeToSocket(piece)
        })
        switch outcome {
        case .open:
            break
        case .hold:
            guard !layerHolds else { break }
            layerHolds = true
            if isReading { uvExpect(uv_read_stop(stream), "uv_read_stop") }
        case .ended:
            stopReading()
            if !isClosed { delegate?.streamDidEnd(error: nil) }
        case .failed:
            stopReading()
            if !isClosed { delegate?.streamDidEnd(error: UVError(code: Int32(UV_EPROTO.rawValue))) }
        }
    }

    /// The layer finished work off the loop: what it produced goes on as if the socket had read.
    private func layerWoke() {
        guard !isClosed, let layer else { return }
        if layerHolds {
            layerHolds = false
            if isReading { startSocketReads() }
        }
        readThrough(layer, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public func stopReading() {
        guard isReading else { return }
        isReading = false
        if !layerHolds { uvExpect(uv_read_stop(stream), "uv_read_stop") }
    }

    // MARK: writing

    /// Sends `bytes`, queueing a copy of what the socket does not accept now. Returns false if
    /// the connection is broken; the caller should close it.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isClosed else { return false }
        guard let layer else { return writeToSocket(bytes) }
        var written = true
        let encoded = layer.encode(bytes) { piece in written = writeToSocket(piece) && written }
        return encoded && written
    }

    /// `bytes` as they are to the socket (past any layer).
    private func writeToSocket(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isClosed else { return false }
        guard let offset = tryWrite(bytes) else { return false }
        guard offset < bytes.count else { return true }
        return enqueueWrite(CopiedBytes(UnsafeRawBufferPointer(rebasing: bytes[offset...])), from: 0)
    }

    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Sends `owner`'s bytes without copying them: what the socket does not accept now is
    /// queued in place, and `owner` is kept until libuv has written it.
    @discardableResult
    public func write(_ owner: some StableBytes) -> Bool {
        guard !isClosed else { return false }
        // A layer writes bytes of its own (encoded), so the owner's are not kept.
        if layer != nil { return write(owner.bytes) }
        guard let offset = tryWrite(owner.bytes) else { return false }
        guard offset < owner.bytes.count else { return true }
        return enqueueWrite(owner, from: offset)
    }

    /// Writes what the kernel takes now, if nothing is queued before it: how many bytes that
    /// was, or nil if the connection is broken.
    private func tryWrite(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count > 0, pendingWriteBytes == 0 else { return 0 }
        var buf = uv_buf_init(
            UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)),
            UInt32(bytes.count))
        let written = uv_try_write(stream, &buf, 1)
        if written >= 0 { return Int(written) }
        return written == Int32(UV_EAGAIN.rawValue) ? 0 : nil
    }

    /// A queued write: the bytes' owner, held until the write callback (libuv rewrites its own
    /// buffer descriptors as a write progresses, so the length is kept here).
    private final class QueuedWrite {
        let owner: any StableBytes
        let length: Int

        init(owner: any StableBytes, length: Int) {
            self.owner = owner
            self.length = length
        }
    }

    /// Queues `owner`'s bytes from `offset` on.
    private func enqueueWrite(_ owner: any StableBytes, from offset: Int) -> Bool {
        let bytes = UnsafeRawBufferPointer(rebasing: owner.bytes[offset...])
        let queued = Unmanaged.passRetained(QueuedWrite(owner: owner, length: bytes.count))
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = queued.toOpaque()
        var buf = uv_buf_init(
            UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)),
            UInt32(bytes.count))
        let rc = uv_write(request, stream, &buf, 1) { request, status in
            let this = ByteStream.from(request!.pointee.handle)
            // SAFETY: data holds the QueuedWrite retained when the write was queued.
            let queued = Unmanaged<QueuedWrite>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            this.writeFinished(length: queued.length, status: status)
        }
        if rc < 0 {
            queued.release()
            request.deallocate()
            return false
        }
        pendingWriteBytes += bytes.count
        return true
    }

    private func writeFinished(length: Int, status: Int32) {
        pendingWriteBytes -= length
        if status < 0 {
            if !isClosed { delegate?.streamDidEnd(error: UVError(code: status)) }
        } else if pendingWriteBytes == 0, !isClosed {
            delegate?.streamDidDrain()
        }
    }

    /// Bytes handed to the socket that the kernel has not taken yet (shrinks as a long write
    /// progresses, unlike `pendingWriteBytes`, which counts whole queued writes).
    public var unwrittenBytes: Int {
        isClosed ? 0 : Int(uv_stream_get_write_queue_size(stream))
    }

    // MARK: ending

    private var onShutdown: (() -> Void)?

    /// Half-closes: queued writes are flushed, then the peer reads end-of-file, then
    /// `completion` runs (unless the stream was closed first).
    public func shutdownWrite(then completion: @escaping () -> Void) {
        guard !isClosed else { return }
        layer?.finish { piece in _ = writeToSocket(piece) }
        onShutdown = completion
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let rc = uv_shutdown(request, stream) { request, _ in
            let this = ByteStream.from(request!.pointee.handle)
            request!.deallocate()
            let completion = this.onShutdown
            this.onShutdown = nil
            if !this.isClosed { completion?() }
        }
        if rc < 0 {
            request.deallocate()
            onShutdown = nil
            completion()
        }
    }

    /// Closes the socket; pending writes are cancelled. The delegate is released.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        isReading = false
        delegate = nil
        layer = nil
        onShutdown = nil
        handle.close()
    }

}
