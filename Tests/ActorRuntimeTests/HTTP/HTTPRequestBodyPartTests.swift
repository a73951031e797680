@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Testing

/// Bodies taken piece by piece (`nextBodyPart`), as a streamed upload reaches a responder: the
/// pieces add up to the body whatever the read boundaries, the limit counts every piece, and the
/// next request starts where the body ends.
@Suite struct HTTPRequestBodyPartTests {
    /// Feeds `raw` in `step`-byte reads; returns the head's method, the pieces and what followed.
    private func stream(_ raw: String, step: Int, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError)
        -> (pieces: [[UInt8]], ended: Bool, next: String?)
    {
        let bytes = Array(raw.utf8)
        var decoder = HTTPRequestDecoder(limits: limits)
        var pieces: [[UInt8]] = []
        var sawHead = false
        var ended = false
        var next: String?
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { decoder.feed($0) }
            offset = end
            if !sawHead, case .head? = try decoder.next() { sawHead = true }
            while sawHead, !ended, let part = try decoder.nextBodyPart() {
                switch part {
                case .bytes(let piece): pieces.append(piece)
                case .end: ended = true
                }
            }
            if ended, next == nil, case .head(let head)? = try decoder.next() { next = head.method }
        }
        return (pieces, ended, next)
    }

    @Test(arguments: [1, 3, 7, 100])
    func fixedLengthPiecesAddUp(step: Int) throws {
        let result = try stream("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.1\r\nHost: x\r\n\r\n", step: step)
        #expect(result.pieces.flatMap { $0 } == Array("hello world".utf8))
        #expect(result.ended && result.next == "GET")
        #expect(step >= 100 || result.pieces.count > 1)
    }

    @Test(arguments: [1, 4, 9, 200])
    func chunkedPiecesAddUp(step: Int) throws {
        let raw = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        let result = try stream(raw, step: step)
        #expect(result.pieces.flatMap { $0 } == Array("hello world".utf8))
        #expect(result.ended && result.next == "GET")
    }

    @Test func theLimitCountsEveryPiece() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 8
        let raw = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
        #expect(throws: HTTPParseError.self) { try stream(raw, step: 1, limits: limits) }
    }

    @Test func aBodilessRequestEndsAtOnce() throws {
        let result = try stream("GET / HTTP/1.1\r\nHost: x\r\n\r\n", step: 100)
        #expect(result.pieces.isEmpty && result.ended)
    }
}
