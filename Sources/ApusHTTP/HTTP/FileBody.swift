internal import ApusLoop
public import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// A response whose body is a file (ASGI's `http.response.pathsend`: Starlette's `FileResponse`):
/// read on libuv's pool in pieces, never by Python, each piece written once the client has
/// taken the one before, so a large file costs one piece of memory and a slow client holds the
/// reading back. A file that fits in one piece goes out as a whole response.
public enum FileBody {
    /// Rewrites the head and each piece as they go (the middleware the runtime runs: gzip), one
    /// piece at a time on a pool thread: `headers` is given with the first piece only; `last`
    /// marks the final one.
    public typealias Rewrite = @Sendable (_ headers: inout HTTPHeaders?, _ piece: inout [UInt8], _ last: Bool) -> Void

    public static let pieceBytes = 256 * 1024

    /// Sends `path` as the body of a `status` response with `headers` (a `content-length` is added
    /// when there is none and nothing rewrites the body). Any thread. A file that cannot be
    /// read answers 500, logged; one that shrinks while it is sent breaks the response off.
    public static func send(path: String, status: Int, headers: HTTPHeaders, via slot: ResponseSlot, logger: Logger,
                            rewrite: Rewrite? = nil) {
        let sending = FileSending(path: path, slot: slot, logger: logger, rewrite: rewrite)
        slot.loop.execute { sending.open(status: status, headers: headers) }
    }
}

/// One file on its way out: touched by one thread at a time (the pool's work, then the loop's
/// completion), in turn.
private final class FileSending: @unchecked Sendable {
    let path: String
    let slot: ResponseSlot
    let logger: Logger
    let rewrite: FileBody.Rewrite?
    private var descriptor: Int32 = -1
    private var size = 0
    private var offset = 0
    private var writer: ResponseBodyWriter?

    init(path: String, slot: ResponseSlot, logger: Logger, rewrite: FileBody.Rewrite?) {
        self.path = path
        self.slot = slot
        self.logger = logger
        self.rewrite = rewrite
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func open(status: Int, headers: HTTPHeaders) {
        let piece = Piece()
        slot.loop.runOffLoop({ [self] in
            descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
                piece.failure = String(cString: strerror(errno))
                return
            }
            size = Int(info.st_size)
            var head: HTTPHeaders? = headers
            readPiece(into: piece, headers: &head)
            piece.headers = head
        }, then: { [self] in
            if let failure = piece.failure {
                logger.error("cannot send the file \(path): \(failure); sent 500 instead")
                return slot.complete(.text("Internal Server Error", status: 500))
            }
            var headers = piece.headers ?? headers
            if rewrite == nil, !headers.contains("content-length") { headers.add("content-length", String(size)) }
            if piece.last {
                return slot.complete(HTTPResponse(status: status, headers: headers, body: piece.bytes))
            }
            let writer = slot.startStream(status: status, headers: headers)
            self.writer = writer
            write(piece)
        })
    }

    /// Reads the next piece (on a pool thread): up to `pieceBytes`, fewer only at the end.
    private func readPiece(into piece: Piece, headers: inout HTTPHeaders?) {
        var bytes = [UInt8](repeating: 0, count: min(FileBody.pieceBytes, max(0, size - offset)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                piece.failure = count < 0 ? String(cString: strerror(errno)) : "it is shorter than when it was opened"
                return
            }
            filled += count
        }
        offset += filled
        piece.last = offset >= size
        rewrite?(&headers, &bytes, piece.last)
        piece.bytes = bytes
    }

    private func write(_ piece: Piece) {
        guard let writer else { return }
        let last = piece.last
        writer.write(piece.bytes) { [self] ok in
            guard ok else { return }  // the client is gone
            if last { return writer.finish() }
            next()
        }
    }

    private func next() {
        let piece = Piece()
        slot.loop.runOffLoop({ [self] in
            var none: HTTPHeaders?
            readPiece(into: piece, headers: &none)
        }, then: { [self] in
            if let failure = piece.failure {
                logger.error("cannot send the rest of the file \(path): \(failure); the response is broken off")
                return slot.abort()
            }
            write(piece)
        })
    }
}

/// What one read made, from the pool thread to the loop.
private final class Piece: @unchecked Sendable {
    var bytes: [UInt8] = []
    var headers: HTTPHeaders?
    var last = false
    var failure: String?
}
