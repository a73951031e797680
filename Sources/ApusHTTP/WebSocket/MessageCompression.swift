internal import CZlib

/// The zlib streams of one compressed WebSocket session: the only file that touches them. Made
/// on the first message that needs each (an idle session holds neither), and kept for the
/// session when the context is taken over from message to message. Loop thread only.
final class MessageCompression {
    let parameters: PerMessageDeflate
    private var deflater: UnsafeMutablePointer<z_stream>?
    private var inflater: UnsafeMutablePointer<z_stream>?

    /// Every message's compressed form ends with this empty stored block, which is not sent.
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init(_ parameters: PerMessageDeflate) {
        self.parameters = parameters
    }

    deinit {
        if let deflater {
            deflateEnd(deflater)
            deflater.deallocate()
        }
        if let inflater {
            inflateEnd(inflater)
            inflater.deallocate()
        }
    }

    /// A message's payload, compressed (RFC 7692 §7.2.1); nil if zlib fails (the message then
    /// goes uncompressed, which the protocol allows).
    func compress(_ message: [UInt8]) -> [UInt8]? {
        if deflater == nil {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard apus_deflate_init_raw(stream, Z_DEFAULT_COMPRESSION, Int32(parameters.serverMaxWindowBits), 5) == Z_OK else {
                stream.deallocate()
                return nil
            }
            deflater = stream
        }
        guard let stream = deflater else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(message.count / 2 + 16)
        var input = message
        let ok = input.withUnsafeMutableBufferPointer { bytes in
            stream.pointee.next_in = bytes.baseAddress
            stream.pointee.avail_in = UInt32(bytes.count)
            defer { stream.pointee.next_in = nil }
            return run(stream, into: &output) { deflate($0, Z_SYNC_FLUSH) }
        }
        guard ok else { return nil }
        if output.count >= 4 && Array(output.suffix(4)) == Self.tail { output.removeLast(4) }
        if parameters.serverNoContextTakeover { deflateReset(stream) }
        return output
    }

    /// A received message's payload, inflated; at most `limit` bytes of it, else 1009. Bad data
    /// is 1007 (invalid payload).
    func decompress(_ payload: [UInt8], limit: Int) throws(WebSocketFailure) -> [UInt8] {
        if inflater == nil {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard apus_inflate_init_raw(stream, Int32(parameters.clientMaxWindowBits ?? 15)) == Z_OK else {
                stream.deallocate()
                throw .init(code: WebSocketCloseCode.internalError, reason: "cannot start zlib")
            }
            inflater = stream
        }
        guard let stream = inflater else { throw .init(code: WebSocketCloseCode.internalError, reason: "no zlib stream") }
        var output: [UInt8] = []
        var input = payload + Self.tail
        var failure: WebSocketFailure?
        // A client may end its deflate stream with a message (a final block): the next one
        // starts a new stream.
        var ended = false
        input.withUnsafeMutableBufferPointer { bytes in
            stream.pointee.next_in = bytes.baseAddress
            stream.pointee.avail_in = UInt32(bytes.count)
            defer { stream.pointee.next_in = nil }
            let ok = run(stream, into: &output, limit: limit) { stream in
                let status = inflate(stream, Z_SYNC_FLUSH)
                if status == Z_STREAM_END { ended = true }
                return status == Z_BUF_ERROR ? Z_OK : status
            }
            if output.count > limit {
                failure = .tooBig("message past the limit of \(limit) bytes once inflated")
            } else if !ok {
                failure = .invalidText("the compressed message is not valid deflate data")
            }
        }
        if let failure { throw failure }
        if parameters.clientNoContextTakeover || ended { inflateReset(stream) }
        return output
    }

    /// Runs `step` until zlib has taken all the input and left room in its output (it has
    /// nothing more to give), or the output passes `limit`. False if zlib reported an error.
    private func run(_ stream: UnsafeMutablePointer<z_stream>, into output: inout [UInt8], limit: Int = .max,
                     _ step: (UnsafeMutablePointer<z_stream>) -> Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var status = Z_OK
            let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = UInt32(buffer.count)
                status = step(stream)
                return buffer.count - Int(stream.pointee.avail_out)
            }
            guard status == Z_OK || status == Z_STREAM_END else { return false }
            output.append(contentsOf: chunk[..<produced])
            if output.count > limit { return true }
            if stream.pointee.avail_out != 0 && stream.pointee.avail_in == 0 { return true }
            if status == Z_STREAM_END { return true }
        }
    }
}
