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
        slot.loop.execute {
            FileSending(path: path, slot: slot, logger: logger, rewrite: rewrite).open(status: status, headers: headers)
        }
    }
}

/// One file on its way out, on the loop thread; its reads run on libuv's pool, each handed the
/// file's cursor and handing it back with the piece it read.
private final class FileSending {
    let path: String
    let slot: ResponseSlot
    let logger: Logger
    let rewrite: FileBody.Rewrite?
    /// The open file and how far it has been read; nil until it is open.
    private var cursor: FileCursor?
    private var writer: ResponseBodyWriter?

    init(path: String, slot: ResponseSlot, logger: Logger, rewrite: FileBody.Rewrite?) {
        self.path = path
        self.slot = slot
        self.logger = logger
        self.rewrite = rewrite
    }

    deinit {
        if let cursor { close(cursor.descriptor) }
    }

    func open(status: Int, headers: HTTPHeaders) {
        let (path, rewrite) = (path, rewrite)
        slot.loop.runOffLoop(producing: { () -> (FileCursor?, Piece) in
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
                let failure = String(cString: strerror(errno))
                if descriptor >= 0 { close(descriptor) }
                return (nil, Piece(failure: failure))
            }
            var cursor = FileCursor(descriptor: descriptor, size: Int(info.st_size))
            var head: HTTPHeaders? = headers
            var piece = cursor.read(rewrite: rewrite, headers: &head)
            piece.headers = head
            return (cursor, piece)
        }, then: { [self] cursor, piece in
            self.cursor = cursor
            if let failure = piece.failure {
                logger.error("cannot send the file \(path): \(failure); sent 500 instead")
                return slot.complete(.text("Internal Server Error", status: 500))
            }
            var headers = piece.headers ?? headers
            if rewrite == nil, !headers.contains("content-length"), let size = cursor?.size {
                headers.add("content-length", String(size))
            }
            if piece.last {
                return slot.complete(HTTPResponse(status: status, headers: headers, body: piece.bytes))
            }
            let writer = slot.startStream(status: status, headers: headers)
            self.writer = writer
            write(piece)
        })
    }

    private func write(_ piece: Piece) {
        guard let writer else { return }
        let last = piece.last
        // The writer calls back on the loop thread.
        let sending = LoopBound(self, on: slot.loop)
        writer.write(piece.bytes) { ok in
            guard ok else { return }  // the client is gone
            if last { return writer.finish() }
            sending.value.next()
        }
    }

    private func next() {
        guard let before = cursor else { return }
        let rewrite = rewrite
        slot.loop.runOffLoop(producing: { () -> (FileCursor, Piece) in
            var cursor = before
            var none: HTTPHeaders?
            let piece = cursor.read(rewrite: rewrite, headers: &none)
            return (cursor, piece)
        }, then: { [self] cursor, piece in
            self.cursor = cursor
            if let failure = piece.failure {
                logger.error("cannot send the rest of the file \(path): \(failure); the response is broken off")
                return slot.abort()
            }
            write(piece)
        })
    }
}

/// An open file and how far it has been read: handed to a pool thread for each read, and back.
private struct FileCursor: Sendable {
    let descriptor: Int32
    let size: Int
    var offset = 0

    /// Reads the next piece (on a pool thread): up to `pieceBytes`, fewer only at the end.
    mutating func read(rewrite: FileBody.Rewrite?, headers: inout HTTPHeaders?) -> Piece {
        var bytes = [UInt8](repeating: 0, count: min(FileBody.pieceBytes, max(0, size - offset)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                return Piece(failure: count < 0 ? String(cString: strerror(errno)) : "it is shorter than when it was opened")
            }
            filled += count
        }
        offset += filled
        var piece = Piece(last: offset >= size)
        rewrite?(&headers, &bytes, piece.last)
        piece.bytes = bytes
        return piece
    }
}

/// What one read made, from the pool thread to the loop.
private struct Piece: Sendable {
    var bytes: [UInt8] = []
    var headers: HTTPHeaders?
    var last = false
    var failure: String?
}
