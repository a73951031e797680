/// Turns the bytes of one connection into request heads and bodies.
///
/// Feed it what the socket delivers, then call `next()` until it returns nil (needs more
/// bytes). Each request yields `.head` then `.body` (possibly empty); bytes of pipelined
/// requests stay buffered until the caller asks for them. After a head, `nextBodyPart()` may be
/// called instead to take the body piece by piece as it arrives (a streamed upload) until
/// `.end`. After an error the decoder is unusable: the connection answers with the error's
/// status and closes.
public struct HTTPRequestDecoder {
    public enum Event {
        case head(HTTPRequestHead)
        case body([UInt8])
    }

    public enum BodyPart: Equatable {
        case bytes([UInt8])
        case end
    }

    private enum State {
        /// `scanned` bytes of the current head were already searched for its end.
        case head(scanned: Int)
        case emptyBody
        case fixedBody(length: Int)
        /// The chunked decoder, the decoded bytes not yet handed out, and how many were.
        case chunkedBody(ChunkedBodyDecoder, [UInt8], taken: Int)
        case failed
    }

    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state = State.head(scanned: 0)

    public init(limits: HTTPLimits) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between requests with nothing of the next one received yet.
    public var isBetweenRequests: Bool {
        if case .head(0) = state { return bufferedByteCount == 0 }
        return false
    }

    /// True while a head has arrived and its body has not been fully read.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunkedBody, .emptyBody: true
        case .head, .failed: false
        }
    }

    /// Everything received and not consumed, taken out: what followed a WebSocket handshake
    /// belongs to the new protocol.
    mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        return rest
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func next() throws(HTTPParseError) -> Event? {
        do throws(HTTPParseError) {
            switch state {
            case .head(let scanned):
                return try nextHead(scanned: scanned)
            case .emptyBody:
                state = .head(scanned: 0)
                return .body([])
            case .fixedBody(let length):
                guard bufferedByteCount >= length else { return nil }
                let body = Array(buffer[readIndex..<(readIndex + length)])
                consume(length)
                state = .head(scanned: 0)
                return .body(body)
            case .chunkedBody(var decoder, var body, let taken):
                state = .failed  // keep the body array uniquely referenced while it grows
                try decodeChunks(&decoder, into: &body, taken: taken)
                if decoder.isDone {
                    state = .head(scanned: 0)
                    return .body(body)
                }
                state = .chunkedBody(decoder, body, taken: taken)
                return nil
            case .failed:
                throw .badRequest("connection already failed")
            }
        } catch {
            state = .failed
            throw error
        }
    }

    private mutating func nextHead(scanned: Int) throws(HTTPParseError) -> Event? {
        if scanned == 0 { try skipLeadingEmptyLines() }
        guard let headLength = try findHeadEnd(from: scanned) else {
            // Only the first maxHeadBytes are ever scanned, so the verdict does not depend on
            // how the bytes were split into reads.
            guard bufferedByteCount < limits.maxHeadBytes else { throw .headTooLarge("request head too large") }
            state = .head(scanned: max(0, bufferedByteCount - 3))
            return nil
        }
        let head = try buffer.withUnsafeBytes { raw in
            Result { () throws(HTTPParseError) in
                try HTTPHeadParser.parse(UnsafeRawBufferPointer(rebasing: raw[readIndex..<(readIndex + headLength)]), limits: limits)
            }
        }.get()
        consume(headLength)
        switch head.framing {
        case .none: state = .emptyBody
        case .length(let length): state = .fixedBody(length: length)
        case .chunked: state = .chunkedBody(ChunkedBodyDecoder(), [], taken: 0)
        }
        return .head(head)
    }

    /// The part of the current body that has arrived since the last call; `.end` once it is
    /// complete (then the decoder is between requests again); nil when nothing new has arrived.
    /// Only while a body is being read (after `.head`, before `.body` or `.end`).
    public mutating func nextBodyPart() throws(HTTPParseError) -> BodyPart? {
        do throws(HTTPParseError) {
            switch state {
            case .emptyBody:
                state = .head(scanned: 0)
                return .end
            case .fixedBody(let length):
                if length == 0 {
                    state = .head(scanned: 0)
                    return .end
                }
                let count = min(length, bufferedByteCount)
                guard count > 0 else { return nil }
                let part = Array(buffer[readIndex..<(readIndex + count)])
                consume(count)
                state = .fixedBody(length: length - count)
                return .bytes(part)
            case .chunkedBody(var decoder, var body, let taken):
                state = .failed
                try decodeChunks(&decoder, into: &body, taken: taken)
                if !body.isEmpty {
                    state = .chunkedBody(decoder, [], taken: taken + body.count)
                    return .bytes(body)
                }
                state = decoder.isDone ? .head(scanned: 0) : .chunkedBody(decoder, body, taken: taken)
                return decoder.isDone ? .end : nil
            case .head, .failed:
                return nil
            }
        } catch {
            state = .failed
            throw error
        }
    }

    /// Decodes the buffered chunked input; the size limit counts what was handed out before.
    private mutating func decodeChunks(_ decoder: inout ChunkedBodyDecoder, into body: inout [UInt8], taken: Int) throws(HTTPParseError) {
        var remaining = limits
        remaining.maxBodyBytes = limits.maxBodyBytes - taken
        let used = try buffer.withUnsafeBytes { raw in
            Result { () throws(HTTPParseError) in
                try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[readIndex...]), into: &body, limits: remaining)
            }
        }.get()
        consume(used)
    }

    /// RFC 9112 §2.2: a server should ignore empty lines received before a request line.
    private mutating func skipLeadingEmptyLines() throws(HTTPParseError) {
        while bufferedByteCount >= 2, buffer[readIndex] == HTTPBytes.cr, buffer[readIndex + 1] == HTTPBytes.lf {
            consume(2)
        }
        if bufferedByteCount >= 1, buffer[readIndex] == HTTPBytes.lf { throw .badRequest("bare LF") }
    }

    /// Length of the head through its final CRLF CRLF, or nil if it has not all arrived.
    /// Rejects a bare LF or CR as soon as it is seen, so a malformed head never waits for a timeout.
    private func findHeadEnd(from scanned: Int) throws(HTTPParseError) -> Int? {
        try buffer.withUnsafeBytes { raw -> Result<Int?, HTTPParseError> in
            let start = readIndex
            let limit = min(raw.count, start + limits.maxHeadBytes)
            var i = start + scanned
            while i < limit {
                if raw[i] == HTTPBytes.lf {
                    guard i > start, raw[i - 1] == HTTPBytes.cr else { return .failure(.badRequest("bare LF")) }
                    if i - start >= 3, raw[i - 2] == HTTPBytes.lf { return .success(i + 1 - start) }
                } else if raw[i] == HTTPBytes.cr, i + 1 < limit, raw[i + 1] != HTTPBytes.lf {
                    return .failure(.badRequest("bare CR"))
                }
                i += 1
            }
            return .success(nil)
        }.get()
    }

    private mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == buffer.count {
            // Give a large body's storage back; keep a small buffer for the next request.
            if buffer.capacity > 64 * 1024 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            readIndex = 0
        } else if readIndex >= 32 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
