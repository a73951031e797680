internal import FoundationEssentials

/// The worker protocol's framing: each message is a 4-byte big-endian length, then that many
/// bytes of JSON.
public enum Frame {
    /// The largest frame either side accepts (a response body of a function is at most this).
    public static let maxBytes = 64 * 1024 * 1024

    /// The payload made of `parts`, behind its length, in one buffer.
    public static func encode(_ parts: [UInt8]...) -> [UInt8] {
        let total = parts.reduce(0) { $0 + $1.count }
        let count = UInt32(total)
        var frame: [UInt8] = [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        frame.reserveCapacity(4 + total)
        for part in parts { frame.append(contentsOf: part) }
        return frame
    }
}

/// A frame that cannot be: the peer is not speaking the protocol.
public struct FrameError: Error, CustomStringConvertible {
    public let description: String
}

/// Splits a byte stream into frames, however the bytes were split into reads.
public struct FrameDecoder {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame's payload, or nil until more bytes arrive.
    public mutating func next() throws(FrameError) -> [UInt8]? {
        guard buffer.count - start >= 4 else { return nil }
        let length = buffer[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
        guard length <= Frame.maxBytes else {
            throw FrameError(description: "a frame of \(length) bytes (the most is \(Frame.maxBytes))")
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let payload = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start >= 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }
}

/// One of the functions a worker serves, named in each request frame for it (`"fn"`): the
/// function's file, as the worker was given it. Quoted once, not per request.
public struct WorkerMember: Sendable {
    /// `"fn":"<file>",` in JSON.
    let field: [UInt8]

    public init(file: String) {
        let quoted = (try? JSONEncoder().encode(file)).map(Array.init) ?? Array("\"\"".utf8)
        field = Array("\"fn\":".utf8) + quoted + [UInt8(ascii: ",")]
    }
}
