internal import CZlib

/// One gzip stream, as Python's `zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)`
/// makes it (the same system zlib, window and memory level, so the same bytes): `compress`
/// then `flush(Z_SYNC_FLUSH)` for a piece with more to come, `flush()` (finish) for the last.
/// The only file that touches zlib's stream. One response's: used by one thread at a time (the
/// one running that response's Python), handed over only between its pieces.
final class GZipCompressor: @unchecked Sendable {
    private var stream = z_stream()
    private var open = false

    init?(level: Int) {
        guard apus_deflate_init(&stream, Int32(level), 16 + MAX_WBITS) == Z_OK else { return nil }
        open = true
    }

    deinit {
        if open { deflateEnd(&stream) }
    }

    /// The compressed bytes for `input`; `last`: the stream ends with it.
    func compress(_ input: [UInt8], last: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 2 + 64)
        var input = input
        input.withUnsafeMutableBufferPointer { bytes in
            stream.next_in = bytes.baseAddress
            stream.avail_in = UInt32(bytes.count)
            // As Python: the whole input without flushing, then the flush on its own.
            run(Z_NO_FLUSH, into: &output)
            run(last ? Z_FINISH : Z_SYNC_FLUSH, into: &output)
            stream.next_in = nil
        }
        if last {
            deflateEnd(&stream)
            open = false
        }
        return output
    }

    private func run(_ flush: Int32, into output: inout [UInt8]) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        repeat {
            let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                _ = deflate(&stream, flush)
                return buffer.count - Int(stream.avail_out)
            }
            output.append(contentsOf: chunk[..<produced])
            // Done when zlib left room in the buffer (it had nothing more to give) and has
            // taken all the input.
            if stream.avail_out != 0 && stream.avail_in == 0 { break }
        } while true
    }
}
